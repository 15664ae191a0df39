package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskFailedException;
import org.celeriac.core.Celeriac;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Celeriac client in this JVM against a Python Celery 5.2.6 worker ({@code pytasks.py}, solo pool) on
 * Redis: exact results, Python failures as {@link TaskFailedException} with Python's traceback, countdown and
 * eta.
 *
 * <p>Redis database 12 is reserved for this class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JavaClientToPythonWorkerTest {
    private static final int DB = 12;
    private static final Duration RESULT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;

    private final String url = Interop.sharedRedis(DB);
    private final String queue = Interop.uniqueQueue("java2py");
    private Peer worker;
    private Celeriac app;

    @BeforeAll
    void startPythonWorkerAndJavaClient() throws Exception {
        Interop.requireRedis();
        Interop.requirePythonCelery();
        worker = Peer.pythonWorker(dir, "py-java2py", url, queue).awaitReady(Duration.ofSeconds(60));
        app = Celeriac.builder().set("broker_url", url).set("result_backend", url)
                .set("task_default_queue", queue).build();
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
        if (worker != null) {
            worker.close();
            Interop.deleteKeys(url, List.of(queue));
        }
    }

    private AsyncResult<Object> send(String name, List<?> args, Map<String, ?> kwargs, ApplyOptions.Builder o) {
        return app.sendTask(name, args, kwargs, o.queue(queue).build());
    }

    private Object call(String name, Object... args) {
        return send(name, Arrays.asList(args), Map.of(), ApplyOptions.builder()).get(RESULT);
    }

    @Test
    void typed_delay_gets_the_python_result() {
        assertThat(app.task("tasks.add", Long.class).delay(2, 2).get(RESULT)).isEqualTo(4L);
        // Celery logs "succeeded" after it stored the result: the line may follow the result by a moment.
        org.awaitility.Awaitility.await().atMost(RESULT).untilAsserted(() ->
                assertThat(worker.log()).containsPattern("Task tasks\\.add\\[[^\\]]+\\] succeeded in .*: 4"));
    }

    @Test
    void python_arithmetic_results_are_exact() {
        BigInteger two70 = BigInteger.TWO.pow(70);
        assertThat(call("tasks.add", two70, 1)).isEqualTo(two70.add(BigInteger.ONE));
        assertThat(call("tasks.add", 1, 0.5)).isEqualTo(1.5);
        assertThat(call("tasks.mul", 6, 7)).isEqualTo(42L);
        assertThat(call("tasks.xsum", List.of(1, 2, List.of(3, 4)))).isEqualTo(10L);
        assertThat(send("tasks.add", List.of(), Map.of("x", 40, "y", 2), ApplyOptions.builder()).get(RESULT))
                .isEqualTo(42L);
    }

    @Test
    void json_edge_values_round_trip_through_a_python_worker() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("z", List.of(1L, Map.of("b", Arrays.asList(null, true, false, "x", 2.5))));
        nested.put("a", Map.of("", "", "\uD83D\uDE00", List.of(List.of(List.of()))));
        nested.put("empty", Map.of());
        List<Object> values = new ArrayList<>(List.of(BigInteger.TWO.pow(70), BigInteger.TWO.pow(70).negate(),
                Long.MIN_VALUE, 42L, 3.0, 1e-05, 1e300, 0.1, Double.NaN, Double.POSITIVE_INFINITY,
                "h\u00e9llo \u2713 \u65e5\u672c\u8a9e \uD83D\uDE00 \uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67",
                "tab\tnl\ncr\r quote\" backslash\\ nul\u0000", "", true, false, List.of(), Map.of(),
                Arrays.asList(1L, 1.0, "1", null), nested));
        List<AsyncResult<Object>> results = values.stream()
                .map(v -> send("tasks.echo", Arrays.asList(v), Map.of(), ApplyOptions.builder())).toList();
        for (int i = 0; i < values.size(); i++) {
            assertThat(results.get(i).get(RESULT)).as("echo of %s", values.get(i)).isEqualTo(values.get(i));
        }
        Object negZero = call("tasks.echo", -0.0);
        assertThat(negZero).isInstanceOf(Double.class);
        assertThat(Double.doubleToRawLongBits((Double) negZero)).as("-0.0 keeps its sign")
                .isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(call("tasks.echo", (Object) null)).isNull();
    }

    @Test
    void a_python_value_error_is_a_task_failed_exception_with_the_python_traceback() {
        AsyncResult<Object> r = send("tasks.fail", List.of("boom \u2603"), Map.of(), ApplyOptions.builder());

        assertThatThrownBy(() -> r.get(RESULT)).asInstanceOf(type(TaskFailedException.class)).satisfies(e -> {
            assertThat(e.excType()).isEqualTo("ValueError");
            assertThat(e.excModule()).isEqualTo("builtins");
            assertThat(e.excMessage()).isEqualTo("boom \u2603");
            assertThat(e.state()).isEqualTo("FAILURE");
            assertThat(e.remoteTraceback()).startsWith("Traceback (most recent call last):")
                    .contains("pytasks.py").contains("raise ValueError(msg)").contains("ValueError: boom \u2603");
        });
        assertThat(r.traceback()).contains("Traceback (most recent call last):");
    }

    @Test
    void a_python_task_that_retries_then_fails_ends_in_value_error() {
        AsyncResult<Object> r = send("tasks.fail", List.of("again"), Map.of("retries", 2, "countdown", 0.2),
                ApplyOptions.builder());

        assertThatThrownBy(() -> r.get(RESULT)).asInstanceOf(type(TaskFailedException.class))
                .extracting(TaskFailedException::excType).isEqualTo("ValueError");
        assertThat(worker.log()).contains("tasks.fail[" + r.id() + "] retry");
    }

    @Test
    void an_unknown_name_is_not_registered_on_the_python_worker() {
        AsyncResult<Object> r = send("tasks.no_such_task", List.of(1), Map.of(), ApplyOptions.builder());

        assertThatThrownBy(() -> r.get(RESULT)).asInstanceOf(type(TaskFailedException.class)).satisfies(e -> {
            assertThat(e.excType()).isEqualTo("NotRegistered");
            assertThat(e.excMessage()).contains("tasks.no_such_task");
        });
        assertThat(worker.log()).contains("Received unregistered task of type 'tasks.no_such_task'");
    }

    @Test
    void countdown_and_eta_are_honoured_by_the_python_worker() throws Exception {
        Instant sent = Instant.now();
        AsyncResult<Object> countdown = send("tasks.add", List.of(1, 2), Map.of(), ApplyOptions.builder().countdown(1));
        Instant notBefore = Instant.now().plusSeconds(1);
        AsyncResult<Object> eta = send("tasks.add", List.of(3, 4), Map.of(), ApplyOptions.builder().eta(notBefore));

        assertThat(countdown.get(RESULT)).isEqualTo(3L);
        assertThat(eta.get(RESULT)).isEqualTo(7L);
        assertThat(Duration.between(sent, Instant.now())).isGreaterThanOrEqualTo(Duration.ofMillis(950));
        String log = worker.log();
        assertThat(log).contains("Task tasks.add[" + countdown.id() + "] received")
                .contains("Task tasks.add[" + eta.id() + "] received");
        assertThat(dateDone(countdown.id())).as("date_done of the countdown task")
                .isAfterOrEqualTo(sent.plusSeconds(1));
        assertThat(dateDone(eta.id())).as("date_done of the eta task").isAfterOrEqualTo(notBefore);
    }

    /** {@code date_done} of the stored result, as Python wrote it (naive UTC ISO-8601). */
    private Instant dateDone(String taskId) throws Exception {
        RedisClient c = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> conn = c.connect()) {
            String meta = conn.sync().get("celery-task-meta-" + taskId);
            assertThat(meta).as("stored result of %s", taskId).isNotNull();
            return LocalDateTime.parse(Interop.JSON.readTree(meta).path("date_done").asText()).toInstant(ZoneOffset.UTC);
        } finally {
            c.shutdown();
        }
    }
}
