package org.celeriac.core.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * ETA and countdown on the worker (issues #6, #7, #9): a task held in memory starts within 100 ms of its ETA on an
 * idle worker, never before; an ETA further away than {@code worker_eta_hold_max_seconds} is handed to the
 * transport's durable delayed delivery ({@code memory://} has one) and acknowledged, and still runs on time.
 */
class WorkerEtaTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Map<String, Instant> started = new ConcurrentHashMap<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger workerLog = (Logger) LoggerFactory.getLogger("celeriac.worker");

    @BeforeEach
    void capture() {
        log.start();
        workerLog.addAppender(log);
    }

    @AfterEach
    void close() throws Exception {
        workerLog.detachAppender(log);
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private Worker worker(Map<String, Object> settings) {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Celeriac.Builder b = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                .registry(TaskRegistry.of(List.of(TestTasks.task("t.stamp", TaskOptions.DEFAULTS, (c, a) -> {
                    started.put(c.id(), Instant.now());
                    return true;
                }))));
        settings.forEach(b::set);
        Celeriac app = b.build();
        closeables.add(0, app);
        Worker w = new Worker(app, new Worker.Options("eta@%h", List.of(), 2, Worker.Pool.THREADS, 1));
        w.start();
        closeables.add(0, w);
        return w;
    }

    private static AsyncResult<Object> at(Worker w, Instant eta) {
        return w.app().task("t.stamp").applyAsync(List.of(), null, ApplyOptions.builder().eta(eta).build());
    }

    private void assertStartedOnTime(AsyncResult<Object> r, Instant eta) {
        assertThat(r.get(WAIT)).isEqualTo(true);
        Instant start = started.get(r.id());
        assertThat(start).as("start of %s vs its eta %s", r.id(), eta)
                .isBetween(eta, eta.plus(100, ChronoUnit.MILLIS));
    }

    private boolean logged(String text) {
        List<ILoggingEvent> events;
        synchronized (log) { // the appender appends under its own lock, from the worker's threads
            events = new ArrayList<>(log.list);
        }
        return events.stream().anyMatch(e -> e.getFormattedMessage().contains(text));
    }

    @Test
    void aHeldTaskStartsWithin100MillisecondsOfItsEta() {
        Worker w = worker(Map.of());
        for (int i = 0; i < 3; i++) {
            Instant eta = Instant.now().plusMillis(300 + 150 * i).truncatedTo(ChronoUnit.MICROS);
            AsyncResult<Object> r = at(w, eta);
            await().atMost(WAIT).until(() -> w.scheduledRequests().stream().anyMatch(q -> q.msg().id().equals(r.id())));
            assertStartedOnTime(r, eta);
        }
        assertThat(logged("delayed delivery")).isFalse();
    }

    @Test
    void aDistantEtaGoesBackToTheBrokersDelayedDeliveryAndStillRunsOnTime() {
        Worker w = worker(Map.of("worker_eta_hold_max_seconds", 0.5));
        Instant eta = Instant.now().plusMillis(2_000).truncatedTo(ChronoUnit.MICROS);
        AsyncResult<Object> r = at(w, eta);
        await().atMost(WAIT).until(() -> logged("Task t.stamp[" + r.id() + "] has its ETA"));
        // acknowledged and not held: nothing of it is in the worker while the broker keeps it
        assertThat(w.scheduledRequests()).isEmpty();
        assertThat(w.requestsById()).doesNotContainKey(r.id());
        assertThat(started).doesNotContainKey(r.id());
        assertStartedOnTime(r, eta);
    }

    @Test
    void withoutAHoldLimitEveryEtaIsHeldInMemory() {
        Worker w = worker(Map.of("worker_eta_hold_max_seconds", "None"));
        Instant eta = Instant.now().plusMillis(1_500).truncatedTo(ChronoUnit.MICROS);
        AsyncResult<Object> r = at(w, eta);
        await().atMost(WAIT).until(() -> w.scheduledRequests().stream().anyMatch(q -> q.msg().id().equals(r.id())));
        assertStartedOnTime(r, eta);
        assertThat(logged("delayed delivery")).isFalse();
    }
}
