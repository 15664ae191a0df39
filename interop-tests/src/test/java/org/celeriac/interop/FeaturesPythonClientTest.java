package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.celeriac.api.TaskContext;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #9's worker features driven by a real Python Celery 5.2.6 client ({@code pyfeatures.py}, one process for the
 * class) against an in-process Java worker on Redis: {@code AsyncResult.revoke()} and
 * {@code revoke(terminate=True)}, {@code app.control.rate_limit} (the same broadcast as {@code celery control
 * rate_limit}) enforced by the Java worker's token bucket, a Java task's retries seen by Python (RETRY then SUCCESS,
 * {@code AsyncResult.retries}), and {@code expires} from Python ending REVOKED.
 *
 * <p>Redis database 4 is reserved for this class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FeaturesPythonClientTest {
    private static final int DB = 4;

    @TempDir
    static Path dir;

    private final String url = Interop.sharedRedis(DB);
    private final String queue = Interop.uniqueQueue("f-pyclient");
    private final CountDownLatch release = new CountDownLatch(1);
    private final Map<String, JsonNode> cases = new LinkedHashMap<>();
    private Celeriac app;
    private Worker worker;

    private static TaskDefinition task(String name, TaskOptions options, BiFunction<TaskContext, List<Object>, Object> body) {
        return TaskDefinition.of(name, options, (context, args, kwargs) -> body.apply(context, args));
    }

    @BeforeAll
    void run() throws Exception {
        Interop.requireRedis();
        Interop.requirePythonCelery();
        TaskOptions none = TaskOptions.DEFAULTS;
        app = Celeriac.builder().set("broker_url", url).set("result_backend", url).set("task_default_queue", queue)
                .set("result_extended", true)
                .set("task_annotations", Map.of("f.sleep", Map.of("track_started", true)))
                .registry(TaskRegistry.of(List.of(
                        task("f.add", none, (c, a) -> ((Number) a.get(0)).longValue() + ((Number) a.get(1)).longValue()),
                        task("f.limited", none, (c, a) -> "limited ran"),
                        task("f.sleep", none, (c, a) -> {
                            try {
                                return release.await(20, TimeUnit.SECONDS) ? "released" : "woke";
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new IllegalStateException("interrupted", e);
                            }
                        }),
                        task("f.retry", new TaskOptions(null, null, 1, null, null, null, null, null, null, null), (c, a) -> {
                            if (c.retries() < ((Number) a.get(0)).intValue()) {
                                throw c.retry(new IllegalStateException("attempt " + c.retries()),
                                        Duration.ofMillis(300), null);
                            }
                            return (long) c.retries();
                        })))).build();
        worker = new Worker(app, new Worker.Options("f-pyclient@%h", List.of(queue), 3, Worker.Pool.THREADS, 1));
        worker.start();
        for (JsonNode l : runScript()) {
            cases.put(l.get("case").asText(), l);
        }
    }

    private List<JsonNode> runScript() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Interop.PYTHON, "pyfeatures.py", worker.nodeName()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Peer.pythonEnvironment(pb, url, queue);
        Path out = dir.resolve("pyfeatures.out");
        Path err = dir.resolve("pyfeatures.err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("pyfeatures.py did not finish within 60 s; stdout:\n"
                    + java.nio.file.Files.readString(out) + "\nstderr:\n" + java.nio.file.Files.readString(err));
        }
        String stdout = java.nio.file.Files.readString(out);
        if (p.exitValue() != 0) {
            throw new AssertionError("pyfeatures.py exited with " + p.exitValue() + "; stdout:\n" + stdout
                    + "\nstderr:\n" + java.nio.file.Files.readString(err));
        }
        return Interop.jsonLines(stdout);
    }

    @AfterAll
    void stop() {
        release.countDown();
        if (worker != null) {
            worker.close();
        }
        if (app != null) {
            app.close();
        }
        Interop.deleteKeys(url, List.of(queue));
        FeaturesWorkerCases.deletePidboxKeys(url);
    }

    private JsonNode c(String name) {
        JsonNode n = cases.get(name);
        assertThat(n).as("pyfeatures.py printed '%s' (got %s)", name, cases.keySet()).isNotNull();
        return n;
    }

    @Test
    void python_async_result_revoke_reaches_the_java_worker() {
        JsonNode r = c("revoke");
        assertThat(r.path("ok").asBoolean()).isFalse();
        assertThat(r.path("exc_type").asText()).isEqualTo("TaskRevokedError");
        assertThat(r.path("state").asText()).isEqualTo("REVOKED");
    }

    @Test
    void python_revoke_terminate_interrupts_the_task_running_on_the_java_worker() {
        JsonNode r = c("terminate");
        assertThat(r.path("started").toString()).contains("STARTED");
        assertThat(r.path("exc_type").asText()).isEqualTo("TaskRevokedError");
        assertThat(r.path("exc_args").toString()).contains("terminated");
        assertThat(r.path("state").asText()).isEqualTo("REVOKED");
    }

    @Test
    void python_control_rate_limit_is_enforced_by_the_java_workers_token_bucket() {
        JsonNode r = c("rate_limit");
        String node = worker.nodeName();
        assertThat(r.path("reply").toString()).contains(node).contains("new rate limit set successfully");
        assertThat(r.path("first").asText()).isEqualTo("limited ran");
        assertThat(r.path("held_state").asText()).as("1/h: the second waits for a token").isEqualTo("PENDING");
        assertThat(r.path("bad").toString()).contains("Invalid rate limit string")
                .contains("'10/m', '100/s', '5/h'");
        assertThat(r.path("off").toString()).contains("rate limit disabled successfully");
        assertThat(r.path("second").path("result").asText()).isEqualTo("limited ran");
    }

    @Test
    void python_sees_retry_then_success_and_the_retries_count_of_a_java_task() {
        JsonNode r = c("retry");
        List<String> seen = new ArrayList<>();
        r.path("seen").forEach(s -> seen.add(s.asText()));
        assertThat(seen).contains("RETRY").endsWith("SUCCESS");
        assertThat(seen.indexOf("RETRY")).isLessThan(seen.indexOf("SUCCESS"));
        assertThat(r.path("result").asLong()).isEqualTo(1L);
        assertThat(r.path("retries").asInt()).isEqualTo(1);

        JsonNode failed = c("retry_exhausted");
        assertThat(failed.path("ok").asBoolean()).isFalse();
        assertThat(failed.path("state").asText()).isEqualTo("FAILURE");
        assertThat(failed.path("exc_type").asText()).isEqualTo("IllegalStateException");
        assertThat(failed.path("exc_args").toString()).contains("attempt 1");
    }

    @Test
    void a_python_expires_makes_the_java_worker_revoke_the_task() {
        JsonNode r = c("expires");
        assertThat(r.path("exc_type").asText()).isEqualTo("TaskRevokedError");
        assertThat(r.path("state").asText()).isEqualTo("REVOKED");
    }
}
