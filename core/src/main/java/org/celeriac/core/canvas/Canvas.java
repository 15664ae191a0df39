package org.celeriac.core.canvas;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.celeriac.api.AsyncResult;
import org.celeriac.core.Celeriac;
import org.celeriac.core.protocol.OutgoingTask;
import org.celeriac.core.routing.Route;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;

/**
 * Sends canvas primitives in Celery 5.2.6's wire form ({@code celery/canvas.py}): a chain as its first task with
 * the remaining steps in {@code embed.chain} (last step first), a group as tasks with the {@code group} and
 * {@code group_index} headers, a chord as a group whose tasks carry the body (with a pre-assigned
 * {@code task_id}) in {@code embed.chord}, after the chord size is recorded in the backend
 * ({@link ResultBackend#setChordSize}) or, for backends without a native join, the header group is saved.
 * Thread-safe; the send methods block until the broker has the messages.
 */
public final class Canvas {
    private final Celeriac app;

    /** A sender through {@code app}'s broker, routes and result backend. */
    public Canvas(Celeriac app) {
        this.app = Objects.requireNonNull(app, "app");
    }

    /** Sends one signature as a top-level call; returns its result handle. */
    public AsyncResult<Object> apply(Signature sig) {
        String id = idOf(sig);
        send(sig.withOption("task_id", id), null, false, null, id, null, null, null, null);
        return app.asyncResult(id);
    }

    /**
     * Sends a chain: the first step now, the others from the worker as each step succeeds, with the previous
     * result prepended to mutable steps.
     *
     * @return the last step's result handle
     * @throws IllegalArgumentException when {@code steps} is empty
     */
    public AsyncResult<Object> chain(List<Signature> steps) {
        if (steps == null || steps.isEmpty()) {
            throw new IllegalArgumentException("a chain needs at least one signature");
        }
        List<Signature> frozen = new ArrayList<>();
        for (Signature s : steps) {
            frozen.add(s.withOption("task_id", idOf(s)));
        }
        List<Map<String, Object>> rest = new ArrayList<>();
        for (int i = frozen.size() - 1; i >= 1; i--) {
            rest.add(frozen.get(i).toMap());
        }
        Signature first = frozen.get(0);
        send(first, null, false, null, first.taskId(), null, null, rest.isEmpty() ? null : rest, null);
        return app.asyncResult(frozen.get(frozen.size() - 1).taskId());
    }

