package org.celeriac.core.canvas;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.celeriac.api.AsyncResult;
import org.celeriac.core.Celeriac;
import org.celeriac.core.protocol.OutgoingTask;
import org.celeriac.core.protocol.TaskIds;
import org.celeriac.core.routing.Route;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMetaCodec;

/**
 * Sends signatures, simple or composite, in Celery 5.2.6's wire form ({@code celery/canvas.py}):
 * <ul>
 *   <li>a chain as its first task with the remaining steps in {@code embed.chain} (last step first), nested
 *       chains spliced and a group followed by a step upgraded to a chord ({@code _chain.prepare_steps});</li>
 *   <li>a group as its tasks with the {@code group} header (nested groups unrolled), chains and chords among
 *       them applied as such;</li>
 *   <li>a chord as its header group whose tasks (the last step of a header chain) carry the body, with a
 *       pre-assigned {@code task_id}, in {@code embed.chord}, after the backend was told the chord size
 *       ({@link ResultBackend#setChordSize}, Redis's {@code .s} key) or, for backends without a native join,
 *       after the header group was saved and Celery's {@code celery.chord_unlock} task was sent
 *       ({@code Backend.fallback_chord_unlock}), so a Python worker joins it too;</li>
 *   <li>{@code map}/{@code starmap} as one {@code celery.map}/{@code celery.starmap} message whose kwargs carry
 *       the task signature and the items, {@code chunks} as a group of {@code celery.starmap} tasks.</li>
 * </ul>
 * Workers use {@link #applyCallback} for link callbacks, chain steps and chord bodies, which may be composite.
 * Thread-safe; the apply methods block until the broker has the messages sent now.
 */
public final class Canvas {
    /**
     * What {@code celery.chord_unlock} adds to the chord counter when it completes a chord on a backend
     * without native join, so that it and the header tasks' counting (one each) never both send the body.
     */
    static final long UNLOCK_CLAIM = 1L << 32;

    private final Celeriac app;

    /** A sender through {@code app}'s broker, routes and result backend. */
    public Canvas(Celeriac app) {
        this.app = Objects.requireNonNull(app, "app");
    }

    /**
     * Apply options a canvas passes down to its parts (the keywords of Celery's {@code apply_async}).
     * Every field is nullable.
     *
     * @param taskId the id to give (a chain's last step, a chord's body, a group's id)
     * @param parentId the parent task's id
     * @param rootId the root id; null makes a task its own root
     * @param groupId the group id ({@code group} header)
     * @param groupIndex the index in the group ({@code group_index} header)
     * @param chord the chord body to join into ({@code embed.chord})
     * @param chain the steps still to run afterwards, last first ({@code embed.chain})
     */
    record Ctx(String taskId, String parentId, String rootId, String groupId, Integer groupIndex,
               Map<String, Object> chord, List<Map<String, Object>> chain) {
        static final Ctx TOP = new Ctx(null, null, null, null, null, null, null);

        Ctx withTaskId(String id) {
            return new Ctx(id, parentId, rootId, groupId, groupIndex, chord, chain);
        }

        Ctx withChain(List<Map<String, Object>> c) {
            return new Ctx(taskId, parentId, rootId, groupId, groupIndex, chord, c);
        }

        Ctx member(String gid, Integer index, Map<String, Object> body) {
            return new Ctx(null, parentId, rootId, gid, index, body, null);
        }
    }

    // ------------------------------------------------------------------------------------------- client verbs

    /**
     * Sends a signature, simple or composite (Celery's {@code sig.apply_async()}).
     *
     * @return the result: of the task, of a chain's last step, of a chord's body, or a {@link GroupResult} for a
     *         group (and a chain ending in one)
     * @throws IllegalArgumentException when a composite signature is malformed (no tasks, no body), or a group has
     *         a {@code link} (Celery: "Cannot add link to group: use a chord")
     * @throws IllegalStateException when a chord is sent and the result backend cannot join chords (none, rpc://)
     * @throws org.celeriac.api.CeleriacException when a message cannot be encoded or handed to the broker
     */
    public AsyncResult<Object> apply(Signature sig) {
        if (needsChords(Objects.requireNonNull(sig, "sig"))) {
            chordBackend(); // refused before anything is sent
        }
        return apply(sig, List.of(), Ctx.TOP);
    }

