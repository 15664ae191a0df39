package org.celeriac.core.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import org.celeriac.core.registry.TaskRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Celery's worker flags as settings (issue #10): mingle ({@code worker_without_mingle}), {@code worker_autoscale},
 * {@code worker_max_tasks_per_child}, {@code worker_max_memory_per_child}; on {@code memory://}.
 */
class WorkerFlagsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
    private final List<String> threadNames = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void close() throws Exception {
        release.countDown();
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private Celeriac app(Map<String, Object> settings) {
        Celeriac.Builder b = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                .registry(TaskRegistry.of(List.of(
                        TestTasks.task("t.where", TaskOptions.DEFAULTS, (c, a) -> {
                            threadNames.add(Thread.currentThread().getName());
                            return Thread.currentThread().getName();
                        }),
                        TestTasks.task("t.wait", TaskOptions.DEFAULTS, (c, a) -> {
                            try {
                                return release.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return false;
                            }
                        }))));
        settings.forEach(b::set);
        Celeriac app = b.build();
        closeables.add(app);
        return app;
    }

    private Worker worker(Celeriac app, String name, int concurrency) {
        Worker w = new Worker(app, new Worker.Options(name + "@%h", List.of(), concurrency, Worker.Pool.THREADS, 1));
        w.start();
        closeables.add(0, w);
        return w;
    }

    @Test
    void mingleMergesTheRevokedIdsAndClockOfTheOtherWorkers() {
        Worker a = worker(app(Map.of()), "a", 1);
        a.revoke(List.of("revoked-before-b-started"), false);
        for (int i = 0; i < 5; i++) {
            a.clock().forward();
        }
        long aClock = a.clock().value();
        Worker b = worker(app(Map.of()), "b", 1);
        assertThat(b.revokedSet().contains("revoked-before-b-started")).isTrue();
        assertThat(b.clock().value()).isGreaterThan(aClock);
    }

    @Test
    void withoutMingleAWorkerStartsAloneAndKnowsNoRevokes() {
        Worker a = worker(app(Map.of()), "a", 1);
        a.revoke(List.of("revoked-before-b-started"), false);
        long t0 = System.nanoTime();
        Worker b = worker(app(Map.of("worker_without_mingle", true, "worker_without_gossip", true)), "b", 1);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Mingle.TIMEOUT);
        assertThat(b.revokedSet().contains("revoked-before-b-started")).isFalse();
    }

    @Test
    void autoscaleGrowsTowardMaxWhileTasksWaitAndShrinksTowardMinWhenIdle() {
        Celeriac app = app(Map.of("worker_autoscale", "3,1", "worker_autoscale_keepalive", 0.2,
                "worker_without_mingle", true));
        Worker w = worker(app, "auto", 8);
        assertThat(w.concurrency()).isEqualTo(1); // -c is ignored: the pool starts at MIN
        assertThat(w.prefetchCount()).isEqualTo(3); // MAX x multiplier, so waiting tasks are seen
        List<AsyncResult<Object>> rs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            rs.add(app.task("t.wait").delay());
        }
        await("grown to MAX").atMost(WAIT).until(() -> w.concurrency() == 3 && w.activeRequests().size() == 3);
        release.countDown();
        rs.forEach(r -> assertThat(r.get(WAIT)).isEqualTo(true));
        await("shrunk to MIN").atMost(WAIT).until(() -> w.concurrency() == 1);

        ControlClient control = new ControlClient(app);
        closeables.add(0, control);
        Map<String, Object> replies = control.call("autoscale", Map.of("max", 5, "min", 2),
                ControlOptions.defaults().withTimeout(WAIT).withLimit(1));
        assertThat(replies.values()).containsExactly(Map.of("ok", "autoscale now max=5 min=2"));
        assertThat(w.prefetchCount()).isEqualTo(5);
    }

    @Test
    void autoscaleSpecsAreParsedAsCeleryDoes() {
        assertThat(Autoscaler.parse("10,3")).containsExactly(10, 3);
        assertThat(Autoscaler.parse("3,10")).containsExactly(10, 3);
        assertThat(Autoscaler.parse("10")).containsExactly(10, 0);
        assertThatThrownBy(() -> Autoscaler.parse("ten")).hasMessageContaining("worker_autoscale")
                .hasMessageContaining("MAX,MIN");
        assertThatThrownBy(() -> Autoscaler.parse("1,2,3")).hasMessageContaining("'1,2,3'");
        Celeriac bad = app(Map.of("worker_autoscale", "0"));
        assertThatThrownBy(() -> new Worker(bad, Worker.Options.defaults())).hasMessageContaining("MAX >= 1");
    }

    @Test
    void maxTasksPerChildReplacesAPoolThreadAfterNTasks() {
        Celeriac app = app(Map.of("worker_max_tasks_per_child", 2, "worker_without_mingle", true));
        Worker w = worker(app, "child", 1);
        for (int i = 0; i < 5; i++) {
            app.task("t.where").delay().get(WAIT);
        }
        assertThat(threadNames).hasSize(5);
        assertThat(threadNames.stream().distinct().count()).isEqualTo(3);
        for (String name : threadNames.stream().distinct().toList()) {
            assertThat(threadNames.stream().filter(name::equals).count()).as(name).isLessThanOrEqualTo(2);
        }
        assertThat(w.concurrency()).isEqualTo(1);
    }

    @Test
    void maxMemoryPerChildIsAcceptedWithOneWarning() {
        Logger log = (Logger) LoggerFactory.getLogger("celeriac.worker");
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        log.addAppender(captured);
        try {
            Celeriac app = app(Map.of("worker_max_memory_per_child", 12000, "worker_without_mingle", true));
            worker(app, "mem", 1);
            assertThat(app.task("t.where").delay().get(WAIT)).isNotNull();
        } finally {
            log.detachAppender(captured);
        }
        assertThat(captured.list).filteredOn(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage)
                .filteredOn(m -> m.contains("worker_max_memory_per_child")).hasSize(1);
    }
}