    /** Sends a group: every member now, each with the group id and its index. */
    public GroupResult group(List<Signature> members) {
        String gid = UUID.randomUUID().toString();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            Signature s = members.get(i);
            String id = idOf(s);
            ids.add(id);
            send(s.withOption("task_id", id), null, false, null, id, gid, i, null, null);
        }
        return new GroupResult(app, gid, ids);
    }

    /**
     * Sends a chord: the header group now; the body runs once every header task is done, with the list of
     * their results in header order, or is stored as FAILURE with {@code ChordError} when one failed.
     *
     * @return the body's result handle
     * @throws IllegalStateException when the app has no result backend that can keep groups (e.g. none, or
     *         {@code rpc://}): set {@code result_backend} to redis://, a database or memory://
     */
    public AsyncResult<Object> chord(List<Signature> header, Signature body) {
        Objects.requireNonNull(body, "body");
        ResultBackend backend = app.resultBackend().orElseThrow(() -> new IllegalStateException(
                "a chord needs a result backend: set result_backend (e.g. redis://host:6379/0 or memory://)"));
        if (!backend.nativeChordJoin() && !backend.capabilities().groups()) {
            throw new IllegalStateException("the result backend " + backend.getClass().getSimpleName()
                    + " cannot join chords (rpc:// keeps no groups); set result_backend to redis://, a database "
                    + "(db+...) or memory://");
        }
        String bodyId = idOf(body);
        Signature frozenBody = body.withOption("task_id", bodyId);
        if (header == null || header.isEmpty()) {
            send(frozenBody, List.of(List.of()), false, null, bodyId, null, null, null, null);
            return app.asyncResult(bodyId);
        }
        String gid = UUID.randomUUID().toString();
        List<Signature> frozen = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (Signature s : header) {
            String id = idOf(s);
            ids.add(id);
            frozen.add(s.withOption("task_id", id));
        }
        if (backend.nativeChordJoin()) {
            backend.setChordSize(gid, frozen.size());
        } else {
            backend.saveGroup(new GroupMeta(gid, ids, null));
        }
        Map<String, Object> bodyMap = frozenBody.toMap();
        for (int i = 0; i < frozen.size(); i++) {
            send(frozen.get(i), null, false, null, ids.get(i), gid, i, null, bodyMap);
        }
        return app.asyncResult(bodyId);
    }

    /**
     * Publishes one signature (used here and by the worker for chord bodies and errbacks).
     *
     * @param parentResult prepended to the args when {@code prepend} and the signature is mutable; when
     *                     {@code prepend} is false and it is a list, its items are prepended (partial args)
     * @param parentId the parent task's id; nullable
     * @param rootId the root id; null means the task's own id
     * @param group group id; nullable
     * @param groupIndex index in the group; nullable
     * @param chain the chain still to run after it (last step first); nullable
     * @param chord the chord body to join into; nullable
     * @return the sent task's id
     */
    public String send(Signature sig, Object parentResult, boolean prepend, String parentId, String rootId,
                       String group, Integer groupIndex, List<Map<String, Object>> chain, Map<String, Object> chord) {
        String id = idOf(sig);
        List<Object> args = new ArrayList<>();
        if (prepend && !sig.immutable()) {
            args.add(parentResult);
        } else if (parentResult instanceof List<?> extra && !prepend) {
            args.addAll(extra); // explicit partial args (chord body with an empty header)
        }
        args.addAll(sig.args());
        Map<String, Object> kwargs = new LinkedHashMap<>(sig.kwargs());
        Map<String, Object> o = sig.options();
        Instant eta = o.get("countdown") instanceof Number n ? Instant.now().plusMillis(Math.round(n.doubleValue() * 1000))
                : null;
        Instant expires = o.get("expires") instanceof Number n ? Instant.now().plusMillis(Math.round(n.doubleValue() * 1000))
                : o.get("expires") instanceof String x ? java.time.OffsetDateTime.parse(x).toInstant() : null;
        Route route = app.routes().resolve(sig.task(), new ArrayList<>(args), new LinkedHashMap<>(kwargs),
                o.get("queue") instanceof String q ? q : null, o.get("exchange") instanceof String e ? e : null,
                o.get("routing_key") instanceof String r ? r : null, null);
        OutgoingTask t = new OutgoingTask(id, sig.task(), args, kwargs, eta, expires, 0, null, null,
                rootId == null ? id : rootId, parentId, group, groupIndex, null, app.origin(), false,
                o.get("reply_to") instanceof String r ? r : null,
                o.get("priority") instanceof Number p ? p.intValue() : route.priority(), Map.of(),
                maps(o.get("link")), maps(o.get("link_error")), chain, chord);
        String queue = route.queue();
        app.publish(t, null, route.exchange() == null ? "" : route.exchange(),
                route.routingKey() == null ? queue : route.routingKey(), queue).join();
        return id;
    }

    private static String idOf(Signature s) {
        return s.taskId() != null ? s.taskId() : UUID.randomUUID().toString();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> maps(Object v) {
        if (v instanceof Map<?, ?> m) {
            return List.of((Map<String, Object>) m);
        }
        if (v instanceof List<?> l && !l.isEmpty()) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Object x : l) {
                if (x instanceof Map<?, ?> m) {
                    out.add((Map<String, Object>) m);
                }
            }
            return out.isEmpty() ? null : out;
        }
        return null;
    }
}
