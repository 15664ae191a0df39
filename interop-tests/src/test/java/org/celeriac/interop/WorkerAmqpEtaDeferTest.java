package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Issues #6/#9 on RabbitMQ: a task message with an {@code eta} header (as Python clients send it: no broker delay)
 * whose ETA is beyond {@code worker_eta_hold_max_seconds} is handed back to RabbitMQ's durable delayed delivery by
 * the worker, which acknowledges the original at once — so nothing waits unacknowledged in the worker
 * (RabbitMQ's {@code consumer_timeout}). A worker stopped meanwhile gives nothing back, and the task still runs
 * once, on time, on the next worker.
 */
class WorkerAmqpEtaDeferTest {
    private final List<String> runs = new CopyOnWriteArrayList<>();
    private final Map<String, Instant> started = new ConcurrentHashMap<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger workerLog = (Logger) LoggerFactory.getLogger("celeriac.worker");
    private final List<Worker> workers = new CopyOnWriteArrayList<>();
    private String vhost;
    private Celeriac app;

    @BeforeEach
    void setUp() {
        vhost = AmqpInterop.createVhost("eta");
        log.start();
        workerLog.addAppender(log);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        workerLog.detachAppender(log);
        for (Worker w : workers) {
            w.shutdownNow();
            w.awaitTermination(Duration.ofSeconds(10));
        }
        if (app != null) {
            app.close();
        }
        AmqpInterop.deleteVhost(vhost);
    }

    private TaskRegistry tasks() {
        return TaskRegistry.of(List.of(TaskDefinition.of("it.stamp", TaskOptions.DEFAULTS, (context, args, kwargs) -> {
            started.putIfAbsent(context.id(), Instant.now());
            runs.add(context.id());
            return true;
        })));
    }

    private Worker worker(String queue) {
        Worker w = new Worker(app, new Worker.Options("eta@%h", List.of(queue), 1, Worker.Pool.THREADS, 1));
        workers.add(w);
        w.start();
        return w;
    }

    @Test
    void a_distant_eta_waits_in_rabbitmq_not_in_the_worker_and_runs_once_on_time() throws Exception {
        // broker_delayed_delivery=false: the client publishes the ETA message as Python Celery does (eta header only),
        // so the worker receives it and must defer it itself.
        app = Celeriac.builder().set("broker_url", AmqpInterop.url(vhost)).set("worker_eta_hold_max_seconds", 1)
                .set("broker_delayed_delivery", false)
                .registry(tasks()).build();
        String queue = Interop.uniqueQueue("eta-defer");
        Worker first = worker(queue);
        Instant eta = Instant.now().plusSeconds(5).truncatedTo(ChronoUnit.MICROS);
        AsyncResult<Object> r = app.sendTask("it.stamp", List.of(), Map.of(),
                ApplyOptions.builder().queue(queue).eta(eta).build());

        await("handed to delayed delivery").atMost(Duration.ofSeconds(10)).until(() -> Interop.logged(log).stream()
                .anyMatch(e -> e.getFormattedMessage().contains("it.stamp[" + r.id() + "] has its ETA")));
        await("the original acknowledged").atMost(Duration.ofSeconds(10))
                .until(() -> AmqpInterop.queueCounts(vhost, queue)[1] == 0);
        first.shutdownNow();
        assertThat(first.awaitTermination(Duration.ofSeconds(10))).isTrue();
        assertThat(AmqpInterop.queueCounts(vhost, queue)).containsExactly(0, 0); // nothing given back by the worker
        assertThat(runs).isEmpty();

        worker(queue);
        await("the task at its eta").atMost(Duration.ofSeconds(20)).until(() -> started.containsKey(r.id()));
        // RabbitMQ's delay levels have whole-second steps (never early, up to 1 s late by rounding, plus the hops
        // through the levels), then 100 ms in the worker; 3 s leaves room for a loaded 2-core CI machine.
        assertThat(started.get(r.id())).isBetween(eta, eta.plusMillis(3_000));
        await("no second run").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> runs.size() == 1);
    }
}
