package org.celeriac.core.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private Celeriac app(TaskRegistry registry, Map<String, Object> extra) {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Celeriac.Builder b = Celeriac.builder().set("broker_url", ns).set("result_backend", ns).registry(registry);
        extra.forEach(b::set);
        Celeriac app = b.build();
        closeables.add(0, app);
        return app;
    }

    private Worker worker(Celeriac app, int concurrency) {
        Worker w = new Worker(app, new Worker.Options("test@%h", List.of(), concurrency, Worker.Pool.THREADS, 1));
        w.start();
        closeables.add(0, w);
        return w;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private static TaskRegistry registry() {
        return TaskRegistry.of(List.of(TestTasks.add(), TestTasks.mul(), TestTasks.fail(), TestTasks.flaky()));
    }

    @Test
    void runsATaskAndStoresItsResult() {
        Celeriac app = app(registry(), Map.of());
        worker(app, 2);
        AsyncResult<Long> r = app.task("t.add", Long.class).delay(2L, 2L);
        assertThat(r.get(WAIT)).isEqualTo(4L);
        assertThat(r.state()).isEqualTo(TaskState.SUCCESS);
    }

    @Test
    void storesFailuresWithTheRemoteTypeAndTraceback() {
        Celeriac app = app(registry(), Map.of());
        worker(app, 1);
        AsyncResult<Object> r = app.task("t.fail").delay("boom");
        assertThatThrownBy(() -> r.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.excType()).isEqualTo("ValueError");
            assertThat(e.excModule()).isEqualTo("builtins");
            assertThat(e.excMessage()).isEqualTo("boom");
            assertThat(e.remoteTraceback()).contains("PythonException").contains("TestTasks");
        });
        assertThat(r.get(WAIT, false)).isInstanceOf(Map.class);
        assertThat(r.state()).isEqualTo(TaskState.FAILURE);
    }

    @Test
    void unregisteredTasksFailWithNotRegisteredAndTheWorkerGoesOn() {
        Celeriac app = app(registry(), Map.of());
        worker(app, 1);
        AsyncResult<Object> unknown = app.sendTask("nobody.knows", List.of(), Map.of(), null);
        assertThatThrownBy(() -> unknown.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.excType()).isEqualTo("NotRegistered");
            assertThat(e.excModule()).isEqualTo("celery.exceptions");
            assertThat(e.excArgs()).containsExactly("nobody.knows");
        });
        assertThat(app.task("t.add", Long.class).delay(1L, 1L).get(WAIT)).isEqualTo(2L);
    }

    @Test
    void malformedMessagesAreRejectedAndTheNextOneRuns() {
        Celeriac app = app(registry(), Map.of());
        worker(app, 1);
        app.broker().publish("", "celery", new Message(Map.of("task", "t.add", "id", "bad-1"),
                MessageProperties.builder().contentType("application/json").build(),
                "{garbage".getBytes(StandardCharsets.UTF_8))).join();
        app.broker().publish("", "celery", new Message(Map.of(),
                MessageProperties.builder().contentType("application/json").build(),
                "[1, 2]".getBytes(StandardCharsets.UTF_8))).join();
        assertThat(app.task("t.add", Long.class).delay(20L, 22L).get(WAIT)).isEqualTo(42L);
        assertThat(app.broker().messageCount("celery")).isIn(0L, -1L);
    }

    @Test
    void retriesRepublishWithIncrementedRetriesThenSucceed() {
        Celeriac app = app(registry(), Map.of());
        worker(app, 1);
        AsyncResult<Long> r = app.task("t.flaky", Long.class).delay(2L);
        assertThat(r.get(WAIT)).isEqualTo(2L);
    }

    @Test
    void countdownHoldsTheTaskUntilItsEta() {
        Celeriac app = app(registry(), Map.of());
        worker(app, 1);
        Instant sent = Instant.now();
        AsyncResult<Long> r = app.task("t.add", Long.class)
                .applyAsync(List.of(1L, 2L), null, ApplyOptions.builder().countdown(0.4).build());
        assertThat(r.get(WAIT)).isEqualTo(3L);
        assertThat(Duration.between(sent, Instant.now())).isGreaterThanOrEqualTo(Duration.ofMillis(400));
    }

    @Test
    void expiredTasksAreRevoked() {
        Celeriac app = app(registry(), Map.of());
        AsyncResult<Long> r = app.task("t.add", Long.class).applyAsync(List.of(1L, 2L), null,
                ApplyOptions.builder().expires(Instant.now().minusSeconds(1)).build());
        worker(app, 1);
        assertThatThrownBy(() -> r.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.state()).isEqualTo("REVOKED");
            assertThat(e.excType()).isEqualTo("TaskRevokedError");
            assertThat(e.excArgs()).containsExactly("expired");
        });
    }

    @Test
    void chainsSendTheNextStepWithTheResultPrepended() {
        Celeriac app = app(registry(), Map.of());
        worker(app, 1);
        String mulId = UUID.randomUUID().toString();
        Map<String, Object> mul = Map.of("task", "t.mul", "args", List.of(10L), "kwargs", Map.of(),
                "options", Map.of("task_id", mulId), "immutable", false);
        var t = new org.celeriac.core.protocol.OutgoingTask(UUID.randomUUID().toString(), "t.add", List.of(1L, 1L),
                Map.of(), null, null, 0, null, null, null, null, null, null, null, "o", false, null, null, Map.of(),
                null, null, List.of(mul), null);
        app.publish(t, null, "", "celery", "celery").join();
        assertThat(app.asyncResult(mulId).get(WAIT)).isEqualTo(20L);
    }

    @Test
    void eagerModeRunsInTheCallersThread() {
        Celeriac app = app(registry(), Map.of("task_always_eager", true));
        AsyncResult<Long> r = app.task("t.add", Long.class).delay(3L, 4L);
        assertThat(r.ready()).isTrue();
        assertThat(r.get(Duration.ZERO)).isEqualTo(7L);
        assertThat(app.task("t.flaky", Long.class).delay(2L).get(Duration.ZERO)).isEqualTo(2L);
        assertThatThrownBy(() -> app.task("t.fail").delay("x").get(Duration.ZERO)).isInstanceOf(TaskFailedException.class);
    }

    @Test
    void warmShutdownFinishesRunningTasksAndGivesPrefetchedOnesBack() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        Celeriac app = app(TaskRegistry.of(List.of(TestTasks.block(release, started))), Map.of());
        Worker w = new Worker(app, new Worker.Options("w@%h", List.of(), 1, Worker.Pool.THREADS, 4));
        w.start();
        List<AsyncResult<Object>> rs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            rs.add(app.task("t.block").delay());
        }
        assertThat(started.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        w.shutdown();
        release.countDown();
        assertThat(w.awaitTermination(WAIT)).isTrue();
        assertThat(rs.get(0).get(WAIT)).isEqualTo(true);
        await().atMost(WAIT).until(() -> app.broker().messageCount("celery") == 2);
        assertThat(rs.get(1).state()).isEqualTo(TaskState.PENDING);
    }
}
