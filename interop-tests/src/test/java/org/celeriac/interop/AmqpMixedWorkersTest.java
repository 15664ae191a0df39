package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.core.Celeriac;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A Python Celery worker and a Celeriac worker consume the same RabbitMQ queue at once (private vhost), while a
 * Python client and the Celeriac client each send half of 500 {@code tasks.add} calls with results through
 * {@code rpc://}: every result is right and reaches its own caller, every task id is executed exactly once (one
 * {@code succeeded} line across both workers' logs), both workers ran some, and the queue ends with nothing ready
 * and nothing unacknowledged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmqpMixedWorkersTest {
    private static final int PER_CLIENT = 250;
    private static final long OFFSET = 1_000_000L;

    private final String queue = Interop.uniqueQueue("amqp-mixed");
    private Path dir;
    private String vhost;
    private String url;
    private AmqpInterop.Proc python;
    private AmqpInterop.Proc java;
    private Celeriac app;

    @BeforeAll
    void startBothWorkers() throws Exception {
        AmqpInterop.requireRabbit();
        Interop.requirePythonCelery();
        dir = Files.createTempDirectory("amqp-mixed");
        vhost = AmqpInterop.createVhost("mixed");
        url = AmqpInterop.url(vhost);
        python = AmqpInterop.Proc.pythonWorker(dir, "py-amqp-mixed", url, "rpc://", queue, Map.of());
        java = AmqpInterop.Proc.javaWorker(dir, "java-amqp-mixed", url, "rpc://", queue, 2, Map.of());
        python.awaitReady(Duration.ofSeconds(60));
        java.awaitReady(Duration.ofSeconds(60));
        app = Celeriac.builder().set("broker_url", url).set("result_backend", "rpc://").build();
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
        if (java != null) {
            java.close();
        }
        if (python != null) {
            python.close();
        }
        AmqpInterop.deleteVhost(vhost);
    }

    @Test
    void python_and_java_workers_on_one_queue_lose_and_duplicate_nothing() throws Exception {
        AmqpInterop.Proc pyClient = AmqpInterop.Proc.pythonClient(dir, url, "rpc://", queue, "batch", "0",
                String.valueOf(PER_CLIENT));
        List<AsyncResult<Object>> fromJava = new ArrayList<>();
        Map<String, Long> expected = new HashMap<>();
        for (long i = PER_CLIENT; i < 2 * PER_CLIENT; i++) {
            AsyncResult<Object> r = app.sendTask("tasks.add", List.of(i, OFFSET), Map.of(),
                    ApplyOptions.builder().queue(queue).build());
            fromJava.add(r);
            expected.put(r.id(), i + OFFSET);
        }
        for (AsyncResult<Object> r : fromJava) {
            assertThat(r.get(Duration.ofSeconds(60))).as("result of %s", r.id()).isEqualTo(expected.get(r.id()));
        }
        List<JsonNode> pyResults = pyClient.awaitLines(Duration.ofSeconds(90)).stream()
                .filter(l -> l.path("case").asText().equals("batch")).toList();
        assertThat(pyResults).as("results read by the Python client").hasSize(PER_CLIENT);
        for (JsonNode l : pyResults) {
            assertThat(l.path("state").asText()).as("state of %s", l).isEqualTo("SUCCESS");
            assertThat(l.path("result").asLong()).as("result of %s", l).isEqualTo(l.path("x").asLong() + OFFSET);
            expected.put(l.path("id").asText(), l.path("x").asLong() + OFFSET);
        }
        assertThat(expected).as("distinct task ids").hasSize(2 * PER_CLIENT);

        Awaitility.await("a 'succeeded' log line for every task").atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> executions().keySet().containsAll(expected.keySet()));
        assertThat(executions().entrySet().stream().filter(e -> expected.containsKey(e.getKey()) && e.getValue() != 1))
                .as("task ids executed more than once").isEmpty();
        long byPython = Interop.succeededIds(python.log(), "tasks.add").stream().filter(expected::containsKey).count();
        long byJava = Interop.succeededIds(java.log(), "tasks.add").stream().filter(expected::containsKey).count();
        assertThat(byPython + byJava).isEqualTo(2L * PER_CLIENT);
        assertThat(byPython).as("tasks run by the Python worker").isPositive();
        assertThat(byJava).as("tasks run by the Java worker").isPositive();
        Awaitility.await("nothing ready or unacknowledged in " + queue).atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    long[] c = AmqpInterop.queueCounts(vhost, queue);
                    return c[0] == 0 && c[1] == 0;
                });
        System.out.printf("mixed workers: %d tasks, %d run by Python, %d by Java%n", 2 * PER_CLIENT, byPython, byJava);
    }

    private Map<String, Long> executions() {
        List<String> ids = new ArrayList<>(Interop.succeededIds(python.log(), "tasks.add"));
        ids.addAll(Interop.succeededIds(java.log(), "tasks.add"));
        return ids.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }
}
