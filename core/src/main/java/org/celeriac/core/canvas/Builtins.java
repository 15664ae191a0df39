package org.celeriac.core.canvas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.celeriac.api.PythonException;
import org.celeriac.api.TaskContext;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;

/**
 * Celery's built-in tasks ({@code celery/app/builtins.py}, wire spec §8.3) that a worker knows whatever its
 * task classes are: {@code celery.backend_cleanup} ({@link ResultBackend#cleanup()}), {@code celery.accumulate},
 * {@code celery.chord_unlock} (the chord join Python clients send with backends that have no native join:
 * retried every {@code interval} seconds until the header is ready, then the body is sent or {@code ChordError}
 * stored), and, failing with Python's {@code NotImplementedError} for now, {@code celery.chord},
 * {@code celery.group}, {@code celery.chain}, {@code celery.map}, {@code celery.starmap}, {@code celery.chunks}.
 * Immutable; thread-safe.
 */
public final class Builtins {
    /** The names of Celery's built-in tasks. */
    public static final List<String> NAMES = List.of("celery.backend_cleanup", "celery.chord_unlock", "celery.chord",
            "celery.group", "celery.chain", "celery.map", "celery.starmap", "celery.chunks", "celery.accumulate");
    private static final TaskOptions IGNORE_RESULT =
            new TaskOptions(null, null, null, null, null, true, null, null, null, null);

    private final Map<String, TaskDefinition> tasks = new LinkedHashMap<>();

    /**
     * The built-ins for a worker of {@code app}.
     *
     * @param backend the app's result backend; nullable
     * @param join the worker's chord join (used by {@code celery.chord_unlock})
     */
    public Builtins(Celeriac app, ResultBackend backend, ChordJoin join) {
        Duration interval = Optional.ofNullable(app.settings().duration("result_chord_retry_interval",
                Duration.ofSeconds(1))).orElse(Duration.ofSeconds(1));
        for (String n : NAMES) {
            tasks.put(n, new Builtin(n, backend, join, interval));
        }
    }

    /** The built-in task {@code name}, if it is one. */
    public Optional<TaskDefinition> get(String name) {
        return Optional.ofNullable(tasks.get(name));
    }

    private record Builtin(String name, ResultBackend backend, ChordJoin join, Duration interval)
            implements TaskDefinition {
        @Override
        public TaskOptions options() {
            return name.equals("celery.chord_unlock") ? IGNORE_RESULT
                    : TaskOptions.DEFAULTS;
        }

        @Override
        public Object run(TaskContext context, List<Object> args, Map<String, Object> kwargs) {
            switch (name) {
                case "celery.backend_cleanup" -> {
                    if (backend != null) {
                        backend.cleanup();
                    }
                    return null;
                }
                case "celery.accumulate" -> {
                    Object index = kwargs.get("index");
                    return index instanceof Number n ? args.get(n.intValue()) : List.copyOf(args);
                }
                case "celery.chord_unlock" -> {
                    return unlock(context, args, kwargs);
                }
                default -> throw new PythonException("builtins", "NotImplementedError", List.of(name
                        + " is not implemented by this Celeriac worker yet: send the canvas in its expanded wire "
                        + "form (Celeriac and Celery clients do)"));
            }
        }

        /** Celery's {@code unlock_chord(group_id, callback, interval=None, max_retries=None, result=None)}. */
        @SuppressWarnings("unchecked")
        private Object unlock(TaskContext ctx, List<Object> args, Map<String, Object> kwargs) {
            if (backend == null) {
                throw new IllegalStateException("celery.chord_unlock needs a result backend: set result_backend");
            }
            if (args.size() < 2 || !(args.get(0) instanceof String gid) || !(args.get(1) instanceof Map<?, ?> cb)) {
                throw new PythonException("builtins", "TypeError", List.of(
                        "celery.chord_unlock(group_id, callback, ...) got args " + args));
            }
            Object iv = kwargs.get("interval");
            Duration every = iv instanceof Number n ? Duration.ofMillis(Math.round(n.doubleValue() * 1000)) : interval;
            Integer max = kwargs.get("max_retries") instanceof Number n ? n.intValue() : Integer.MAX_VALUE;
            List<List<Object>> parts = new ArrayList<>();
            List<Object> tuples = kwargs.get("result") instanceof List<?> l ? (List<Object>) l : List.of();
            for (Object t : tuples) {
                String id = t instanceof List<?> tl && !tl.isEmpty() && tl.get(0) instanceof List<?> head
                        && !head.isEmpty() && head.get(0) instanceof String s ? s : null;
                if (id == null) {
                    throw new PythonException("builtins", "TypeError", List.of(
                            "celery.chord_unlock: result tuple " + t + " is not [[task_id, parent], children]"));
                }
                Optional<TaskMeta> m = backend.get(id);
                if (m.isEmpty() || !m.get().state().isReady()) {
                    throw ctx.retry(null, every, max);
                }
                List<Object> p = new ArrayList<>();
                p.add(id);
                p.add(m.get().state().name());
                p.add(m.get().result());
                parts.add(p);
            }
            join.complete(gid, parts, (Map<String, Object>) cb, ctx.id(), ctx.rootId());
            return null;
        }
    }
}