    /** Whether applying {@code s} makes a chord (one inside, or a group followed by a step in a chain). */
    private static boolean needsChords(Signature s) {
        String type = s.subtaskType();
        if ("chord".equals(type)) {
            return true;
        }
        if ("group".equals(type) || "chain".equals(type)) {
            List<Signature> parts = s.tasks();
            for (int i = 0; i < parts.size(); i++) {
                Signature p = parts.get(i);
                if (needsChords(p) || ("chain".equals(type) && "group".equals(p.subtaskType()) && i < parts.size() - 1)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Sends a chain ({@code chain(*steps).apply_async()}): the first step now, the others from the worker as each
     * step succeeds, with the previous result prepended to mutable steps; a failure stops the chain.
     *
     * @return the last step's result handle ({@link GroupResult} when the last step is a group)
     * @throws IllegalArgumentException when {@code steps} is empty
     */
    public AsyncResult<Object> chain(List<Signature> steps) {
        if (steps == null || steps.isEmpty()) {
            throw new IllegalArgumentException("a chain needs at least one signature");
        }
        return apply(Signature.chain(steps));
    }

    /** Sends a group: every member now, each with the group id. */
    public GroupResult group(List<Signature> members) {
        return (GroupResult) apply(Signature.group(members));
    }

    /**
     * Sends a chord: the header group now; the body runs once every header task is done, with the list of
     * their results in header order, or is stored as FAILURE with {@code ChordError} when one failed.
     *
     * @return the body's result handle
     * @throws IllegalStateException when the app has no result backend that can join chords (none, or
     *         {@code rpc://}): set {@code result_backend} to redis://, a database or memory://
     */
    public AsyncResult<Object> chord(List<Signature> header, Signature body) {
        return apply(Signature.chord(header == null ? List.of() : header, body));
    }

    /**
     * Applies a signature dict from a message ({@code embed.callbacks}, {@code embed.chain}, {@code embed.chord}),
     * as a Celery worker does with {@code signature(d).apply_async((retval,), chain=..., parent_id=...,
     * root_id=...)}: the parent's result is prepended to mutable signatures, composite ones are applied as such
     * (a chord from a chain step, a group link, a chain as chord body, ...).
     *
     * @param sig the signature dict
     * @param parentResult the parent's return value (for a chord body: the list of header results)
     * @param parentId the parent task's id; nullable
     * @param rootId the root id; nullable
     * @param remainingChain the chain still to run after it (last first); nullable
     * @return the result handle of what was sent ({@link #asTuple} gives Celery's {@code children} entry)
     * @throws IllegalArgumentException when {@code sig} is no valid signature dict
     * @throws org.celeriac.api.CeleriacException when a message cannot be handed to the broker
     */
    public AsyncResult<Object> applyCallback(Map<String, Object> sig, Object parentResult, String parentId,
                                             String rootId, List<Map<String, Object>> remainingChain) {
        List<Object> partial = new ArrayList<>();
        partial.add(parentResult);
        return apply(Signature.fromMap(sig), partial,
                new Ctx(null, parentId, rootId, null, null, null,
                        remainingChain == null || remainingChain.isEmpty() ? null : remainingChain));
    }

    /**
     * Celery's {@code result.as_tuple()}: {@code [[id, null], null]} for a task, {@code [[gid, null],
     * [member tuples]]} for a group (the form of a stored {@code children} entry).
     */
    public static List<Object> asTuple(AsyncResult<?> r) {
        if (r instanceof GroupResult g) {
            List<Object> head = new ArrayList<>();
            head.add(g.id());
            head.add(null);
            List<Object> members = new ArrayList<>();
            for (AsyncResult<Object> m : g.results()) {
                members.add(asTuple(m));
            }
            List<Object> out = new ArrayList<>();
            out.add(head);
            out.add(members);
            return out;
        }
        return TaskMetaCodec.resultTuple(r.id());
    }

    /**
     * Publishes one task signature (used by the worker for errbacks).
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
        List<Object> partial = new ArrayList<>();
        if (prepend) {
            partial.add(parentResult);
        } else if (parentResult instanceof List<?> extra) {
            partial.addAll(extra);
        }
        return apply(sig, partial, new Ctx(null, parentId, rootId, group, groupIndex, chord, chain)).id();
    }

    // ------------------------------------------------------------------------------------------- dispatch

    private AsyncResult<Object> apply(Signature sig, List<Object> partial, Ctx ctx) {
        String type = sig.subtaskType();
        if (type == null || "xmap".equals(type) || "xstarmap".equals(type)) {
            return app.asyncResult(sendTask(sig, partial, ctx));
        }
        return switch (type) {
            case "chain" -> applyChain(sig, partial, ctx);
            case "group" -> applyGroup(sig, partial, ctx);
            case "chord" -> applyChord(sig, partial, ctx);
            case "chunks" -> applyGroup(chunksGroup(sig), List.of(), ctx);
            default -> throw new IllegalArgumentException("unknown subtask_type " + type);
        };
    }

    /** A task message for a task signature (or {@code celery.map}/{@code celery.starmap}); returns its id. */
    private String sendTask(Signature sig, List<Object> partial, Ctx ctx) {
        Map<String, Object> o = sig.options();
        String id = sig.taskId() != null ? sig.taskId() : ctx.taskId() != null ? ctx.taskId()
                : TaskIds.next();
        List<Object> args = new ArrayList<>();
        if (!sig.immutable()) {
            args.addAll(partial);
        }
        args.addAll(sig.args());
        Map<String, Object> kwargs = new LinkedHashMap<>(sig.kwargs());
        // Celery's group_id is an immutable option: a frozen one wins over the group it is applied in
        String group = o.get("group_id") instanceof String g ? g : ctx.groupId();
        Integer groupIndex = ctx.groupIndex() != null ? ctx.groupIndex()
                : o.get("group_index") instanceof Number n ? n.intValue() : null;
        Map<String, Object> chord = ctx.chord() != null ? ctx.chord()
                : o.get("chord") instanceof Map<?, ?> c ? Signature.cast(c) : null;
        List<Map<String, Object>> chain = ctx.chain() != null ? ctx.chain() : maps(o.get("chain"));
        String parentId = ctx.parentId() != null ? ctx.parentId()
                : o.get("parent_id") instanceof String p ? p : null;
        String rootId = ctx.rootId() != null ? ctx.rootId() : o.get("root_id") instanceof String r ? r : id;
        Instant eta = o.get("countdown") instanceof Number n ? Instant.now().plusMillis(Math.round(n.doubleValue() * 1000))
                : o.get("eta") instanceof String e ? OffsetDateTime.parse(e).toInstant() : null;
        Instant expires = o.get("expires") instanceof Number n ? Instant.now().plusMillis(Math.round(n.doubleValue() * 1000))
                : o.get("expires") instanceof String x ? OffsetDateTime.parse(x).toInstant() : null;
        // Celery routes celery.map/starmap by the inner task's name (route_name=task_name_from(kwargs.task))
        String routeName = sig.task();
        if (("xmap".equals(sig.subtaskType()) || "xstarmap".equals(sig.subtaskType()))
                && kwargs.get("task") instanceof Map<?, ?> inner && inner.get("task") instanceof String n) {
            routeName = n;
        }
        Route route = app.routes().resolve(routeName, new ArrayList<>(args), new LinkedHashMap<>(kwargs),
                o.get("queue") instanceof String q ? q : null, o.get("exchange") instanceof String e ? e : null,
                o.get("routing_key") instanceof String r ? r : null, null);
        OutgoingTask t = new OutgoingTask(id, sig.task(), args, kwargs, eta, expires, 0, null, null,
                rootId, parentId, group, groupIndex, null, app.origin(), false,
                o.get("reply_to") instanceof String r ? r : null,
                o.get("priority") instanceof Number p ? p.intValue() : route.priority(), Map.of(),
                maps(o.get("link")), maps(o.get("link_error")), chain, chord);
        String queue = route.queue();
        app.publish(t, null, route.exchange() == null ? "" : route.exchange(),
                route.routingKey() == null ? queue : route.routingKey(), queue).join();
        return id;
    }

    /** Celery's {@code _chain.run}: prepare the steps, send the first with the others in {@code embed.chain}. */
    private AsyncResult<Object> applyChain(Signature sig, List<Object> partial, Ctx ctx) {
        Map<String, Object> o = sig.options();
        Ctx eff = ctx.taskId() == null && sig.taskId() != null ? ctx.withTaskId(sig.taskId()) : ctx;
        List<Signature> steps = prepareSteps(sig.tasks(), eff, maps(o.get("link_error")));
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a chain needs at least one signature");
        }
        List<Map<String, Object>> links = maps(o.get("link"));
        if (links != null) {
            // Celery's _chain.run: the chain's link callbacks go to its last step
            Signature last = steps.get(steps.size() - 1);
            for (Map<String, Object> l : links) {
                last = last.link(Signature.fromMap(l));
            }
            steps.set(steps.size() - 1, last);
        }
        Signature first = steps.get(0);
        List<Map<String, Object>> rest = new ArrayList<>();
        for (int i = steps.size() - 1; i >= 1; i--) {
            rest.add(steps.get(i).toMap());
        }
        List<Map<String, Object>> outer = ctx.chain() != null ? ctx.chain() : maps(o.get("chain"));
        if (outer != null) {
            rest.addAll(outer);
        }
        List<Object> args = new ArrayList<>(partial);
        if (!sig.args().isEmpty() && !sig.immutable()) {
            args.addAll(sig.args());
        }
        Ctx firstCtx = new Ctx(null, eff.parentId(), eff.rootId(), null, null, null, rest.isEmpty() ? null : rest);
        AsyncResult<Object> sent = apply(first, args, firstCtx);
        return steps.size() == 1 ? sent : resultOf(steps.get(steps.size() - 1));
    }

    /**
     * Celery's {@code _chain.prepare_steps}: splices nested chains, unrolls one-member groups, upgrades a group
     * followed by a step into a chord with that step as body, and freezes every step (the last one with the
     * chain's task id, group, index and chord). Returns the steps in order.
     */
    private List<Signature> prepareSteps(List<Signature> tasks, Ctx ctx, List<Map<String, Object>> linkError) {
        Deque<Signature> pending = new ArrayDeque<>(tasks);
        Deque<Signature> out = new ArrayDeque<>();
        Signature prev = null;
        while (!pending.isEmpty()) {
            Signature task = pending.removeLast();
            boolean isLast = out.isEmpty() && prev == null;
            if ("group".equals(task.subtaskType()) && task.tasks().size() == 1) {
                task = task.tasks().get(0); // maybe_unroll_group
            }
            if ("chain".equals(task.subtaskType())) {
                pending.addAll(task.tasks());
                continue;
            }
            if ("group".equals(task.subtaskType()) && prev != null) {
                out.removeFirst();
                task = chordOf(task, prev);
                isLast = out.isEmpty();
            }
            if (linkError != null) {
                for (Map<String, Object> eb : linkError) {
                    task = task.linkError(Signature.fromMap(eb));
                }
            }
            if ("chord".equals(task.subtaskType())) {
                chordBackend();
            }
            Signature frozen = isLast ? freeze(task, ctx.taskId(), ctx.groupId(), ctx.groupIndex(), ctx.chord())
                    : freeze(task, null, null, null, null);
            out.addFirst(frozen);
            prev = frozen;
        }
        return new ArrayList<>(out);
    }

    private static Signature chordOf(Signature group, Signature body) {
        Signature c = Signature.chord(group.tasks(), body);
        return group.taskId() != null ? c.withKwargs(withHeaderId(c, group.taskId())) : c;
    }

    private static Map<String, Object> withHeaderId(Signature chord, String gid) {
        Map<String, Object> kw = new LinkedHashMap<>(chord.kwargs());
        Map<String, Object> header = Signature.group(chord.tasks()).withOption("task_id", gid).toMap();
        kw.put("header", header);
        return kw;
    }

    /**
     * Celery's {@code freeze}: assigns ids so the result is known before the message is sent; a chord's body
     * gets {@code taskId}, group and chord (a chord in a chord header reports its body to the outer chord).
     */
    private Signature freeze(Signature s, String taskId, String groupId, Integer groupIndex, Map<String, Object> chord) {
        String type = s.subtaskType();
        if ("chain".equals(type)) {
            List<Signature> steps = new ArrayList<>(s.tasks());
            if (steps.isEmpty()) {
                return s;
            }
            for (int i = 0; i < steps.size(); i++) {
                boolean last = i == steps.size() - 1;
                steps.set(i, last ? freeze(steps.get(i), taskId, groupId, groupIndex, chord)
                        : freeze(steps.get(i), null, null, null, null));
            }
            return copyOptions(s, Signature.chain(steps));
        }
        if ("chord".equals(type)) {
            String bodyId = taskId != null ? taskId : s.taskId();
            Signature body = freeze(s.body(), bodyId, groupId, groupIndex, chord);
            // frozen as Celery's chord.freeze leaves it: the header a group with its id and frozen members
            Object h = s.kwargs().get("header");
            String gid = h instanceof Map<?, ?> hm && hm.get("options") instanceof Map<?, ?> ho
                    && ho.get("task_id") instanceof String g ? g : TaskIds.next();
            List<Signature> members = new ArrayList<>();
            for (Signature m : s.tasks()) {
                members.add(freeze(m, null, null, null, null));
            }
            Map<String, Object> kw = new LinkedHashMap<>(s.kwargs());
            kw.put("header", Signature.group(members).withOption("task_id", gid).toMap());
            kw.put("body", body.toMap());
            return s.withKwargs(kw).withOption("task_id", null);
        }
        if ("group".equals(type)) {
            List<Signature> members = new ArrayList<>();
            for (Signature m : s.tasks()) {
                members.add(freeze(m, null, null, null, null));
            }
            String gid = s.taskId() != null ? s.taskId() : taskId != null ? taskId : TaskIds.next();
            return copyOptions(s, Signature.group(members)).withOption("task_id", gid);
        }
        if ("chunks".equals(type)) {
            return freeze(chunksGroup(s), taskId, groupId, groupIndex, chord);
        }
        Signature f = s.taskId() != null ? s : s.withOption("task_id", taskId != null ? taskId : TaskIds.next());
        if (groupId != null && !f.options().containsKey("group_id")) {
            f = f.withOption("group_id", groupId);
        }
        if (groupIndex != null) {
            f = f.withOption("group_index", groupIndex);
        }
        if (chord != null) {
            f = f.withOption("chord", chord);
        }
        return f;
    }

    private static Signature copyOptions(Signature from, Signature to) {
        Signature out = to;
        for (Map.Entry<String, Object> e : from.options().entrySet()) {
            out = out.withOption(e.getKey(), e.getValue());
        }
        return from.immutable() ? out.asImmutable() : out;
    }

    /** The result handle of a frozen signature. */
    private AsyncResult<Object> resultOf(Signature frozen) {
        String type = frozen.subtaskType();
        if ("chain".equals(type)) {
            List<Signature> steps = frozen.tasks();
            return resultOf(steps.get(steps.size() - 1));
        }
        if ("chord".equals(type)) {
            return resultOf(frozen.body());
        }
        if ("group".equals(type)) {
            List<AsyncResult<Object>> rs = new ArrayList<>();
            for (Signature m : unroll(frozen.tasks())) {
                rs.add(resultOf(m));
            }
            return new GroupResult(app, frozen.taskId(), rs);
        }
        return app.asyncResult(frozen.taskId());
    }

    /** Celery's {@code group.apply_async}: every member with the group id (and, in a chord header, its index). */
    private AsyncResult<Object> applyGroup(Signature sig, List<Object> partial, Ctx ctx) {
        String gid = ctx.taskId() != null ? ctx.taskId() : sig.taskId() != null ? sig.taskId()
                : TaskIds.next();
        if (sig.options().get("link") != null) {
            throw new IllegalArgumentException("Cannot add link to group: use a chord (group " + gid + ")");
        }
        List<Signature> members = unroll(sig.tasks());
        // Celery's group.link_error: every member gets the errback (it may then run more than once)
        List<Map<String, Object>> errbacks = maps(sig.options().get("link_error"));
        if (errbacks != null) {
            List<Signature> withErrbacks = new ArrayList<>();
            for (Signature m : members) {
                for (Map<String, Object> eb : errbacks) {
                    m = m.linkError(Signature.fromMap(eb));
                }
                withErrbacks.add(m);
            }
            members = withErrbacks;
        }
        List<Object> memberArgs = new ArrayList<>(partial);
        if (!sig.immutable() && !sig.args().isEmpty()) {
            memberArgs.addAll(sig.args());
        }
        List<AsyncResult<Object>> results = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            Signature m = members.get(i);
            Integer index = ctx.chord() != null ? i : null;
            Ctx mctx = new Ctx(null, ctx.parentId(), ctx.rootId(), gid, index, ctx.chord(), ctx.chain());
            if (m.isTask() || "xmap".equals(m.subtaskType()) || "xstarmap".equals(m.subtaskType())) {
                results.add(apply(m, memberArgs, mctx));
            } else {
                // a chain, chord or chunks member gets group, index and chord on its last step / body
                Signature frozen = freeze(m, null, gid, index, ctx.chord());
                apply(frozen, memberArgs, mctx.member(null, null, null).withChain(ctx.chain()));
                results.add(resultOf(frozen));
            }
        }
        return new GroupResult(app, gid, results);
    }

    private static List<Signature> unroll(List<Signature> tasks) {
        List<Signature> out = new ArrayList<>();
        for (Signature t : tasks) {
            if ("group".equals(t.subtaskType())) {
                out.addAll(unroll(t.tasks()));
            } else {
                out.add(t);
            }
        }
        return out;
    }

    /** Celery's {@code chord.run}. */
    private AsyncResult<Object> applyChord(Signature sig, List<Object> partial, Ctx ctx) {
        ResultBackend backend = chordBackend();
        Map<String, Object> o = sig.options();
        // the chord's own options (chain, link, link_error, queue...) go to the body, as Celery's run does
        Signature body = sig.body();
        for (Map.Entry<String, Object> e : o.entrySet()) {
            if (!e.getKey().equals("task_id")) {
                body = body.withOption(e.getKey(), e.getValue());
            }
        }
        if (ctx.chain() != null) {
            body = body.withOption("chain", ctx.chain());
        }
        String bodyId = ctx.taskId() != null ? ctx.taskId() : sig.taskId();
        Signature frozenBody = freeze(body, bodyId, ctx.groupId(), ctx.groupIndex(), ctx.chord());
        Object h = sig.kwargs().get("header");
        String gid = h instanceof Map<?, ?> hm && hm.get("options") instanceof Map<?, ?> ho
                && ho.get("task_id") instanceof String s ? s : TaskIds.next();
        List<Signature> header = unroll(sig.tasks());
        List<Object> headerArgs = new ArrayList<>();
        if (!sig.immutable()) {
            headerArgs.addAll(partial);
        }
        headerArgs.addAll(sig.args());
        Ctx bodyCtx = new Ctx(null, ctx.parentId(), ctx.rootId(), null, null, null, null);
        if (header.isEmpty()) {
            List<Object> empty = new ArrayList<>();
            empty.add(new ArrayList<>());
            apply(frozenBody, empty, bodyCtx);
            return resultOf(frozenBody);
        }
        Map<String, Object> bodyMap = frozenBody.toMap();
        List<Signature> frozenHeader = new ArrayList<>();
        for (int i = 0; i < header.size(); i++) {
            frozenHeader.add(freeze(header.get(i), null, null, null, null));
        }
        if (backend.nativeChordJoin()) {
            long size = 0;
            for (Signature m : frozenHeader) {
                size += descend(m);
            }
            backend.setChordSize(gid, size);
        } else {
            List<String> ids = new ArrayList<>();
            List<Object> tuples = new ArrayList<>();
            for (Signature m : frozenHeader) {
                AsyncResult<Object> r = resultOf(m);
                ids.add(r.id());
                tuples.add(asTuple(r));
            }
            backend.saveGroup(new GroupMeta(gid, ids, null));
            sendChordUnlock(gid, frozenBody, tuples);
        }
        Signature headerGroup = Signature.group(frozenHeader).withOption("task_id", gid);
        applyGroup(headerGroup, headerArgs, new Ctx(gid, ctx.parentId(), ctx.rootId(), null, null, bodyMap, null));
        return resultOf(frozenBody);
    }

    /**
     * Celery's {@code ensure_chords_allowed}: the result backend, when it can join chords.
     *
     * @throws IllegalStateException when there is none, or it keeps no groups ({@code rpc://})
     */
    private ResultBackend chordBackend() {
        ResultBackend backend = app.resultBackend().orElseThrow(() -> new IllegalStateException(
                "a chord needs a result backend: set result_backend (e.g. redis://host:6379/0, a database "
                        + "db+postgresql://... or memory://)"));
        if (!backend.nativeChordJoin() && !backend.capabilities().groups()) {
            // Celery's E_NO_CHORD_SUPPORT of the rpc backend's ensure_chords_allowed
            throw new IllegalStateException("The result backend " + backend.getClass().getSimpleName()
                    + " (result_backend) does not support chords (rpc:// keeps no groups). Note that a group "
                    + "chained with a task is also upgraded to be a chord, as it needs the same synchronization. "
                    + "Set result_backend to one that supports chords: redis://, a database (db+postgresql://, "
                    + "the embedded default) or memory://");
        }
        return backend;
    }

    /** Celery's {@code _chord._descend}: how many completions a header member contributes. */
    private static long descend(Signature s) {
        String type = s.subtaskType();
        if ("group".equals(type)) {
            long n = 0;
            for (Signature t : s.tasks()) {
                n += descend(t);
            }
            return n;
        }
        if ("chain".equals(type)) {
            List<Signature> steps = s.tasks();
            for (int i = steps.size() - 1; i >= 0; i--) {
                long n = descend(steps.get(i));
                if (n > 0) {
                    return n;
                }
            }
            return 0;
        }
        if ("chord".equals(type)) {
            return descend(s.body());
        }
        return 1;
    }

    /**
     * Celery's {@code Backend.fallback_chord_unlock}: {@code celery.chord_unlock(group_id, body, interval=None,
     * max_retries=None, result=[header result tuples])} with {@code countdown=1}, to the body's queue.
     */
    private void sendChordUnlock(String gid, Signature body, List<Object> tuples) {
        Map<String, Object> kwargs = new LinkedHashMap<>();
        kwargs.put("interval", null);
        kwargs.put("max_retries", null);
        kwargs.put("result", tuples);
        Signature unlock = new Signature("celery.chord_unlock", List.of(gid, body.toMap()), kwargs,
                Map.of("countdown", 1), false);
        if (body.options().get("queue") instanceof String q) {
            unlock = unlock.withOption("queue", q);
        } else {
            unlock = unlock.withOption("queue", app.routes().resolve(body.task(), new ArrayList<>(),
                    new LinkedHashMap<>(), null, null, null, null).queue());
        }
        if (body.options().get("priority") instanceof Number p) {
            unlock = unlock.withOption("priority", p);
        }
        sendTask(unlock, List.of(), Ctx.TOP);
    }

    /** Celery's {@code chunks.group()}: a group of {@code xstarmap(task, part)}, one per {@code n} items. */
    private static Signature chunksGroup(Signature chunks) {
        Map<String, Object> kw = chunks.kwargs();
        if (!(kw.get("task") instanceof Map<?, ?> t) || !(kw.get("it") instanceof List<?> it)
                || !(kw.get("n") instanceof Number n) || n.intValue() < 1) {
            throw new IllegalArgumentException("celery.chunks needs kwargs task (a signature), it (a list) and n "
                    + "(>= 1); got " + kw.keySet());
        }
        Signature task = Signature.fromMap(Signature.cast(t));
        List<Signature> parts = new ArrayList<>();
        for (int i = 0; i < it.size(); i += n.intValue()) {
            List<List<?>> part = new ArrayList<>();
            for (Object item : it.subList(i, Math.min(it.size(), i + n.intValue()))) {
                part.add(item instanceof List<?> l ? l : java.util.Collections.singletonList(item));
            }
            parts.add(task.starmap(part));
        }
        Signature g = Signature.group(parts);
        for (Map.Entry<String, Object> e : chunks.options().entrySet()) {
            g = g.withOption(e.getKey(), e.getValue());
        }
        return g;
    }

    static List<Map<String, Object>> maps(Object v) {
        if (v instanceof Map<?, ?> m) {
            return List.of(Signature.cast(m));
        }
        if (v instanceof List<?> l && !l.isEmpty()) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Object x : l) {
                if (x instanceof Map<?, ?> m) {
                    out.add(Signature.cast(m));
                }
            }
            return out.isEmpty() ? null : out;
        }
        return null;
    }
}
