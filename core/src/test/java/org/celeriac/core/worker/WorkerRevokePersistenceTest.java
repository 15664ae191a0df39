package org.celeriac.core.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #9: revoked ids that outlive the worker — kept in the cluster's coordination store (here {@code memory://}'s)
 * and in {@code worker_state_db} — and {@code task_reject_on_worker_lost} on a cold shutdown. Mingle is off in these
 * tests, so what a later worker knows comes from the persistence alone.
 */
class WorkerRevokePersistenceTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch started = new CountDownLatch(1);

    @TempDir
    Path dir;

    @AfterEach
    void close() throws Exception {
        release.countDown();
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private Celeriac app(Map<String, Object> settings) {
        Celeriac.Builder b = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                .set("worker_without_mingle", true)
                .registry(TaskRegistry.of(List.of(TestTasks.add(), TestTasks.block(release, started))));
        settings.forEach(b::set);
        Celeriac app = b.build();
        closeables.add(app);
        return app;
    }

    private Worker worker(Celeriac app, String name) {
        Worker w = new Worker(app, new Worker.Options(name + "@%h", List.of(), 1, Worker.Pool.THREADS, 1));
        w.start();
        closeables.add(0, w);
        return w;
    }

    private static void stop(Worker w) throws InterruptedException {
        w.shutdown();
        assertThat(w.awaitTermination(WAIT)).isTrue();
    }

    @Test
    void aWorkerStartedAfterTheOthersStoppedStillHonoursTheirRevokes() throws Exception {
        Worker a = worker(app(Map.of()), "a");
        String id = "revoked-" + UUID.randomUUID();
        a.revoke(List.of(id), false);
        stop(a);

        Celeriac app = app(Map.of());
        Worker b = worker(app, "b");
        assertThat(b.revokedSet().contains(id)).isTrue();
        AsyncResult<Long> r = app.task("t.add", Long.class).applyAsync(List.of(1L, 2L), null,
                org.celeriac.api.ApplyOptions.builder().taskId(id).build());
        assertThatThrownBy(() -> r.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.state()).isEqualTo("REVOKED"));
    }

    @Test
    void theClusterCopyIsWrittenSoonAfterARevokeNotOnlyAtShutdown() {
        Worker a = worker(app(Map.of()), "a");
        String id = "revoked-" + UUID.randomUUID();
        a.revoke(List.of(id), false);
        var coordination = a.app().broker().coordination().orElseThrow();
        await().atMost(WAIT).until(() -> coordination.get(RevokeStore.KEY)
                .map(b -> new String(b, StandardCharsets.UTF_8).contains(id)).orElse(false));
    }

    @Test
    void withoutPersistentRevokesALaterWorkerKnowsNothing() throws Exception {
        Worker a = worker(app(Map.of("worker_persistent_revokes", false)), "a");
        String id = "revoked-" + UUID.randomUUID();
        a.revoke(List.of(id), false);
        stop(a);
        Worker b = worker(app(Map.of("worker_persistent_revokes", false)), "b");
        assertThat(b.revokedSet().contains(id)).isFalse();
    }

    @Test
    void theStateDbFileKeepsRevokesAndTheClockAcrossRestarts() throws Exception {
        String db = dir.resolve("%n.state").toString();
        Map<String, Object> settings = Map.of("worker_persistent_revokes", false, "worker_state_db", db);
        Worker a = worker(app(settings), "w1");
        String id = "revoked-" + UUID.randomUUID();
        a.revoke(List.of(id), false);
        for (int i = 0; i < 10; i++) {
            a.clock().forward();
        }
        long clock = a.clock().value();
        stop(a);
        Path file = dir.resolve("w1.state");
        assertThat(Files.readString(file)).contains(id).contains("\"clock\"");

        Worker again = worker(app(settings), "w1");
        assertThat(again.revokedSet().contains(id)).isTrue();
        assertThat(again.clock().value()).isGreaterThanOrEqualTo(clock);
    }

    @Test
    void aCorruptStateDbIsMovedAsideAndTheWorkerStarts() throws Exception {
        Path file = dir.resolve("w2.state");
        Files.writeString(file, "this is not json");
        Worker w = worker(app(Map.of("worker_persistent_revokes", false, "worker_state_db", file.toString())), "w2");
        assertThat(dir.resolve("w2.state.corrupt")).hasContent("this is not json");
        assertThat(w.app().task("t.add", Long.class).delay(1L, 1L).get(WAIT)).isEqualTo(2L);
    }

    @Test
    void rejectOnWorkerLostSendsAnInterruptedAcksLateTaskBackOnAColdShutdown() throws Exception {
        Celeriac app = app(Map.of("task_reject_on_worker_lost", true));
        Worker w = worker(app, "lost");
        AsyncResult<Object> r = app.task("t.block").delay();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        w.shutdownNow();
        assertThat(w.awaitTermination(WAIT)).isTrue();
        await().atMost(WAIT).until(() -> app.broker().messageCount("celery") == 1);
        assertThat(r.state()).isEqualTo(TaskState.PENDING);
    }

    @Test
    void withoutRejectOnWorkerLostAnInterruptedAcksLateTaskFailsWithWorkerLostError() throws Exception {
        Celeriac app = app(Map.of());
        Worker w = worker(app, "lost");
        AsyncResult<Object> r = app.task("t.block").delay();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        w.shutdownNow();
        assertThat(w.awaitTermination(WAIT)).isTrue();
        assertThatThrownBy(() -> r.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("WorkerLostError"));
        assertThat(app.broker().messageCount("celery")).isZero();
    }
}
