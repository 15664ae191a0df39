package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.RetryPolicy;
import org.celeriac.api.TaskContext;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskOptions;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.routing.Route;
import org.celeriac.core.routing.Router;
import org.celeriac.core.worker.Worker;
import org.celeriac.spi.backend.TaskMeta;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue #9's worker features, end to end on a real transport and result backend with an in-process Java worker:
 * rate limits (per task and {@code '*'} in {@code task_annotations}, the {@code rate_limit} control command),
 * routing ({@code task_routes} glob, regex and router class, {@code -Q}, {@code task_default_queue}), retries
 * (explicit and {@code autoretry_for} with back-off and jitter, RETRY then SUCCESS/FAILURE, the {@code retries}
 * header), countdown/eta/expires, revoke and revoke with terminate (through the control broadcast), soft and hard
 * time limits, acks_late with reject_on_worker_lost, track_started, ignore_result and result_extended. Run on the
 * embedded default ({@link FeaturesEmbeddedDefaultTest}) and on Redis ({@link FeaturesRedisTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FeaturesWorkerCases {
    static final Duration WAIT = Duration.ofSeconds(20);

    /** Where {@link ToQueueRouter} sends {@code f.cls.*}: set before the app is built. */
    static volatile String routerQueue;

    /** A router class named in {@code task_routes} (Celery's router classes). */
    public static final class ToQueueRouter implements Router {
        @Override
        public Route route(String taskName, List<Object> args, Map<String, Object> kwargs) {
            return taskName.startsWith("f.cls.") ? Route.toQueue(routerQueue) : null;
        }
    }

    private final String tag = getClass().getSimpleName().replace("Features", "").replace("Test", "").toLowerCase();
    final String qDefault = Interop.uniqueQueue("f-" + tag + "-default");
    final String qGlob = Interop.uniqueQueue("f-" + tag + "-glob");
    final String qRegex = Interop.uniqueQueue("f-" + tag + "-regex");
    final String qClass = Interop.uniqueQueue("f-" + tag + "-class");
    final String qLost = Interop.uniqueQueue("f-" + tag + "-lost");
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicBoolean releaseSpinner = new AtomicBoolean();
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger ignoredRuns = new AtomicInteger();
    private final AtomicInteger lostRuns = new AtomicInteger();
    Celeriac app;
    Worker worker;

    /** The broker and result backend URL. */
    abstract String url();

    /** Settings of the transport besides the URLs. */
    Map<String, Object> extraSettings() {
        return Map.of();
    }

    /** Removes what the class left on a shared service; called last. */
    void cleanup(List<String> queues) {
    }

    /** Deletes the mailbox's reply queues and bindings ({@code *pidbox*}) in a database reserved for the class. */
    static void deletePidboxKeys(String url) {
        io.lettuce.core.RedisClient c = io.lettuce.core.RedisClient.create(url);
        try (io.lettuce.core.api.StatefulRedisConnection<String, String> conn = c.connect()) {
            List<String> keys = new ArrayList<>();
            io.lettuce.core.ScanIterator.scan(conn.sync(), io.lettuce.core.ScanArgs.Builder.matches("*pidbox*")
                    .limit(1000)).forEachRemaining(keys::add);
            if (!keys.isEmpty()) {
                conn.sync().del(keys.toArray(String[]::new));
            }
        } finally {
            c.shutdown();
        }
    }

    List<String> queues() {
        return List.of(qDefault, qGlob, qRegex, qClass, qLost);
    }

    private static TaskDefinition task(String name, TaskOptions options, RetryPolicy retry,
                                       BiFunction<TaskContext, List<Object>, Object> body) {
        return TaskDefinition.of(name, options, retry, (context, args, kwargs) -> body.apply(context, args));
    }

    private static TaskDefinition task(String name, BiFunction<TaskContext, List<Object>, Object> body) {
        return task(name, TaskOptions.DEFAULTS, RetryPolicy.NONE, body);
    }

    private Object sleep(TaskContext c) {
        running.add(c.id());
        try {
            return release.await(20, TimeUnit.SECONDS) ? "released" : "woke";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private List<TaskDefinition> tasks() {
        BiFunction<TaskContext, List<Object>, Object> where = (c, a) -> c.deliveryQueue();
        return List.of(
                task("f.add", (c, a) -> ((Number) a.get(0)).longValue() + ((Number) a.get(1)).longValue()),
                task("f.limited", (c, a) -> 1L),
                task("f.where", where), task("f.route.where", where), task("f.rx.where", where),
                task("f.cls.where", where),
                task("f.retry", new TaskOptions(null, null, 1, null, null, null, null, null, null, null), RetryPolicy.NONE,
                        (c, a) -> {
                            if (c.retries() < ((Number) a.get(0)).intValue()) {
                                throw c.retry(new IllegalStateException("attempt " + c.retries()),
                                        Duration.ofMillis(500), null);
                            }
                            return (long) c.retries();
                        }),
                task("f.autoretry", new TaskOptions(null, null, 2, null, null, null, null, null, null, null),
                        new RetryPolicy(List.of("IllegalStateException"), Duration.ofMillis(100), Duration.ofMillis(300),
                                true),
                        (c, a) -> {
                            if (c.retries() < ((Number) a.get(0)).intValue()) {
                                throw new IllegalStateException("attempt " + c.retries());
                            }
                            return (long) c.retries();
                        }),
                task("f.sleep", (c, a) -> sleep(c)),
                task("f.started", (c, a) -> sleep(c)),
                task("f.spin", (c, a) -> {
                    while (!releaseSpinner.get()) {
                        Thread.onSpinWait();
                    }
                    return "released";
                }),
                task("f.ignored", (c, a) -> ignoredRuns.incrementAndGet()),
                task("f.lost", (c, a) -> lostRuns.incrementAndGet() == 1 ? sleep(c) : "ran again"));
    }

    @BeforeAll
    void start() {
        routerQueue = qClass;
        Celeriac.Builder b = Celeriac.builder();
        extraSettings().forEach(b::set);
        app = b.set("broker_url", url()).set("result_backend", url())
                .set("task_default_queue", qDefault)
                .set("task_routes", List.of(Map.of("f.route.*", qGlob, "re:^f\\.rx\\..*$", Map.of("queue", qRegex)),
                        ToQueueRouter.class.getName()))
                // '*' is applied after a task's own entry, as Celery's resolve_all: f.limited runs at 10/s too
                .set("task_annotations", Map.of("*", Map.of("rate_limit", "10/s"),
                        "f.limited", Map.of("rate_limit", "1/s"),
                        "f.started", Map.of("track_started", true),
                        "f.ignored", Map.of("ignore_result", true),
                        "f.lost", Map.of("acks_late", true)))
                .set("task_reject_on_worker_lost", true)
                .set("result_extended", true)
                .registry(TaskRegistry.of(tasks())).build();
        closeables.add(app);
        worker = worker("f-" + tag + "@%h", List.of(qDefault, qGlob, qRegex, qClass), 4);
    }

    private Worker worker(String node, List<String> queues, int concurrency) {
        Worker w = new Worker(app, new Worker.Options(node, queues, concurrency, Worker.Pool.THREADS, 1));
        w.start();
        closeables.add(0, w);
        return w;
    }

    @AfterAll
    void stop() throws Exception {
        release.countDown();
        releaseSpinner.set(true);
        for (AutoCloseable c : closeables) {
            c.close();
        }
        cleanup(queues());
    }

    private Map<String, Object> control(String method, Map<String, ?> args) {
        try (ControlClient c = new ControlClient(app)) {
            Map<String, Object> replies = c.call(method, args, ControlOptions.defaults()
                    .withDestination(List.of(worker.nodeName())).withTimeout(Duration.ofSeconds(10)).withLimit(1));
            assertThat(replies).containsKey(worker.nodeName());
            @SuppressWarnings("unchecked")
            Map<String, Object> reply = (Map<String, Object>) replies.get(worker.nodeName());
            return reply;
        }
    }

    private TaskMeta meta(String id) {
        return app.resultBackend().orElseThrow().get(id).orElseThrow();
    }

    @Test
    void rateLimitsComeFromTaskAnnotationsAndTheRateLimitControlCommand() {
        long start = System.nanoTime();
        List<AsyncResult<Long>> rs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            rs.add(app.task("f.limited", Long.class).delay());
        }
        for (AsyncResult<Long> r : rs) {
            assertThat(r.get(WAIT)).isEqualTo(1L);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("3 more tokens at 10/s take 300 ms")
                .isGreaterThanOrEqualTo(Duration.ofMillis(290));
        Map<String, Object> set = control("rate_limit", Map.of("task_name", "f.limited", "rate_limit", "1/h"));
        assertThat(set).containsEntry("ok", "new rate limit set successfully");
        assertThat(app.task("f.limited", Long.class).delay().get(WAIT)).as("the first token is there").isEqualTo(1L);
        AsyncResult<Long> held = app.task("f.limited", Long.class).delay();
        await().atMost(WAIT).until(() -> ((Map<?, ?>) control("stats", Map.of()).get("pool")).get("rate-limited")
                .equals(1L));
        assertThat(held.state()).isEqualTo(TaskState.PENDING);
        assertThat(control("rate_limit", Map.of("task_name", "f.limited", "rate_limit", "ten per minute")).get("error"))
                .asString().contains("ten per minute").contains("'10/m', '100/s', '5/h'");
        assertThat(control("rate_limit", Map.of("task_name", "f.limited", "rate_limit", "")))
                .containsEntry("ok", "rate limit disabled successfully");
        assertThat(held.get(WAIT)).isEqualTo(1L);
        assertThat(control("rate_limit", Map.of("task_name", "f.limited", "rate_limit", "10/s")))
                .containsEntry("ok", "new rate limit set successfully");
    }

    @Test
    void theStarAnnotationAppliesToEveryTask() {
        try (ControlClient c = new ControlClient(app)) {
            Map<String, Object> replies = c.call("registered", Map.of(), ControlOptions.defaults()
                    .withDestination(List.of(worker.nodeName())).withTimeout(Duration.ofSeconds(10)).withLimit(1));
            @SuppressWarnings("unchecked")
            List<Object> names = (List<Object>) replies.get(worker.nodeName());
            assertThat(names).as("'*' applies to every task, after the task's own entry (Celery's order)")
                    .contains("f.where [rate_limit=10/s]", "f.limited [rate_limit=10/s]", "f.sleep [rate_limit=10/s]");
        }
    }

    @Test
    void routesGlobRegexAndRouterClassesWithMinusQAndTaskDefaultQueue() {
        assertThat(app.task("f.where", String.class).delay().get(WAIT)).isEqualTo(qDefault);
        assertThat(app.task("f.route.where", String.class).delay().get(WAIT)).isEqualTo(qGlob);
        assertThat(app.task("f.rx.where", String.class).delay().get(WAIT)).isEqualTo(qRegex);
        assertThat(app.task("f.cls.where", String.class).delay().get(WAIT)).isEqualTo(qClass);
        assertThat(worker.queues()).containsExactlyInAnyOrder(qDefault, qGlob, qRegex, qClass);
    }

    @Test
    void retriesGoThroughRetryThenSuccessOrFailureWithTheRetriesHeaderCounting() {
        AsyncResult<Long> r = app.task("f.retry", Long.class).delay(1);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> r.state() == TaskState.RETRY);
        assertThat(r.get(WAIT)).as("the task saw retries=1 in its header").isEqualTo(1L);
        assertThat(r.state()).isEqualTo(TaskState.SUCCESS);
        assertThat(meta(r.id()).extended().retries()).isEqualTo(1);

        AsyncResult<Long> tooMany = app.task("f.retry", Long.class).delay(3);
        assertThatThrownBy(() -> tooMany.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.excType()).isEqualTo("IllegalStateException");
            assertThat(e.excMessage()).isEqualTo("attempt 1");
        });
        assertThat(tooMany.state()).isEqualTo(TaskState.FAILURE);

        assertThat(app.task("f.autoretry", Long.class).delay(2).get(WAIT)).isEqualTo(2L);
        AsyncResult<Long> autoFailed = app.task("f.autoretry", Long.class).delay(9);
        assertThatThrownBy(() -> autoFailed.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excMessage()).as("max_retries=2").isEqualTo("attempt 2"));
    }

    @Test
    void countdownAndEtaRunNotBeforeTheirTimeAndExpiredTasksAreRevoked() {
        Instant sent = Instant.now();
        AsyncResult<Object> counted = app.sendTask("f.add", List.of(1, 2), Map.of(),
                ApplyOptions.builder().countdown(0.5).build());
        AsyncResult<Object> eta = app.sendTask("f.add", List.of(2, 2), Map.of(),
                ApplyOptions.builder().eta(Instant.now().plusMillis(400)).build());
        assertThat(counted.get(WAIT)).isEqualTo(3L);
        assertThat(eta.get(WAIT)).isEqualTo(4L);
        assertThat(meta(counted.id()).dateDone()).isAfterOrEqualTo(sent.plusMillis(490));
        assertThat(meta(eta.id()).dateDone()).isAfterOrEqualTo(sent.plusMillis(390));

        AsyncResult<Object> expired = app.sendTask("f.add", List.of(1, 1), Map.of(),
                ApplyOptions.builder().countdown(0.5).expiresIn(Duration.ofMillis(100)).build());
        assertThatThrownBy(() -> expired.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("TaskRevokedError"));
        assertThat(expired.state()).isEqualTo(TaskState.REVOKED);
    }

    @Test
    void revokeDiscardsAWaitingTaskAndTerminateInterruptsARunningOne() {
        AsyncResult<Object> later = app.sendTask("f.add", List.of(1, 2), Map.of(),
                ApplyOptions.builder().countdown(2).build());
        assertThat(control("revoke", Map.of("task_id", later.id()))).containsKey("ok");
        await().atMost(WAIT).until(() -> later.state() == TaskState.REVOKED);

        AsyncResult<Object> busy = app.sendTask("f.sleep", List.of(), Map.of(), null);
        await().atMost(WAIT).until(() -> running.contains(busy.id()));
        assertThat(control("revoke", Map.of("task_id", busy.id(), "terminate", true, "signal", "SIGTERM")))
                .containsKey("ok");
        assertThatThrownBy(() -> busy.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("TaskRevokedError"));
        assertThat(busy.state()).isEqualTo(TaskState.REVOKED);
    }

    @Test
    void softAndHardTimeLimits() {
        AsyncResult<Object> soft = app.sendTask("f.sleep", List.of(), Map.of(),
                ApplyOptions.builder().softTimeLimit(Duration.ofMillis(300)).build());
        assertThatThrownBy(() -> soft.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("SoftTimeLimitExceeded"));
        long start = System.nanoTime();
        AsyncResult<Object> hard = app.sendTask("f.spin", List.of(), Map.of(),
                ApplyOptions.builder().timeLimit(Duration.ofMillis(300)).build());
        assertThatThrownBy(() -> hard.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("TimeLimitExceeded"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("stored at the limit, not when the thread returns")
                .isLessThan(Duration.ofSeconds(5));
        releaseSpinner.set(true);
    }

    @Test
    void trackStartedIgnoreResultAndResultExtended() {
        AsyncResult<Object> started = app.sendTask("f.started", List.of(), Map.of(), null);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> started.state() == TaskState.STARTED);
        assertThat(meta(started.id()).result()).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("hostname", worker.nodeName());

        int before = ignoredRuns.get();
        AsyncResult<Object> ignored = app.sendTask("f.ignored", List.of(), Map.of(), null);
        await().atMost(WAIT).until(() -> ignoredRuns.get() > before);
        AsyncResult<Long> after = app.task("f.add", Long.class).delay(5, 5);
        assertThat(after.get(WAIT)).isEqualTo(10L);
        assertThat(ignored.state()).as("ignore_result stores nothing").isEqualTo(TaskState.PENDING);

        TaskMeta.Extended ext = meta(after.id()).extended();
        assertThat(ext).isNotNull();
        assertThat(ext.name()).isEqualTo("f.add");
        assertThat(ext.args()).containsExactly(5L, 5L);
        assertThat(ext.worker()).isEqualTo(worker.nodeName());
        assertThat(ext.queue()).isEqualTo(qDefault);
    }

    @Test
    void anAcksLateTaskInterruptedByAColdShutdownRunsAgainWithRejectOnWorkerLost() throws Exception {
        Worker first = worker("f-" + tag + "-lost1@%h", List.of(qLost), 1);
        AsyncResult<Object> r = app.sendTask("f.lost", List.of(), Map.of(), ApplyOptions.builder().queue(qLost).build());
        await().atMost(WAIT).until(() -> running.contains(r.id()));
        first.shutdownNow();
        assertThat(first.awaitTermination(WAIT)).isTrue();
        assertThat(r.state()).as("no WorkerLostError stored").isNotEqualTo(TaskState.FAILURE);
        worker("f-" + tag + "-lost2@%h", List.of(qLost), 1);
        assertThat(r.get(WAIT)).isEqualTo("ran again");
        assertThat(lostRuns.get()).isEqualTo(2);
    }
}
