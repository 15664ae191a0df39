package org.celeriac.core.canvas;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A task call to make later: Celery's {@code Signature} ({@code celery/canvas.py}) as the dict Celery puts on
 * the wire, {@code {"task", "args", "kwargs", "options", "subtask_type", "immutable"}}. When a signature runs
 * as a callback (chain step, link, chord body) the parent's result is prepended to its args unless it is
 * {@linkplain #immutable() immutable} (Celery's {@code si()}). Immutable value; thread-safe.
 *
 * @param task the task name; never empty
 * @param args positional arguments (serializer value model); never null
 * @param kwargs keyword arguments; never null
 * @param options apply options in Celery's names ({@code task_id}, {@code queue}, {@code link}, ...); never null
 * @param immutable whether the parent's result is not prepended
 */
public record Signature(String task, List<Object> args, Map<String, Object> kwargs, Map<String, Object> options,
                        boolean immutable) {

    public Signature {
        if (task == null || task.isEmpty()) {
            throw new IllegalArgumentException("a signature needs a task name");
        }
        args = args == null ? List.of() : java.util.Collections.unmodifiableList(new ArrayList<>(args));
        kwargs = kwargs == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(kwargs));
        options = options == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** A mutable signature of {@code task} with positional arguments. */
    public static Signature of(String task, Object... args) {
        return new Signature(task, args == null ? List.of() : java.util.Arrays.asList(args), Map.of(), Map.of(), false);
    }

    /** An immutable signature (Celery's {@code si()}): the parent's result is not prepended. */
    public static Signature immutable(String task, Object... args) {
        return of(task, args).asImmutable();
    }

    /** This signature, immutable. */
    public Signature asImmutable() {
        return new Signature(task, args, kwargs, options, true);
    }

    /** This signature with one more option ({@code value} null removes it). */
    public Signature withOption(String key, Object value) {
        Map<String, Object> o = new LinkedHashMap<>(options);
        if (value == null) {
            o.remove(key);
        } else {
            o.put(key, value);
        }
        return new Signature(task, args, kwargs, o, immutable);
    }

    /** This signature with another success callback (Celery's {@code link}). */
    public Signature link(Signature callback) {
        return withOption("link", appended("link", callback));
    }

    /** This signature with another error callback (Celery's {@code link_error}). */
    public Signature linkError(Signature errback) {
        return withOption("link_error", appended("link_error", errback));
    }

    private List<Object> appended(String key, Signature s) {
        List<Object> l = new ArrayList<>();
        if (options.get(key) instanceof List<?> old) {
            l.addAll(old);
        }
        l.add(Objects.requireNonNull(s, "callback").toMap());
        return l;
    }

    /** The pre-assigned task id ({@code options.task_id}), or null. */
    public String taskId() {
        return options.get("task_id") instanceof String s ? s : null;
    }

    /** Celery's dict form, keys in Celery's order. A fresh mutable map. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task", task);
        m.put("args", new ArrayList<>(args));
        m.put("kwargs", new LinkedHashMap<>(kwargs));
        m.put("options", new LinkedHashMap<>(options));
        m.put("subtask_type", null);
        m.put("immutable", immutable);
        return m;
    }

    /**
     * Reads Celery's dict form.
     *
     * @throws IllegalArgumentException when {@code m} has no task name or is a composite signature
     */
    @SuppressWarnings("unchecked")
    public static Signature fromMap(Map<String, Object> m) {
        if (!(m.get("task") instanceof String t) || t.isEmpty()) {
            throw new IllegalArgumentException("signature has no 'task' name: keys " + m.keySet());
        }
        return new Signature(t, m.get("args") instanceof List<?> a ? (List<Object>) a : List.of(),
                m.get("kwargs") instanceof Map<?, ?> k ? (Map<String, Object>) k : Map.of(),
                m.get("options") instanceof Map<?, ?> o ? (Map<String, Object>) o : Map.of(),
                Boolean.TRUE.equals(m.get("immutable")));
    }
}
