package org.celeriac.core.canvas;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A task call to make later: Celery's {@code Signature} ({@code celery/canvas.py} 5.2.6) as the dict Celery puts on
 * the wire, {@code {"task", "args", "kwargs", "options", "subtask_type", "immutable"}}. When a signature runs
 * as a callback (chain step, link, chord body) the parent's result is prepended to its args unless it is
 * {@linkplain #immutable() immutable} (Celery's {@code si()}).
 *
 * <p>Composite signatures have Celery's {@code subtask_type} and keep their parts in {@code kwargs} as Celery
 * does, so a Python worker can apply them from a message's {@code embed} and a Java worker can apply Python's:
 * {@link #group} ({@code celery.group}, {@code kwargs.tasks}), {@link #chain} ({@code celery.chain},
 * {@code kwargs.tasks}), {@link #chord} ({@code celery.chord}, {@code kwargs.header}, {@code kwargs.body}),
 * {@link #map} ({@code xmap}: {@code celery.map}, {@code kwargs.task}, {@code kwargs.it}), {@link #starmap}
 * ({@code xstarmap}: {@code celery.starmap}) and {@link #chunks} ({@code celery.chunks}, {@code kwargs.n}).
 * Immutable value; thread-safe.
 *
 * @param task the task name; never empty
 * @param args positional arguments (serializer value model); never null
 * @param kwargs keyword arguments; never null
 * @param options apply options in Celery's names ({@code task_id}, {@code queue}, {@code link}, ...); never null
 * @param immutable whether the parent's result is not prepended
 * @param subtaskType Celery's {@code subtask_type}: null for a task, else {@code group}, {@code chain},
 *                    {@code chord}, {@code xmap}, {@code xstarmap} or {@code chunks}
 */
public record Signature(String task, List<Object> args, Map<String, Object> kwargs, Map<String, Object> options,
                        boolean immutable, String subtaskType) {

    /** The composite types this class knows ({@code subtask_type} values Celery registers). */
    public static final List<String> TYPES = List.of("group", "chain", "chord", "xmap", "xstarmap", "chunks");

    public Signature {
        if (task == null || task.isEmpty()) {
            throw new IllegalArgumentException("a signature needs a task name");
        }
        if (subtaskType != null && !TYPES.contains(subtaskType)) {
            throw new IllegalArgumentException("unknown signature subtask_type '" + subtaskType + "' (task " + task
                    + "); Celery's are " + TYPES);
        }
        args = args == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(args));
        kwargs = kwargs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(kwargs));
        options = options == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** A task signature (no {@code subtask_type}). */
    public Signature(String task, List<Object> args, Map<String, Object> kwargs, Map<String, Object> options,
                     boolean immutable) {
        this(task, args, kwargs, options, immutable, null);
    }

    /** A mutable signature of {@code task} with positional arguments. */
    public static Signature of(String task, Object... args) {
        return new Signature(task, args == null ? List.of() : Arrays.asList(args), Map.of(), Map.of(), false);
    }

    /** An immutable signature (Celery's {@code si()}): the parent's result is not prepended. */
    public static Signature immutable(String task, Object... args) {
        return of(task, args).asImmutable();
    }

    /**
     * Celery's {@code group(*tasks)}: the members run in parallel; applied, it gives a {@link GroupResult}.
     * Partial args given to the group (as a callback) are prepended to every mutable member's args.
     *
     * @throws NullPointerException when a member is null
     */
    public static Signature group(List<Signature> tasks) {
        return composite("celery.group", "group", Map.of("tasks", dicts(tasks)), false);
    }

    /** {@link #group(List)} of the given members. */
    public static Signature group(Signature... tasks) {
        return group(Arrays.asList(tasks));
    }

    /**
     * Celery's {@code chain(*tasks)}: each step runs after the previous one succeeded, with its result prepended
     * (unless immutable). Nested chains are spliced, and a group followed by another step becomes a chord with
     * that step as body, as Celery's {@code _chain.prepare_steps} does.
     *
     * @throws NullPointerException when a step is null
     */
    public static Signature chain(List<Signature> tasks) {
        return composite("celery.chain", "chain", Map.of("tasks", dicts(tasks)), false);
    }

    /** {@link #chain(List)} of the given steps. */
    public static Signature chain(Signature... tasks) {
        return chain(Arrays.asList(tasks));
    }

    /**
     * Celery's {@code chord(header, body)}: the body runs with the list of the header's results, in header order,
     * once every header task is done; a failed header task stores {@code ChordError} on the body instead.
     *
     * @throws NullPointerException when the body or a header member is null
     */
    public static Signature chord(List<Signature> header, Signature body) {
        Map<String, Object> kw = new LinkedHashMap<>();
        kw.put("kwargs", new LinkedHashMap<>());
        kw.put("header", dicts(header));
        kw.put("body", Objects.requireNonNull(body, "body").toMap());
        return composite("celery.chord", "chord", kw, false);
    }

    /**
     * Celery's {@code task.map(it)} ({@code xmap}): one {@code celery.map} message; the worker calls this task
     * once per item, in its own process and in order, and returns the list of results.
     */
    public Signature map(List<?> it) {
        return composite("celery.map", "xmap", basemap(it), true);
    }

    /** Celery's {@code task.starmap(it)} ({@code xstarmap}): like {@link #map}, each item being an args list. */
    public Signature starmap(List<? extends List<?>> it) {
        return composite("celery.starmap", "xstarmap", basemap(it), true);
    }

    /**
     * Celery's {@code task.chunks(it, n)}: the args lists of {@code it} split in parts of {@code n}; applied, a
     * group of {@code celery.starmap} tasks, one per part (its result: the list of per-part result lists).
     *
     * @throws IllegalArgumentException when {@code n < 1}
     */
    public Signature chunks(List<? extends List<?>> it, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("chunks(it, n) needs n >= 1, got " + n);
        }
        Map<String, Object> kw = basemap(it);
        kw.put("n", n);
        return composite("celery.chunks", "chunks", kw, true);
    }

    private Map<String, Object> basemap(List<?> it) {
        Map<String, Object> kw = new LinkedHashMap<>();
        kw.put("task", toMap());
        kw.put("it", new ArrayList<>(Objects.requireNonNull(it, "it")));
        return kw;
    }

    private static Signature composite(String task, String type, Map<String, Object> kwargs, boolean immutable) {
        return new Signature(task, List.of(), kwargs, Map.of(), immutable, type);
    }

    private static List<Object> dicts(List<Signature> sigs) {
        List<Object> out = new ArrayList<>();
        for (Signature s : Objects.requireNonNull(sigs, "tasks")) {
            out.add(Objects.requireNonNull(s, "a null signature among the tasks").toMap());
        }
        return out;
    }

    /** Whether this is a plain task signature (no {@code subtask_type}). */
    public boolean isTask() {
        return subtaskType == null;
    }

    /**
     * The parts of a group or chain ({@code kwargs.tasks}) or the header of a chord ({@code kwargs.header}, a list
     * or a group dict, as Celery may put either).
     *
     * @throws IllegalStateException when this is no group, chain or chord, or the parts are malformed
     */
    public List<Signature> tasks() {
        Object v = "chord".equals(subtaskType) ? kwargs.get("header") : kwargs.get("tasks");
        if (!"group".equals(subtaskType) && !"chain".equals(subtaskType) && !"chord".equals(subtaskType)) {
            throw new IllegalStateException(task + " (" + subtaskType + ") has no tasks");
        }
        if (v instanceof Map<?, ?> m && "group".equals(m.get("subtask_type"))) {
            return fromMap(cast(m)).tasks();
        }
        if (!(v instanceof List<?> l)) {
            throw new IllegalStateException(task + ": tasks must be a list of signatures, got " + v);
        }
        List<Signature> out = new ArrayList<>();
        for (Object o : l) {
            if (!(o instanceof Map<?, ?> m)) {
                throw new IllegalStateException(task + ": tasks must be signature dicts, got " + o);
            }
            out.add(fromMap(cast(m)));
        }
        return out;
    }

    /**
     * The body of a chord ({@code kwargs.body}).
     *
     * @throws IllegalStateException when this is no chord or it has no body
     */
    public Signature body() {
        if (!"chord".equals(subtaskType) || !(kwargs.get("body") instanceof Map<?, ?> b)) {
            throw new IllegalStateException(task + " (" + subtaskType + ") is no chord with a body");
        }
        return fromMap(cast(b));
    }

    /** This signature, immutable. */
    public Signature asImmutable() {
        return new Signature(task, args, kwargs, options, true, subtaskType);
    }

    /** This signature with one more option ({@code value} null removes it). */
    public Signature withOption(String key, Object value) {
        Map<String, Object> o = new LinkedHashMap<>(options);
        if (value == null) {
            o.remove(key);
        } else {
            o.put(key, value);
        }
        return new Signature(task, args, kwargs, o, immutable, subtaskType);
    }

    /** This signature with other keyword arguments (used for composite parts). */
    Signature withKwargs(Map<String, Object> kw) {
        return new Signature(task, args, kw, options, immutable, subtaskType);
    }

    /** This signature with other positional arguments. */
    Signature withArgs(List<Object> a) {
        return new Signature(task, a, kwargs, options, immutable, subtaskType);
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
        } else if (options.get(key) instanceof Map<?, ?> one) {
            l.add(one);
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
        m.put("subtask_type", subtaskType);
        m.put("immutable", immutable);
        return m;
    }

    /**
     * Reads Celery's dict form (a task or a composite signature).
     *
     * @throws IllegalArgumentException when {@code m} has no task name or an unknown {@code subtask_type}
     */
    public static Signature fromMap(Map<String, Object> m) {
        if (!(m.get("task") instanceof String t) || t.isEmpty()) {
            throw new IllegalArgumentException("signature has no 'task' name: keys " + m.keySet());
        }
        Object type = m.get("subtask_type");
        if (type != null && !(type instanceof String)) {
            throw new IllegalArgumentException("signature " + t + ": subtask_type must be a string, got " + type);
        }
        return new Signature(t, m.get("args") instanceof List<?> a ? cast(a) : List.of(),
                m.get("kwargs") instanceof Map<?, ?> k ? cast(k) : Map.of(),
                m.get("options") instanceof Map<?, ?> o ? cast(o) : Map.of(),
                Boolean.TRUE.equals(m.get("immutable")), (String) type);
    }

    @SuppressWarnings("unchecked")
    static <T> T cast(Object o) {
        return (T) o;
    }
}
