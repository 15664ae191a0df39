package org.celeriac.core.canvas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.PythonException;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskOptions;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Chains, groups, chords and the built-in tasks on the embedded default (memory://, counter-based chord join). */
class CanvasTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    static TaskDefinition task(String name, java.util.function.Function<List<Object>, Object> body) {
        return TaskDefinition.of(name, TaskOptions.DEFAULTS, (context, args, kwargs) -> body.apply(args));
    }

    static TaskRegistry registry() {
        return TaskRegistry.of(List.of(
                task("c.add", a -> ((Number) a.get(0)).longValue() + ((Number) a.get(1)).longValue()),
                task("c.mul", a -> ((Number) a.get(0)).longValue() * ((Number) a.get(1)).longValue()),
                task("c.echo", a -> a.get(0)),
                task("c.fail", a -> {
                    throw PythonException.valueError(String.valueOf(a.get(0)));
                }),
                task("c.tsum", a -> ((List<?>) a.get(0)).stream().mapToLong(x -> ((Number) x).longValue()).sum())));
    }

    private Celeriac app() {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Celeriac app = Celeriac.builder().set("broker_url", ns).set("result_backend", ns).registry(registry()).build();
        closeables.add(0, app);
        Worker w = new Worker(app, new Worker.Options("canvas@%h", List.of(), 2, Worker.Pool.THREADS, 1));
        w.start();
        closeables.add(0, w);
        return app;
    }

    @Test
    void chainPassesResultsAlongAndImmutableStepsIgnoreThem() {
        Celeriac app = app();
        AsyncResult<Object> r = app.chain(Signature.of("c.add", 2, 2), Signature.of("c.mul", 10),
                Signature.of("c.add", 1));
        assertThat(r.get(WAIT)).isEqualTo(41L);
        AsyncResult<Object> r2 = app.chain(Signature.of("c.add", 2, 2), app.si("c.add", 5, 5));
        assertThat(r2.get(WAIT)).isEqualTo(10L);
    }

    @Test
    void aFailingStepStopsTheChain() {
        Celeriac app = app();
        Signature failing = Signature.of("c.fail", "stop").withOption("task_id", UUID.randomUUID().toString());
        AsyncResult<Object> last = app.chain(Signature.of("c.add", 1, 1), failing, Signature.of("c.add", 1));
        AsyncResult<Object> mid = app.asyncResult(failing.taskId());
        assertThatThrownBy(() -> mid.get(WAIT)).isInstanceOf(TaskFailedException.class);
        assertThat(last.state()).isEqualTo(TaskState.PENDING);
    }

    @Test
    void groupResultsComeBackInOrderAndSurviveSaveRestore() {
        Celeriac app = app();
        GroupResult g = app.group(Signature.of("c.add", 1, 1), Signature.of("c.mul", 3, 3), Signature.of("c.add", 0, 7));
        assertThat(g.get(WAIT)).containsExactly(2L, 9L, 7L);
        g.save();
        GroupResult back = GroupResult.restore(app, g.id()).orElseThrow();
        assertThat(back.taskIds()).isEqualTo(g.taskIds());
        assertThat(back.ready()).isTrue();
        assertThat(GroupResult.restore(app, "no-such-group")).isEmpty();
    }

    @Test
    void chordBodyGetsTheHeaderResultsInHeaderOrder() {
        Celeriac app = app();
        AsyncResult<Object> sum = app.chord(List.of(Signature.of("c.add", 1, 1), Signature.of("c.add", 2, 2),
                Signature.of("c.add", 3, 3)), Signature.of("c.tsum"));
        assertThat(sum.get(WAIT)).isEqualTo(12L);
        List<Signature> header = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            header.add(Signature.of("c.echo", "v" + i));
        }
        AsyncResult<Object> echoed = app.chord(header, Signature.of("c.echo"));
        assertThat(echoed.get(WAIT)).isEqualTo(List.of("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7"));
        assertThat(app.chord(List.of(), Signature.of("c.echo")).get(WAIT)).isEqualTo(List.of());
    }

    @Test
    void aFailedHeaderTaskStoresChordErrorOnTheBodyAndCallsItsErrback() {
        Celeriac app = app();
        String errbackId = UUID.randomUUID().toString();
        Signature body = Signature.of("c.tsum").linkError(Signature.of("c.echo").withOption("task_id", errbackId));
        AsyncResult<Object> r = app.chord(List.of(Signature.of("c.add", 1, 1), Signature.of("c.fail", "bad")), body);
        assertThatThrownBy(() -> r.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.excType()).isEqualTo("ChordError");
            assertThat(e.excModule()).isEqualTo("celery.exceptions");
            assertThat(e.excMessage()).contains("raised ValueError('bad')");
        });
        assertThat(app.asyncResult(errbackId).get(WAIT)).isEqualTo(r.id());
    }

    @Test
    void builtInTasksAreKnownWithoutRegistration() {
        Celeriac app = app();
        assertThat(app.sendTask("celery.accumulate", List.of(1, 2, 3), Map.of(), null).get(WAIT))
                .isEqualTo(List.of(1L, 2L, 3L));
        AsyncResult<Object> cleanup = app.sendTask("celery.backend_cleanup", List.of(), Map.of(), null);
        cleanup.get(WAIT);
        assertThat(cleanup.state()).isEqualTo(TaskState.SUCCESS);
        // celery.map as Celery's xmap sends it: no args, kwargs {task: signature, it: items}
        AsyncResult<Object> map = app.sendTask("celery.map", List.of(),
                Map.of("task", Signature.of("c.echo").toMap(), "it", List.of("a", "b")), null);
        assertThat(map.get(WAIT)).isEqualTo(List.of("a", "b"));
        AsyncResult<Object> chain = app.sendTask("celery.chain", List.of(), Map.of(), null);
        assertThatThrownBy(() -> chain.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.excType()).isEqualTo("NotImplementedError");
            assertThat(e.excMessage()).isEqualTo("chain is not a real task");
        });
        AsyncResult<Object> bad = app.sendTask("celery.starmap", List.of(Signature.of("c.add").toMap(), List.of(1)),
                Map.of(), null);
        assertThatThrownBy(() -> bad.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.excType()).isEqualTo("TypeError");
            assertThat(e.excMessage()).contains("celery.starmap").contains("argument list");
        });
        AsyncResult<Object> unknown = app.sendTask("celery.map", List.of(Signature.of("c.nope").toMap(), List.of(1)),
                Map.of(), null);
        assertThatThrownBy(() -> unknown.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("NotRegistered"));
    }

    @Test
    void mapStarmapAndChunksRunAsCeleryDoes() {
        Celeriac app = app();
        assertThat(app.apply(Signature.of("c.echo").map(List.of(1, "x", 3))).get(WAIT))
                .isEqualTo(List.of(1L, "x", 3L));
        assertThat(app.apply(Signature.of("c.add").starmap(List.of(List.of(1, 2), List.of(10, 20)))).get(WAIT))
                .isEqualTo(List.of(3L, 30L));
        List<List<?>> pairs = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            pairs.add(List.of(i, i));
        }
        AsyncResult<Object> chunks = app.apply(Signature.of("c.add").chunks(pairs, 3));
        assertThat(chunks).isInstanceOf(GroupResult.class);
        assertThat(((GroupResult) chunks).taskIds()).hasSize(3);
        assertThat(chunks.get(WAIT)).isEqualTo(List.of(List.of(0L, 2L, 4L), List.of(6L, 8L, 10L), List.of(12L)));
        // the celery.chunks task itself (what a worker runs for chunks sent as a task) sends the same group
        AsyncResult<Object> viaTask = app.sendTask("celery.chunks", List.of(Signature.of("c.add").toMap(),
                List.of(List.of(1, 1), List.of(2, 2)), 1), Map.of(), null);
        @SuppressWarnings("unchecked")
        List<Object> tuple = (List<Object>) viaTask.get(WAIT);
        @SuppressWarnings("unchecked")
        List<List<List<Object>>> members = (List<List<List<Object>>>) tuple.get(1);
        assertThat(members).hasSize(2);
        assertThat(app.asyncResult((String) members.get(1).get(0).get(0)).get(WAIT)).isEqualTo(List.of(4L));
        assertThatThrownBy(() -> Signature.of("c.add").chunks(pairs, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("n >= 1");
    }

    @Test
    void aGroupOfChainsRunsEachChainAndCollectsTheirLastResults() {
        Celeriac app = app();
        AsyncResult<Object> r = app.apply(Signature.group(
                Signature.chain(Signature.of("c.add", 1, 1), Signature.of("c.mul", 10)),
                Signature.chain(Signature.of("c.add", 2, 2), Signature.of("c.mul", 10), Signature.of("c.add", 1)),
                Signature.of("c.echo", "plain")));
        assertThat(r).isInstanceOf(GroupResult.class);
        assertThat(r.get(WAIT)).isEqualTo(List.of(20L, 41L, "plain"));
        assertThat(r.state()).isEqualTo(TaskState.SUCCESS);
    }

    @Test
    void aChordBodyCanBeAChainAndPartialArgsReachTheHeader() {
        Celeriac app = app();
        AsyncResult<Object> r = app.apply(Signature.chord(List.of(Signature.of("c.add", 1, 1),
                Signature.of("c.add", 2, 2)), Signature.chain(Signature.of("c.tsum"), Signature.of("c.mul", 10))));
        assertThat(r.get(WAIT)).isEqualTo(60L);
        // the celery.chord task (Celery's backward-compatible form) applies the chord it carries
        String bodyId = UUID.randomUUID().toString();
        app.sendTask("celery.chord", List.of(List.of(Signature.of("c.add", 5).toMap(), Signature.of("c.add", 6).toMap()),
                Signature.of("c.tsum").withOption("task_id", bodyId).toMap(), List.of(1)), Map.of(), null);
        assertThat(app.asyncResult(bodyId).get(WAIT)).isEqualTo(13L);
    }

    @Test
    void chordUnlockAsPythonSendsItJoinsTheHeaderAndSendsTheBody() {
        Celeriac app = app();
        String late = UUID.randomUUID().toString();
        AsyncResult<Object> first = app.sendTask("c.add", List.of(1, 2), Map.of(), null);
        String bodyId = UUID.randomUUID().toString();
        Map<String, Object> body = Signature.of("c.tsum").withOption("task_id", bodyId).toMap();
        List<Object> tuples = List.of(List.of(java.util.Arrays.asList(first.id(), null), java.util.Collections.emptyList()),
                java.util.Arrays.asList(java.util.Arrays.asList(late, null), null));
        // celery.chord_unlock(group_id, callback, interval=0.05, max_retries=None, result=[tuples]) as
        // Backend.fallback_chord_unlock sends it; the second header task is sent only afterwards
        app.sendTask("celery.chord_unlock", List.of("g-" + bodyId, body),
                Map.of("interval", 0.05, "result", tuples), null);
        app.sendTask("c.add", List.of(10, 20), Map.of(), org.celeriac.api.ApplyOptions.builder().taskId(late).build());
        assertThat(app.asyncResult(bodyId).get(WAIT)).isEqualTo(33L);
    }

    @Test
    void aRevokedHeaderTaskAlsoFailsTheChord() {
        Celeriac app = app();
        Signature expired = Signature.of("c.add", 1, 1).withOption("expires", -1);
        AsyncResult<Object> r = app.chord(List.of(Signature.of("c.add", 2, 2), expired), Signature.of("c.tsum"));
        assertThatThrownBy(() -> r.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.excType()).isEqualTo("ChordError");
            assertThat(e.excMessage()).contains("TaskRevokedError('expired')");
        });
    }

    @Test
    void linkErrorCallbacksGetTheFailedTaskIdAndLinkCallbacksTheResult() {
        Celeriac app = app();
        String errbackId = UUID.randomUUID().toString();
        AsyncResult<Object> failed = app.apply(Signature.of("c.fail", "x")
                .linkError(Signature.of("c.echo").withOption("task_id", errbackId)));
        assertThat(app.asyncResult(errbackId).get(WAIT)).isEqualTo(failed.id());
        String linkId = UUID.randomUUID().toString();
        app.apply(Signature.of("c.add", 20, 1).link(Signature.of("c.mul", 2).withOption("task_id", linkId)));
        assertThat(app.asyncResult(linkId).get(WAIT)).isEqualTo(42L);
    }

    @Test
    void linksOnAChainGoToItsLastStepErrbacksToEveryStepAndToEveryGroupMember() {
        Celeriac app = app();
        String linkId = UUID.randomUUID().toString();
        app.apply(Signature.chain(Signature.of("c.add", 1, 1), Signature.of("c.mul", 10))
                .link(Signature.of("c.echo").withOption("task_id", linkId)));
        assertThat(app.asyncResult(linkId).get(WAIT)).isEqualTo(20L);
        String failingId = UUID.randomUUID().toString();
        String errbackId = UUID.randomUUID().toString();
        app.apply(Signature.chain(Signature.of("c.add", 1, 1), Signature.of("c.fail", "x").withOption("task_id", failingId),
                Signature.of("c.add", 1)).linkError(Signature.of("c.echo").withOption("task_id", errbackId)));
        assertThat(app.asyncResult(errbackId).get(WAIT)).isEqualTo(failingId);
        String groupErrback = UUID.randomUUID().toString();
        GroupResult g = (GroupResult) app.apply(Signature.group(Signature.of("c.add", 1, 1), Signature.of("c.fail", "y"))
                .linkError(Signature.of("c.echo").withOption("task_id", groupErrback)));
        assertThat(app.asyncResult(groupErrback).get(WAIT)).isEqualTo(g.taskIds().get(1));
        assertThat(g.state()).isEqualTo(TaskState.FAILURE);
        assertThatThrownBy(() -> app.apply(Signature.group(Signature.of("c.add", 1, 1)).link(Signature.of("c.echo"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Cannot add link to group: use a chord");
    }

    @Test
    void chordsInAChordHeaderAndInAGroupReportTheirBodiesToTheOuterCanvas() {
        Celeriac app = app();
        Signature inner = Signature.chord(List.of(Signature.of("c.add", 1, 1), Signature.of("c.add", 2, 2)),
                Signature.of("c.tsum"));
        assertThat(app.chord(List.of(inner, Signature.of("c.add", 10, 10)), Signature.of("c.tsum")).get(WAIT))
                .isEqualTo(26L);
        assertThat(app.apply(Signature.group(inner, Signature.chord(List.of(Signature.of("c.mul", 3, 3)),
                Signature.of("c.tsum")))).get(WAIT)).isEqualTo(List.of(6L, 9L));
    }

    @Test
    void chordUnlockGivesUpAfterMaxRetriesAsCeleryDoes() {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        Celeriac app = Celeriac.builder().set("broker_url", ns).set("result_backend", ns).registry(registry())
                .taskListener(new org.celeriac.api.TaskListener() {
                    @Override
                    public void taskRetry(String taskId, String taskName, Throwable reason) {
                        events.add("retry " + taskName);
                    }

                    @Override
                    public void taskFailure(String taskId, String taskName, Throwable exception, String traceback) {
                        events.add("failure " + taskName + " " + exception.getClass().getSimpleName());
                    }
                }).build();
        closeables.add(0, app);
        Worker w = new Worker(app, new Worker.Options("unlock@%h", List.of(), 1, Worker.Pool.THREADS, 1));
        w.start();
        closeables.add(0, w);
        String never = UUID.randomUUID().toString();
        String bodyId = UUID.randomUUID().toString();
        app.sendTask("celery.chord_unlock", List.of("g-" + bodyId, Signature.of("c.tsum").withOption("task_id", bodyId)
                        .toMap()),
                Map.of("interval", 0.05, "max_retries", 2, "result",
                        List.of(List.of(java.util.Arrays.asList(never, null), java.util.Collections.emptyList()))), null);
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e.startsWith("failure")));
        assertThat(events).containsExactly("retry celery.chord_unlock", "retry celery.chord_unlock",
                "failure celery.chord_unlock MaxRetriesExceededException");
        assertThat(app.asyncResult(bodyId).state()).isEqualTo(TaskState.PENDING);
    }

    /** The messages a client sends, decoded, from a memory:// broker that no worker consumes. */
    private List<org.celeriac.core.protocol.TaskMessage> sent(Celeriac app, int n) {
        List<org.celeriac.core.protocol.TaskMessage> out = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<org.celeriac.spi.broker.Delivery> deliveries = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.celeriac.spi.broker.Consumer c = app.broker().consume(List.of(app.defaultQueue()), 100, d -> {
            deliveries.add(d);
            out.add(app.protocol().decode(d));
        });
        try {
            org.awaitility.Awaitility.await().atMost(WAIT).until(() -> out.size() >= n);
            deliveries.forEach(c::ack);
        } finally {
            c.close();
        }
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void nestedCanvasesAreSentInCeleryWireForm() {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Celeriac app = Celeriac.builder().set("broker_url", ns).set("result_backend", ns).registry(registry()).build();
        closeables.add(0, app);
        // chain(a, b, c): the first task now, embed.chain = [c, b] (next step last), ids frozen
        AsyncResult<Object> last = app.chain(Signature.of("c.add", 1, 1), Signature.of("c.mul", 2),
                Signature.of("c.add", 3));
        // chain(add, group(mul, mul), tsum): the group and tsum become one chord step
        AsyncResult<Object> body = app.chain(Signature.of("c.add", 1, 1), Signature.group(Signature.of("c.mul", 10),
                Signature.of("c.mul", 100)), Signature.of("c.tsum"));
        List<org.celeriac.core.protocol.TaskMessage> msgs = sent(app, 2);
        org.celeriac.core.protocol.TaskMessage chain = msgs.get(0);
        assertThat(chain.chain()).extracting(m -> m.get("task")).containsExactly("c.add", "c.mul");
        assertThat(((Map<String, Object>) chain.chain().get(0).get("options")).get("task_id")).isEqualTo(last.id());
        org.celeriac.core.protocol.TaskMessage first = msgs.get(1);
        assertThat(first.task()).isEqualTo("c.add");
        assertThat(first.chain()).hasSize(1);
        Map<String, Object> chord = first.chain().get(0);
        assertThat(chord).containsEntry("task", "celery.chord").containsEntry("subtask_type", "chord");
        Map<String, Object> kw = (Map<String, Object>) chord.get("kwargs");
        Map<String, Object> header = (Map<String, Object>) kw.get("header");
        assertThat(header).containsEntry("task", "celery.group").containsEntry("subtask_type", "group");
        assertThat(((Map<String, Object>) header.get("options")).get("task_id")).isInstanceOf(String.class);
        assertThat((List<Map<String, Object>>) ((Map<String, Object>) header.get("kwargs")).get("tasks"))
                .extracting(m -> m.get("task")).containsExactly("c.mul", "c.mul");
        Map<String, Object> chordBody = (Map<String, Object>) kw.get("body");
        assertThat(chordBody.get("task")).isEqualTo("c.tsum");
        assertThat(((Map<String, Object>) chordBody.get("options")).get("task_id")).isEqualTo(body.id());
        // a chord on a backend without native join (memory://): the header group saved, header tasks with the
        // group, their index and the body in embed.chord, and celery.chord_unlock(gid, body, result=[tuples])
        AsyncResult<Object> r = app.chord(List.of(Signature.of("c.add", 1, 1), Signature.of("c.add", 2, 2)),
                Signature.of("c.tsum"));
        List<org.celeriac.core.protocol.TaskMessage> all = sent(app, 3);
        org.celeriac.core.protocol.TaskMessage unlock = all.stream().filter(m -> m.task().equals("celery.chord_unlock"))
                .findFirst().orElseThrow();
        List<org.celeriac.core.protocol.TaskMessage> chordMsgs = new ArrayList<>(List.of(unlock));
        all.stream().filter(m -> m != unlock).forEach(chordMsgs::add);
        assertThat(unlock.task()).isEqualTo("celery.chord_unlock");
        assertThat(unlock.eta()).isNotNull();
        String gid = (String) unlock.args().get(0);
        assertThat(((Map<String, Object>) ((Map<String, Object>) unlock.args().get(1)).get("options")).get("task_id"))
                .isEqualTo(r.id());
        assertThat((List<Object>) unlock.kwargs().get("result")).hasSize(2);
        assertThat(chordMsgs.subList(1, 3)).allSatisfy(m -> {
            assertThat(m.group()).isEqualTo(gid);
            assertThat(((Map<String, Object>) m.chord().get("options")).get("task_id")).isEqualTo(r.id());
        });
        assertThat(chordMsgs.subList(1, 3)).extracting(org.celeriac.core.protocol.TaskMessage::groupIndex)
                .containsExactly(0, 1);
        assertThat(GroupResult.restore(app, gid).orElseThrow().taskIds())
                .containsExactly(chordMsgs.get(1).id(), chordMsgs.get(2).id());
    }

    @Test
    void nestedCanvasesRunOnTheJavaWorker() {
        Celeriac app = app();
        // chain(add, group(mul, mul), tsum): the worker applies the chord (group + tsum) from embed.chain
        assertThat(app.chain(Signature.of("c.add", 1, 1), Signature.group(Signature.of("c.mul", 10),
                Signature.of("c.mul", 100)), Signature.of("c.tsum")).get(WAIT)).isEqualTo(220L);
        // chains in a chord header: their last steps carry the chord
        assertThat(app.chord(List.of(Signature.chain(Signature.of("c.add", 1, 1), Signature.of("c.mul", 10)),
                Signature.chain(Signature.of("c.add", 2, 2), Signature.of("c.mul", 10))), Signature.of("c.tsum"))
                .get(WAIT)).isEqualTo(60L);
        // a chain of chords: the second chord is applied by the worker after the first one's body
        assertThat(app.chain(Signature.chord(List.of(Signature.of("c.add", 1, 1), Signature.of("c.add", 2, 2)),
                Signature.of("c.tsum")), Signature.chord(List.of(Signature.of("c.mul", 2), Signature.of("c.mul", 3)),
                Signature.of("c.tsum"))).get(WAIT)).isEqualTo(30L);
        assertThat(app.chain(Signature.of("c.add", 1, 1), Signature.group(Signature.of("c.mul", 10),
                Signature.of("c.mul", 100))).get(WAIT)).isEqualTo(List.of(20L, 200L));
        // a group as link callback: each member gets the parent's result
        String a = UUID.randomUUID().toString();
        String b = UUID.randomUUID().toString();
        app.apply(Signature.of("c.add", 1, 2).link(Signature.group(Signature.of("c.mul", 10).withOption("task_id", a),
                Signature.of("c.mul", 100).withOption("task_id", b))));
        assertThat(app.asyncResult(a).get(WAIT)).isEqualTo(30L);
        assertThat(app.asyncResult(b).get(WAIT)).isEqualTo(300L);
    }

}
