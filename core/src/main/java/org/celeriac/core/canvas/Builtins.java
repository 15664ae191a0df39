package org.celeriac.core.canvas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * stored; on a backend without native join it claims the chord counter first, see {@link ChordJoin#unlock}),
 * {@code celery.map(task, it)} and {@code celery.starmap(task, it)} (the task run in this worker once per item, in
 * order, returning the list of results, as Celery's {@code xmap}/{@code xstarmap}), {@code celery.chunks(task, it,
 * n)} (sends the group of {@code celery.starmap} parts and returns its result tuple), {@code celery.group} and
 * {@code celery.chord} (Celery's backward-compatible forms: apply the group or chord they carry) and
 * {@code celery.chain}, which fails with {@code NotImplementedError('chain is not a real task')} as in Celery.
 * Arguments may come positionally or as keywords. Immutable; thread-safe.
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
        Objects.requireNonNull(app, "app");
        Duration interval = Optional.ofNullable(app.settings().duration("result_chord_retry_interval",
                Duration.ofSeconds(1))).orElse(Duration.ofSeconds(1));
        for (String n : NAMES) {
            tasks.put(n, new Builtin(n, app, backend, join, interval));
        }
    }

    /** The built-in task {@code name}, if it is one. */
    public Optional<TaskDefinition> get(String name) {
        return Optional.ofNullable(tasks.get(name));
    }

    private record Builtin(String name, Celeriac app, ResultBackend backend, ChordJoin join, Duration interval)
            implements TaskDefinition {
        @Override
        public TaskOptions options() {
            return name.equals("celery.chord_unlock") ? IGNORE_RESULT
                    : TaskOptions.DEFAULTS;
        }

        @Override
        public Object run(TaskContext context, List<Object> args, Map<String, Object> kwargs) throws Exception {
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
                case "celery.map" -> {
                    return map(context, arg(args, kwargs, 0, "task"), arg(args, kwargs, 1, "it"), false);
                }
                case "celery.starmap" -> {
                    return map(context, arg(args, kwargs, 0, "task"), arg(args, kwargs, 1, "it"), true);
                }
                case "celery.chunks" -> {
                    Object n = arg(args, kwargs, 2, "n");
                    if (!(n instanceof Number size) || size.intValue() < 1) {
                        throw typeError("celery.chunks(task, it, n): n must be a number >= 1, got " + n);
                    }
                    Signature task = signature(arg(args, kwargs, 0, "task"), "celery.chunks");
                    List<List<?>> it = new ArrayList<>();
                    for (Object item : items(arg(args, kwargs, 1, "it"), "celery.chunks")) {
                        if (!(item instanceof List<?> l)) {
                            throw typeError("celery.chunks: each item must be an argument list, got " + item);
                        }
                        it.add(l);
                    }
                    return Canvas.asTuple(new Canvas(app).apply(task.chunks(it, size.intValue())));
                }
                case "celery.group" -> {
                    return group(args, kwargs);
                }
                case "celery.chord" -> {
                    return chord(args, kwargs);
                }
                default -> throw new PythonException("builtins", "NotImplementedError",
                        List.of("chain is not a real task"));
            }
        }

        /** Celery's {@code xmap}/{@code xstarmap}: {@code [task(item) for item in it]} in this worker. */
        private Object map(TaskContext ctx, Object task, Object it, boolean star) throws Exception {
            String what = star ? "celery.starmap" : "celery.map";
            Signature sig = signature(task, what);
            TaskDefinition def = app.registry().get(sig.task()).orElseThrow(() -> new PythonException(
                    "celery.exceptions", "NotRegistered", List.of(sig.task())));
            List<Object> out = new ArrayList<>();
            for (Object item : items(it, what)) {
                List<Object> a;
                if (star) {
                    if (!(item instanceof List<?> l)) {
                        throw typeError(what + ": each item must be an argument list, got " + item);
                    }
                    a = new ArrayList<>(l);
                } else {
                    a = new ArrayList<>();
                    a.add(item);
                }
                out.add(def.run(ctx, a, Map.of()));
            }
            return out;
        }

        /** {@code celery.group(tasks, result, group_id, partial_args, add_to_parent=True)}. */
        private Object group(List<Object> args, Map<String, Object> kwargs) {
            Object tasks = arg(args, kwargs, 0, "tasks");
            Object result = arg(args, kwargs, 1, "result");
            Object gid = arg(args, kwargs, 2, "group_id");
            Object partial = arg(args, kwargs, 3, "partial_args");
            Canvas canvas = new Canvas(app);
            for (Object t : items(tasks, "celery.group")) {
                canvas.send(signature(t, "celery.group"), partial instanceof List<?> l ? new ArrayList<>(l) : List.of(),
                        false, null, null, gid instanceof String g ? g : null, null, null, null);
            }
            return result;
        }

        /** {@code celery.chord(header, body, partial_args=(), interval=None, countdown=1, max_retries=None)}. */
        private Object chord(List<Object> args, Map<String, Object> kwargs) {
            Object header = arg(args, kwargs, 0, "header");
            Signature body = signature(arg(args, kwargs, 1, "body"), "celery.chord");
            List<Signature> members = new ArrayList<>();
            if (header instanceof Map<?, ?> h) {
                members.addAll(signature(h, "celery.chord").tasks());
            } else {
                for (Object t : items(header, "celery.chord")) {
                    members.add(signature(t, "celery.chord"));
                }
            }
            Object partial = arg(args, kwargs, 2, "partial_args");
            Signature chord = Signature.chord(members, body);
            if (partial instanceof List<?> l && !l.isEmpty()) {
                chord = chord.withArgs(new ArrayList<>(l));
            }
            return Canvas.asTuple(new Canvas(app).apply(chord));
        }

        private static Object arg(List<Object> args, Map<String, Object> kwargs, int index, String name) {
            return args.size() > index ? args.get(index) : kwargs.get(name);
        }

        private static Signature signature(Object v, String what) {
            if (!(v instanceof Map<?, ?> m)) {
                throw typeError(what + ": expected a signature dict, got " + v);
            }
            try {
                return Signature.fromMap(Signature.cast(m));
            } catch (IllegalArgumentException e) {
                throw typeError(what + ": " + e.getMessage());
            }
        }

        private static List<?> items(Object v, String what) {
            if (!(v instanceof List<?> l)) {
                throw typeError(what + ": expected a list, got " + v);
            }
            return l;
        }

        private static PythonException typeError(String message) {
            return new PythonException("builtins", "TypeError", List.of(message));
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
            join.unlock(gid, parts, (Map<String, Object>) cb, ctx.id(), ctx.rootId());
            return null;
        }
    }
}
