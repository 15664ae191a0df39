package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.core.Celeriac;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * RabbitMQ restarted ({@code rabbitmqctl stop_app}, then {@code start_app} and {@code await_startup}) while a
 * Celeriac worker process ({@code task_acks_late}) works through a batch and the Celeriac client in this JVM keeps
 * sending: both recover by themselves (amqp-client's automatic connection and topology recovery), every task sent
 * before, and after the restart reaches SUCCESS (results in the shared Redis, database 8, so they do not depend
 * on the broker), and the queue ends empty with nothing unacknowledged — the persistent task messages survived in
 * the durable queue. This stops the whole shared RabbitMQ node for a few seconds: tagged {@code fault}, run last
 * and alone ({@code mvn test -pl interop-tests -Dgroups=fault}).
 */
@Tag("fault")
class AmqpRestartFaultTest {
    private static final int BEFORE = 300;
    private static final int AFTER = 100;
    private static final double SLEEP = 0.02;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Set<String> ids = new HashSet<>();
    private String vhost;

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        AmqpInterop.deleteResults(ids);
        AmqpInterop.deleteVhost(vhost);
    }

    @Test
    void worker_and_client_carry_on_by_themselves_after_a_rabbitmq_restart() throws Exception {
        AmqpInterop.requireRabbit();
        Interop.requireRedis();
        Path dir = Files.createTempDirectory("amqp-restart");
        vhost = AmqpInterop.createVhost("restart");
        String url = AmqpInterop.url(vhost);
        String backend = AmqpInterop.redisBackend();
        String queue = Interop.uniqueQueue("amqp-restart");
        AmqpInterop.Proc worker = AmqpInterop.Proc.javaWorker(dir, "restart", url, backend, queue, 4,
                Map.of("CELERIAC_TASK_ACKS_LATE", "true"));
        resources.add(worker);
        worker.awaitReady(Duration.ofSeconds(60));
        Celeriac app = Celeriac.builder().set("broker_url", url).set("result_backend", backend).build();
        resources.add(app);

        List<AsyncResult<Object>> results = new ArrayList<>();
        for (int i = 0; i < BEFORE; i++) {
            results.add(send(app, queue));
        }
        Awaitility.await("the worker is in the middle of the batch").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> Interop.succeededIds(worker.log(), "tasks.sleep").size() >= 50);
        Instant down = Instant.now();
        AmqpInterop.rabbitmqctl("stop_app");
        try {
            assertThat(Interop.succeededIds(worker.log(), "tasks.sleep").size()).as("not finished when RabbitMQ stopped")
                    .isLessThan(BEFORE);
        } finally {
            AmqpInterop.rabbitmqctl("start_app");
            AmqpInterop.rabbitmqctl("await_startup");
        }
        Instant up = Instant.now();
        for (int i = 0; i < AFTER; i++) {
            results.add(send(app, queue)); // waits for the client's connection to come back (publish_recovery_wait)
        }
        for (AsyncResult<Object> r : results) {
            assertThat(r.get(Duration.ofSeconds(90))).as("result of %s", r.id()).isEqualTo(SLEEP);
        }
        assertThat(worker.isAlive()).as("the worker survived the restart").isTrue();
        assertThat(worker.log()).contains("recovered");
        Awaitility.await("queue empty, nothing unacknowledged").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(500)).until(() -> {
                    long[] c = AmqpInterop.queueCounts(vhost, queue);
                    return c[0] == 0 && c[1] == 0;
                });
        System.out.printf("AMQP restart: RabbitMQ down for %s; %d tasks done %s after it came back%n",
                Duration.between(down, up), results.size(), Duration.between(up, Instant.now()));
    }

    private AsyncResult<Object> send(Celeriac app, String queue) {
        AsyncResult<Object> r = app.sendTask("tasks.sleep", List.of(SLEEP), Map.of(), ApplyOptions.builder().queue(queue).build());
        ids.add(r.id());
        return r;
    }
}
