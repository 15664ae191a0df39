package org.celeriac.core.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskOptions;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import org.celeriac.core.registry.TaskRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every remote-control command of the worker, through a {@link ControlClient} on memory://. */
class WorkerControlTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ControlOptions ONE = ControlOptions.defaults().withTimeout(WAIT).withLimit(1);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch started = new CountDownLatch(1);

    private Celeriac app(Map<String, Object> extra) {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Celeriac.Builder b = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                .registry(TaskRegistry.of(List.of(TestTasks.add(), TestTasks.block(release, started),
                        TestTasks.task("t.limited", new TaskOptions(null, "2/s", null, null, null, null, null, null, null,
                                null), (c, a) -> 1L),
                        TestTasks.task("t.interruptible", TaskOptions.DEFAULTS, (c, a) -> {
                            started.countDown();
                            try {
                                return release.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return "interrupted";
                            }
                        }))));
        extra.forEach(b::set);
        Celeriac app = b.build();
        closeables.add(app);
        return app;
    }

    private Worker worker(Celeriac app, String node, int concurrency, Worker.Pool pool) {
        Worker w = new Worker(app, new Worker.Options(node, List.of(), concurrency, pool, 4));
        w.start();
        closeables.add(0, w);
        return w;
    }

    private ControlClient client(Celeriac app) {
        ControlClient c = new ControlClient(app);
        closeables.add(0, c);
        return c;
    }

    @AfterEach
    void close() throws Exception {
        release.countDown();
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T reply(Map<String, Object> replies, Worker w) {
        assertThat(replies).containsKey(w.nodeName());
        return (T) replies.get(w.nodeName());
    }

    @Test
    void every_worker_answers_ping_and_a_destination_reaches_only_its_node() {
        Celeriac app = app(Map.of());
        Worker w1 = worker(app, "w1@%h", 1, Worker.Pool.THREADS);
        Worker w2 = worker(app, "w2@%h", 1, Worker.Pool.THREADS);
        ControlClient c = client(app);

        Map<String, Object> all = c.ping(ControlOptions.defaults().withTimeout(Duration.ofMillis(800)));
        assertThat(all).containsOnlyKeys(w1.nodeName(), w2.nodeName());
        assertThat(all.get(w1.nodeName())).isEqualTo(Map.of("ok", "pong"));
        assertThat(c.ping(ControlOptions.defaults().withDestination(List.of(w2.nodeName())).withTimeout(WAIT)))
                .containsOnlyKeys(w2.nodeName());
    }

    @Test
    void stats_has_celerys_shape_with_the_clock_as_a_string_and_totals_per_task() {
        Celeriac app = app(Map.of());
        Worker w = worker(app, "stats@%h", 3, Worker.Pool.THREADS);
        assertThat(app.task("t.add", Long.class).delay(1L, 2L).get(WAIT)).isEqualTo(3L);

        Map<String, Object> stats = reply(client(app).call("stats", Map.of(), ONE), w);

        assertThat(stats).containsKeys("total", "pid", "clock", "uptime", "pool", "broker", "prefetch_count", "rusage");
        assertThat(stats.get("clock")).isInstanceOf(String.class);
        assertThat(stats.get("total")).isEqualTo(Map.of("t.add", 1L));
        assertThat(stats.get("pid")).isEqualTo(ProcessHandle.current().pid());
        assertThat(stats.get("prefetch_count")).isEqualTo(12L);
        assertThat((Map<String, Object>) stats.get("pool")).containsEntry("max-concurrency", 3L)
                .containsKeys("processes", "max-tasks-per-child", "timeouts")
                .containsEntry("leaked-threads", 0L).containsEntry("max-leaked-threads", 10L)
                .containsEntry("pool-restarts", 0L);
        assertThat((Map<String, Object>) stats.get("broker")).containsEntry("transport", "memory")
                .containsKeys("hostname", "userid", "virtual_host", "port", "ssl").doesNotContainKey("password");
    }

    @Test
    void pool_restart_is_refused_unless_worker_pool_restarts_then_replaces_the_pool_threads() {
        Celeriac off = app(Map.of());
        Worker w1 = worker(off, "norestart@%h", 2, Worker.Pool.THREADS);
        Map<String, Object> refused = reply(client(off).call("pool_restart", Map.of(), ONE), w1);
        assertThat(refused).containsEntry("error", "ValueError('Pool restarts not enabled')");

        Celeriac on = app(Map.of("worker_pool_restarts", true));
        Worker w = worker(on, "restart@%h", 2, Worker.Pool.THREADS);
        List<String> before = w.poolThreads().stream().map(Thread::getName).toList();
        Map<String, Object> ok = reply(client(on).call("pool_restart", Map.of("reload", false), ONE), w);
        assertThat(ok).containsEntry("ok", "reload started");
        await().atMost(WAIT).untilAsserted(() -> assertThat(w.poolThreads()).hasSize(2)
                .noneMatch(t -> before.contains(t.getName())));
        assertThat(on.task("t.add", Long.class).delay(2L, 2L).get(WAIT)).isEqualTo(4L);
        Map<String, Object> stats = reply(client(on).call("stats", Map.of(), ONE), w);
        assertThat(((Map<?, ?>) stats.get("pool")).get("pool-restarts")).isEqualTo(1L);
    }

    @Test
    void active_reserved_and_query_task_show_running_and_prefetched_requests() throws Exception {
        Celeriac app = app(Map.of());
        Worker w = worker(app, "act@%h", 1, Worker.Pool.THREADS);
        AsyncResult<Object> running = app.task("t.block").delay();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        AsyncResult<Object> waiting = app.task("t.add").delay(1L, 1L);
        ControlClient c = client(app);
        await().atMost(WAIT).until(() -> !((List<Object>) reply(c.call("reserved", Map.of(), ONE), w)).isEmpty());

        List<Map<String, Object>> active = reply(c.call("active", Map.of("safe", false), ONE), w);
        assertThat(active).hasSize(1);
        Map<String, Object> info = active.get(0);
        assertThat(info).containsEntry("id", running.id()).containsEntry("name", "t.block").containsEntry("type", "t.block")
                .containsEntry("hostname", w.nodeName()).containsEntry("acknowledged", false) // acks_late task
                .containsEntry("args", List.of()).containsEntry("kwargs", Map.of());
        assertThat(info.get("time_start")).isInstanceOf(Double.class);
        assertThat((Map<String, Object>) info.get("delivery_info")).containsKeys("exchange", "routing_key", "priority",
                "redelivered");
        List<Map<String, Object>> reserved = reply(c.call("reserved", Map.of(), ONE), w);
        assertThat(reserved).extracting(m -> m.get("id")).containsExactly(waiting.id());
        assertThat(reserved.get(0).get("time_start")).isNull();

        Map<String, Object> q = reply(c.call("query_task", Map.of("ids", List.of(running.id(), waiting.id(), "nope")), ONE), w);
        assertThat(q).containsOnlyKeys(running.id(), waiting.id());
        assertThat(((List<?>) q.get(running.id())).get(0)).isEqualTo("active");
        assertThat(((List<?>) q.get(waiting.id())).get(0)).isEqualTo("reserved");
        List<Map<String, Object>> safe = reply(c.call("active", Map.of("safe", true), ONE), w);
        assertThat(safe.get(0).get("args")).isEqualTo("()");
    }

    @Test
    void revoking_a_held_countdown_task_stores_revoked_and_acks_it() {
        Celeriac app = app(Map.of());
        Worker w = worker(app, "rev@%h", 1, Worker.Pool.THREADS);
        AsyncResult<Long> r = app.task("t.add", Long.class).applyAsync(List.of(1L, 2L), null,
                ApplyOptions.builder().countdown(30).build());
        ControlClient c = client(app);
        await().atMost(WAIT).until(() -> !((List<Object>) reply(c.call("scheduled", Map.of(), ONE), w)).isEmpty());
        List<Map<String, Object>> scheduled = reply(c.call("scheduled", Map.of(), ONE), w);
        assertThat(scheduled.get(0)).containsEntry("priority", 6L).containsKey("eta");
        assertThat((String) scheduled.get(0).get("eta")).endsWith("+00:00");
        assertThat(((Map<?, ?>) scheduled.get(0).get("request")).get("id")).isEqualTo(r.id());

        Map<String, Object> ok = reply(c.call("revoke", Map.of("task_id", r.id()), ONE), w);

        assertThat(ok).isEqualTo(Map.of("ok", "tasks " + r.id() + " flagged as revoked"));
        assertRevoked(r, "revoked");
        assertThat((List<Object>) reply(c.call("revoked", Map.of(), ONE), w)).containsExactly(r.id());
        assertThat((List<Object>) reply(c.call("scheduled", Map.of(), ONE), w)).isEmpty();
        assertThat(app.broker().messageCount("celery")).isZero();
    }

    @Test
    void a_revoked_id_applies_to_a_message_that_arrives_later() {
        Celeriac app = app(Map.of());
        Worker w = worker(app, "late@%h", 1, Worker.Pool.THREADS);
        String id = UUID.randomUUID().toString();
        client(app).call("revoke", Map.of("task_id", List.of(id)), ONE);

        AsyncResult<Object> r = app.task("t.add").applyAsync(List.of(1L, 1L), null, ApplyOptions.builder().taskId(id).build());

        assertRevoked(r, "revoked");
        assertThat(w.processed()).isZero();
    }

    @Test
    void terminate_interrupts_a_running_task_which_ends_revoked() throws Exception {
        Celeriac app = app(Map.of());
        Worker w = worker(app, "term@%h", 1, Worker.Pool.THREADS);
        AsyncResult<Object> r = app.task("t.interruptible").delay();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        Map<String, Object> ok = reply(client(app).call("revoke", Map.of("task_id", r.id(), "terminate", true,
                "signal", "SIGTERM"), ONE), w);

        assertThat(ok).isEqualTo(Map.of("ok", "terminate: " + r.id()));
        assertRevoked(r, "terminated");
    }

    private static void assertRevoked(AsyncResult<?> r, String reason) {
        await().atMost(WAIT).until(() -> r.state() == TaskState.REVOKED);
        try {
            r.get(WAIT);
            throw new AssertionError("a revoked task must not succeed");
        } catch (TaskFailedException e) {
            assertThat(e.excType()).isEqualTo("TaskRevokedError");
            assertThat(e.excArgs()).containsExactly(reason);
        }
    }

    @Test
    void rate_limit_and_time_limit_reply_as_celery_and_registered_shows_the_limit() {
        Celeriac app = app(Map.of());
        Worker w = worker(app, "rl@%h", 1, Worker.Pool.THREADS);
        ControlClient c = client(app);

        assertThat((List<Object>) reply(c.call("registered", Map.of("taskinfoitems", List.of()), ONE), w))
                .containsExactly("t.add", "t.block", "t.interruptible", "t.limited [rate_limit=2/s]");
        assertThat((Object) reply(c.call("rate_limit", Map.of("task_name", "t.add", "rate_limit", "10/m"), ONE), w))
                .isEqualTo(Map.of("ok", "new rate limit set successfully"));
        assertThat((List<Object>) reply(c.call("registered", Map.of(), ONE), w)).contains("t.add [rate_limit=10/m]");
        assertThat((Object) reply(c.call("rate_limit", Map.of("task_name", "t.limited", "rate_limit", ""), ONE), w))
                .isEqualTo(Map.of("ok", "rate limit disabled successfully"));
        assertThat((List<Object>) reply(c.call("registered", Map.of(), ONE), w)).contains("t.limited");
        assertThat((Object) reply(c.call("rate_limit", Map.of("task_name", "t.nope", "rate_limit", "1/s"), ONE), w))
                .isEqualTo(Map.of("error", "unknown task"));
        assertThat((Object) reply(c.call("rate_limit", Map.of("task_name", "t.add", "rate_limit", "abc"), ONE), w))
                .isEqualTo(Map.of("error", "Invalid rate limit string: "
                        + "ValueError(\"could not convert string to float: 'abc'\"); rate_limit accepts " + RateLimits.FORMS));
        assertThat((Object) reply(c.call("rate_limit", Map.of("task_name", "t.add", "rate_limit", "ten per minute"), ONE), w))
                .isEqualTo(Map.of("error", "Invalid rate limit string: "
                        + "ValueError(\"could not convert string to float: 'ten per minute'\"); rate_limit accepts "
                        + "'10/m', '100/s', '5/h' or a number of tasks per second such as 2.5"));
        assertThat((Object) reply(c.call("rate_limit", Map.of("task_name", "t.add", "rate_limit", "10/x"), ONE), w))
                .isEqualTo(Map.of("error", "Invalid rate limit string: KeyError('x'); rate_limit accepts "
                        + RateLimits.FORMS));
        assertThat((Object) reply(c.call("time_limit", Map.of("task_name", "t.add", "soft", 10L, "hard", 20L), ONE), w))
                .isEqualTo(Map.of("ok", "time limits set successfully"));
        assertThat((List<Object>) reply(c.call("registered", Map.of("taskinfoitems", List.of("time_limit", "soft_time_limit")),
                ONE), w)).contains("t.add [time_limit=20.0 soft_time_limit=10.0]");
        assertThat((Object) reply(c.call("time_limit", Map.of("task_name", "t.nope"), ONE), w))
                .isEqualTo(Map.of("error", "unknown task"));
    }

    @Test
    void add_consumer_and_cancel_consumer_change_the_consumed_queues() {
        Celeriac app = app(Map.of());
        Worker w = worker(app, "q@%h", 1, Worker.Pool.THREADS);
        ControlClient c = client(app);

        assertThat((Object) reply(c.call("add_consumer", Map.of("queue", "extra"), ONE), w))
                .isEqualTo(Map.of("ok", "add consumer extra"));
        assertThat(app.task("t.add", Long.class).applyAsync(List.of(2L, 3L), null,
                ApplyOptions.builder().queue("extra").build()).get(WAIT)).isEqualTo(5L);
        List<Map<String, Object>> queues = reply(c.call("active_queues", Map.of(), ONE), w);
        assertThat(queues).extracting(q -> q.get("name")).containsExactly("celery", "extra");
        assertThat((Map<String, Object>) queues.get(1).get("exchange")).containsEntry("name", "extra")
                .containsEntry("type", "direct");
        assertThat(queues.get(1)).containsEntry("routing_key", "extra").containsKeys("queue_arguments", "no_ack", "durable");

        assertThat((Object) reply(c.call("cancel_consumer", Map.of("queue", "extra"), ONE), w))
                .isEqualTo(Map.of("ok", "no longer consuming from extra"));
        assertThat(w.queues()).containsExactly("celery");
        app.task("t.add").applyAsync(List.of(1L, 1L), null, ApplyOptions.builder().queue("extra").build());
        assertThat(app.task("t.add", Long.class).delay(4L, 4L).get(WAIT)).isEqualTo(8L);
        await().atMost(WAIT).until(() -> app.broker().messageCount("extra") == 1L);
    }

    @Test
    void pool_grow_and_shrink_resize_a_thread_pool_and_solo_answers_celerys_error() {
        Celeriac app = app(Map.of());
        Worker w = worker(app, "pool@%h", 2, Worker.Pool.THREADS);
        ControlClient c = client(app);

        assertThat((Object) reply(c.call("pool_grow", Map.of("n", 2L), ONE), w)).isEqualTo(Map.of("ok", "pool will grow"));
        assertThat(w.concurrency()).isEqualTo(4);
        assertThat(((Map<?, ?>) reply(c.call("stats", Map.of(), ONE), w)).get("prefetch_count")).isEqualTo(16L);
        assertThat((Object) reply(c.call("pool_shrink", Map.of("n", 3L), ONE), w)).isEqualTo(Map.of("ok", "pool will shrink"));
        assertThat(w.concurrency()).isEqualTo(1);
        assertThat(((Map<?, ?>) reply(c.call("pool_shrink", Map.of("n", 1L), ONE), w)).get("error").toString())
                .startsWith("ValueError(");
        assertThat(app.task("t.add", Long.class).delay(1L, 1L).get(WAIT)).isEqualTo(2L);

        Worker solo = worker(app, "solo@%h", 1, Worker.Pool.SOLO);
        assertThat((Object) reply(c.call("pool_grow", Map.of("n", 1L),
                ONE.withDestination(List.of(solo.nodeName()))), solo))
                .isEqualTo(Map.of("error", "AttributeError(\"'TaskPool' object has no attribute 'grow'\")"));
    }

    @Test
    void events_flags_heartbeat_clock_hello_conf_and_report_answer_like_celery() {
        Celeriac app = app(Map.of("my_api_key", "s3cret", "some_url", "redis://:pw@h:6379/0"));
        Worker w = worker(app, "misc@%h", 1, Worker.Pool.THREADS);
        ControlClient c = client(app);

        assertThat((Object) reply(c.call("enable_events", Map.of(), ONE), w)).isEqualTo(Map.of("ok", "task events enabled"));
        assertThat((Object) reply(c.call("enable_events", Map.of(), ONE), w))
                .isEqualTo(Map.of("ok", "task events already enabled"));
        assertThat((Object) reply(c.call("disable_events", Map.of(), ONE), w)).isEqualTo(Map.of("ok", "task events disabled"));
        assertThat((Object) reply(c.call("disable_events", Map.of(), ONE), w))
                .isEqualTo(Map.of("ok", "task events already disabled"));
        Map<String, Object> hb = c.call("heartbeat", Map.of(), ONE);
        assertThat(hb).containsEntry(w.nodeName(), null);

        long before = w.clock().value();
        assertThat(((Number) ((Map<?, ?>) reply(c.call("clock", Map.of(), ONE), w)).get("clock")).longValue())
                .isGreaterThan(before);

        c.call("revoke", Map.of("task_id", "r-1"), ONE);
        Map<String, Object> hello = reply(c.call("hello", Map.of("from_node", "other@h",
                "revoked", Map.of("r-2", List.of(org.celeriac.core.control.LimitedSet.monotonic(), "r-2"))), ONE), w);
        assertThat((Map<String, Object>) hello.get("revoked")).containsOnlyKeys("r-1", "r-2");
        assertThat(((List<?>) ((Map<?, ?>) hello.get("revoked")).get("r-1")).get(1)).isEqualTo("r-1");
        assertThat(hello.get("clock")).isInstanceOf(Long.class);
        assertThat(c.call("hello", Map.of("from_node", w.nodeName()), ONE)).containsEntry(w.nodeName(), null);

        Map<String, Object> conf = reply(c.call("conf", Map.of("with_defaults", false), ONE), w);
        assertThat(conf).containsEntry("my_api_key", "********").containsEntry("some_url", "redis://:***@h:6379/0");
        assertThat(String.valueOf(((Map<?, ?>) reply(c.call("report", Map.of(), ONE), w)).get("ok")))
                .contains("software -> celeriac:");
    }

    @Test
    void shutdown_stops_the_worker_without_a_reply() throws Exception {
        Celeriac app = app(Map.of());
        Worker w = worker(app, "down@%h", 1, Worker.Pool.THREADS);

        Map<String, Object> r = client(app).call("shutdown", Map.of(),
                ControlOptions.defaults().withTimeout(Duration.ofMillis(500)));

        assertThat(r).isEmpty();
        assertThat(w.awaitTermination(WAIT)).isTrue();
    }

    @Test
    void a_worker_without_remote_control_does_not_answer() {
        Celeriac app = app(Map.of("worker_enable_remote_control", false));
        worker(app, "mute@%h", 1, Worker.Pool.THREADS);
        assertThat(client(app).ping(ControlOptions.defaults().withTimeout(Duration.ofMillis(300)))).isEmpty();
    }
}
