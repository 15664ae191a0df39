package org.celeriac.core.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.RetryPolicy;
import org.celeriac.api.SoftTimeLimitExceededException;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskOptions;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Rate limits, time limits and automatic retries in the worker. */
class WorkerLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final CountDownLatch never = new CountDownLatch(1);
    private final AtomicBoolean releaseStubborn = new AtomicBoolean();

    @AfterEach
    void close() throws Exception {
        never.countDown();
        releaseStubborn.set(true);
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private Celeriac app(Map<String, Object> extra, TaskDefinition... tasks) {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Celeriac.Builder b = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                .registry(TaskRegistry.of(List.of(tasks)));
        extra.forEach(b::set);
        Celeriac app = b.build();
        closeables.add(0, app);
        return app;
    }

    private Worker worker(Celeriac app, int concurrency) {
        Worker w = new Worker(app, new Worker.Options("limits@%h", List.of(), concurrency, Worker.Pool.THREADS, 4));
        w.start();
        closeables.add(0, w);
        return w;
    }

    /** Waits (interruptibly) for a latch that never opens; returns "cleaned up" when it catches the soft limit. */
    private TaskDefinition sleeper(String name, boolean catchSoft) {
        return TestTasks.task(name, TaskOptions.DEFAULTS, (c, a) -> {
            try {
                never.await(30, TimeUnit.SECONDS);
                return "woke";
            } catch (InterruptedException e) {
                if (catchSoft) {
                    return "cleaned up";
                }
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        });
    }

    /** Spins, ignoring interrupts, calling checkCancelled() when asked to. */
    private TaskDefinition spinner(String name, boolean check) {
        return TestTasks.task(name, TaskOptions.DEFAULTS, (c, a) -> {
            while (!releaseStubborn.get()) {
                if (check) {
                    c.checkCancelled();
                }
                Thread.onSpinWait();
            }
            return "released";
        });
    }

    @Test
    void aRateLimitHoldsTasksAndRunsThemAsTokensArrive() {
        Celeriac app = app(Map.of("task_annotations", Map.of("t.add", Map.of("rate_limit", "20/s"))), TestTasks.add());
        worker(app, 2);
        long start = System.nanoTime();
        List<AsyncResult<Long>> rs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            rs.add(app.task("t.add", Long.class).delay(i, 1));
        }
        for (int i = 0; i < 6; i++) {
            assertThat(rs.get(i).get(WAIT)).isEqualTo(i + 1L);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("5 tokens at 20/s take 250 ms")
                .isGreaterThanOrEqualTo(Duration.ofMillis(240));
    }

    @Test
    void aMalformedRateLimitStopsTheWorkerAtStartNamingTheTaskTheSettingAndTheAcceptedForms() {
        Celeriac own = app(Map.of(), TestTasks.task("t.bad", new TaskOptions(null, "ten per minute", null, null, null,
                null, null, null, null, null), (c, a) -> 1L));
        assertThatThrownBy(() -> new Worker(own, Worker.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("task 't.bad' has rate_limit").hasMessageContaining("'ten per minute'")
                .hasMessageContaining("'10/m', '100/s', '5/h' or a number");
        Celeriac dflt = app(Map.of("task_default_rate_limit", "ten per minute"), TestTasks.add());
        assertThatThrownBy(() -> new Worker(dflt, Worker.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("task_default_rate_limit 'ten per minute' is not a rate limit")
                .hasMessageContaining("'10/m', '100/s', '5/h'");
    }

    @Test
    void taskDefaultRateLimitAppliesToTasksWithoutTheirOwnAndWorkerDisableRateLimitsTurnsThemOff() {
        Celeriac app = app(Map.of("task_default_rate_limit", "1/h"), TestTasks.add());
        Worker w = worker(app, 1);
        assertThat(app.task("t.add", Long.class).delay(1, 1).get(WAIT)).as("the first token is there").isEqualTo(2L);
        AsyncResult<Long> held = app.task("t.add", Long.class).delay(2, 2);
        await().atMost(WAIT).until(() -> w.rateLimitedCount() == 1);
        assertThat(held.state()).isEqualTo(TaskState.PENDING);

        Celeriac off = app(Map.of("task_default_rate_limit", "1/h", "worker_disable_rate_limits", true), TestTasks.add());
        Worker w2 = worker(off, 1);
        for (int i = 0; i < 3; i++) {
            assertThat(off.task("t.add", Long.class).delay(i, 1).get(WAIT)).isEqualTo(i + 1L);
        }
        assertThat(w2.rateLimitedCount()).isZero();
    }

    /** The most task starts (epoch millis) within any interval of {@code millis}. */
    static int maxWithin(List<Long> starts, long millis) {
        List<Long> sorted = starts.stream().sorted().toList();
        int best = 0;
        for (int i = 0, j = 0; i < sorted.size(); i++) {
            while (sorted.get(i) - sorted.get(j) >= millis) {
                j++;
            }
            best = Math.max(best, i - j + 1);
        }
        return best;
    }

    @Test
    void aGlobalRateLimitIsSharedByTheWorkersOfTheCluster() {
        List<Long> starts = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.Set<String> nodes = java.util.concurrent.ConcurrentHashMap.newKeySet();
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        List<Worker> workers = new ArrayList<>();
        for (String node : List.of("g1@%h", "g2@%h")) {
            Celeriac app = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                    .set("task_annotations", Map.of("t.g", Map.of("rate_limit", "5/s", "rate_limit_scope", "global")))
                    .registry(TaskRegistry.of(List.of(TestTasks.task("t.g", TaskOptions.DEFAULTS, (c, a) -> {
                        starts.add(System.currentTimeMillis());
                        nodes.add(c.hostname());
                        return 1L;
                    })))).build();
            closeables.add(0, app);
            Worker w = new Worker(app, new Worker.Options(node, List.of(), 1, Worker.Pool.THREADS, 1));
            w.start();
            closeables.add(0, w);
            workers.add(w);
        }
        Celeriac client = app(Map.of("broker_url", ns, "result_backend", ns));
        List<AsyncResult<Object>> rs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            rs.add(client.sendTask("t.g", List.of(), Map.of(), null));
        }
        for (AsyncResult<Object> r : rs) {
            assertThat(r.get(WAIT)).isEqualTo(1L);
        }
        assertThat(nodes).as("both workers took tasks").hasSize(2);
        assertThat(maxWithin(starts, 1000)).as("5/s for the cluster (one per 200 ms window), not 5/s per worker")
                .isLessThanOrEqualTo(6);
    }

    @Test
    void aBadRateLimitScopeIsRejectedNamingTheSetting() {
        Celeriac app = app(Map.of("task_rate_limit_scope", "cluster"), TestTasks.add());
        assertThatThrownBy(() -> new Worker(app, Worker.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("task_rate_limit_scope")
                .hasMessageContaining("'global'");
    }

    @Test
    void theRateLimitControlCommandTakesEffectAtOnce() {
        Celeriac app = app(Map.of(), TestTasks.add());
        Worker w = worker(app, 1);
        w.setRateLimit("t.add", "1/h");
        assertThat(app.task("t.add", Long.class).delay(1, 1).get(WAIT)).as("the first token is there").isEqualTo(2L);
        AsyncResult<Long> held = app.task("t.add", Long.class).delay(2, 2);
        await().atMost(WAIT).until(() -> w.rateLimitedCount() == 1);
        assertThat(held.state()).isEqualTo(TaskState.PENDING);
        w.setRateLimit("t.add", null);
        assertThat(held.get(WAIT)).isEqualTo(4L);
        assertThat(w.rateLimitedCount()).isZero();
    }

    @Test
    void theSoftTimeLimitInterruptsTheTaskWhichFailsWithSoftTimeLimitExceeded() {
        Celeriac app = app(Map.of(), sleeper("t.sleep", false), sleeper("t.tidy", true), spinner("t.check", true));
        worker(app, 3);
        ApplyOptions soft = ApplyOptions.builder().softTimeLimit(Duration.ofMillis(200)).build();
        AsyncResult<Object> r = app.task("t.sleep").applyAsync(List.of(), Map.of(), soft);
        assertThatThrownBy(() -> r.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.excType()).isEqualTo("SoftTimeLimitExceeded");
            assertThat(e.excModule()).isEqualTo("celery.exceptions");
        });
        assertThat(app.task("t.tidy").applyAsync(List.of(), Map.of(), soft).get(WAIT)).isEqualTo("cleaned up");
        AsyncResult<Object> checked = app.task("t.check").applyAsync(List.of(), Map.of(), soft);
        assertThatThrownBy(() -> checked.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("SoftTimeLimitExceeded"));
    }

    @Test
    void timeLimitsComeFromAnnotationsTheSettingAndTheTimeLimitControlCommand() {
        Celeriac app = app(Map.of("task_annotations", Map.of("t.sleep", Map.of("soft_time_limit", 0.2))),
                sleeper("t.sleep", false), sleeper("t.other", false));
        Worker w = worker(app, 2);
        assertThatThrownBy(() -> app.task("t.sleep").delay().get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("SoftTimeLimitExceeded"));
        w.setTimeLimits("t.other", 0.2, null);
        assertThatThrownBy(() -> app.task("t.other").delay().get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("SoftTimeLimitExceeded"));
        Celeriac app2 = app(Map.of("task_soft_time_limit", "200ms"), sleeper("t.sleep", false));
        worker(app2, 1);
        assertThatThrownBy(() -> app2.task("t.sleep").delay().get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("SoftTimeLimitExceeded"));
    }

    @Test
    void theHardTimeLimitStoresTimeLimitExceededAtOnceAndReplacesTheThread() {
        Celeriac app = app(Map.of(), spinner("t.stubborn", false), TestTasks.add());
        Worker w = worker(app, 1);
        long start = System.nanoTime();
        AsyncResult<Object> r = app.task("t.stubborn").applyAsync(List.of(), Map.of(),
                ApplyOptions.builder().timeLimit(Duration.ofMillis(300)).build());
        assertThatThrownBy(() -> r.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.excType()).isEqualTo("TimeLimitExceeded");
            assertThat(e.excModule()).isEqualTo("celery.exceptions");
            assertThat(e.excArgs()).containsExactly(0.3);
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(w.leakedThreads()).isEqualTo(1);
        assertThat(app.task("t.add", Long.class).delay(2, 3).get(WAIT)).as("the replacement thread runs tasks")
                .isEqualTo(5L);
        releaseStubborn.set(true);
        await().atMost(WAIT).until(() -> w.leakedThreads() == 0);
        assertThat(w.leakedThreadsTotal()).isEqualTo(1);
        assertThat(r.state()).as("the late return does not overwrite the failure").isEqualTo(TaskState.FAILURE);
    }

    @Test
    void moreLeakedThreadsThanWorkerMaxLeakedThreadsWarmRestartThePool() {
        Celeriac app = app(Map.of("worker_max_leaked_threads", 1), spinner("t.stubborn", false),
                TestTasks.task("t.whoami", TaskOptions.DEFAULTS, (c, a) -> Thread.currentThread().getName()));
        Worker w = worker(app, 3);
        ApplyOptions hard = ApplyOptions.builder().timeLimit(Duration.ofMillis(200)).build();
        assertThatThrownBy(() -> app.task("t.stubborn").applyAsync(List.of(), Map.of(), hard).get(WAIT))
                .isInstanceOf(TaskFailedException.class);
        assertThat(w.poolRestarts()).as("one leaked thread is within the limit").isZero();
        // The leaked thread's replacement starts asynchronously: wait for the full pool before naming its threads.
        await().atMost(WAIT).untilAsserted(() -> assertThat(w.poolThreads()).hasSize(3));
        java.util.Set<String> before = new java.util.HashSet<>();
        w.poolThreads().forEach(t -> before.add(t.getName()));
        assertThat(before).hasSize(3);

        assertThatThrownBy(() -> app.task("t.stubborn").applyAsync(List.of(), Map.of(), hard).get(WAIT))
                .isInstanceOfSatisfying(TaskFailedException.class, e -> assertThat(e.excType()).isEqualTo("TimeLimitExceeded"));
        await().atMost(WAIT).until(() -> w.poolRestarts() == 1);
        await().atMost(WAIT).untilAsserted(() -> assertThat(w.poolThreads()).hasSize(3)
                .noneMatch(t -> before.contains(t.getName())));
        assertThat(w.leakedThreads()).as("leaked threads cannot be killed; still counted").isEqualTo(2);
        String ranOn = app.task("t.whoami", String.class).delay().get(WAIT);
        assertThat(before).as("the new pool runs the tasks").doesNotContain(ranOn);
        assertThat(w.poolThreads().stream().map(Thread::getName)).contains(ranOn);
        releaseStubborn.set(true);
        await().atMost(WAIT).until(() -> w.leakedThreads() == 0);
    }

    @Test
    void aNegativeWorkerMaxLeakedThreadsIsRejectedNamingTheSetting() {
        Celeriac app = app(Map.of("worker_max_leaked_threads", -1), TestTasks.add());
        assertThatThrownBy(() -> new Worker(app, Worker.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("worker_max_leaked_threads");
    }

    @Test
    void autoretryForRetriesMatchingExceptionsThenSucceedsOrFailsWithTheOriginalError() {
        TaskDefinition flaky = TaskDefinition.of("t.autoretry", new TaskOptions(null, null, 2, Duration.ofMillis(20), null, null, null, null, null, null), new RetryPolicy(List.of("IllegalStateException"), null, null, true), (c, args, kwargs) -> {
            if (c.retries() < ((Number) args.get(0)).intValue()) {
                throw new IllegalStateException("attempt " + c.retries());
            }
            return (long) c.retries();
        });
        Celeriac app = app(Map.of(), flaky);
        worker(app, 1);
        assertThat(app.task("t.autoretry", Long.class).delay(2).get(WAIT)).isEqualTo(2L);
        AsyncResult<Long> tooMany = app.task("t.autoretry", Long.class).delay(5);
        assertThatThrownBy(() -> tooMany.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
            assertThat(e.excType()).isEqualTo("IllegalStateException");
            assertThat(e.excMessage()).isEqualTo("attempt 2");
        });
    }

    @Test
    void softTimeLimitExceededIsAnApiTypeMappedToCelerysName() {
        assertThat(org.celeriac.core.internal.Exceptions.info(new SoftTimeLimitExceededException("x")).excType())
                .isEqualTo("SoftTimeLimitExceeded");
    }
}
