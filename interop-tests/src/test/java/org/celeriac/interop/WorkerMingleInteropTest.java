package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mingle across languages (issue #10, {@code celery/worker/consumer/mingle.py}), on a private {@code redis-server}:
 * a Celeriac worker that starts next to a Python Celery 5.2.6 worker asks it {@code hello} and takes over the task
 * ids it has revoked (and honours them); a Python worker started with mingle next to a Celeriac worker takes over
 * the Celeriac worker's revoked ids from its {@code hello} reply.
 */
class WorkerMingleInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Pattern READY = Pattern.compile("(\\S+@\\S+) ready\\.");

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private String url;
    private String queue;
    private Celeriac app;

    @BeforeEach
    void start() throws Exception {
        Interop.requirePythonCelery();
        PrivateRedis redis = PrivateRedis.start(dir);
        resources.add(redis);
        url = redis.url(0);
        queue = Interop.uniqueQueue("mingle");
        TaskDefinition add = TaskDefinition.of("tasks.add", TaskOptions.DEFAULTS, (context, args, kwargs) -> ((Number) args.get(0)).longValue() + ((Number) args.get(1)).longValue());
        app = Celeriac.builder().set("broker_url", url).set("result_backend", url)
                .registry(TaskRegistry.of(List.of(add))).build();
        resources.add(app);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private static String nodeName(String log) {
        Matcher m = READY.matcher(log);
        assertThat(m.find()).as("a '<node> ready.' line in\n%s", log).isTrue();
        return m.group(1);
    }

    private ControlClient control() {
        ControlClient c = new ControlClient(app);
        resources.add(c);
        return c;
    }

    private static ControlOptions to(String node) {
        return ControlOptions.defaults().withDestination(List.of(node)).withTimeout(Duration.ofSeconds(5)).withLimit(1);
    }

    @Test
    void a_celeriac_worker_takes_over_the_revokes_of_a_python_worker() throws Exception {
        Peer py = Peer.pythonWorker(dir, "py-mingle", url, Interop.uniqueQueue("mingle-py"),
                Map.of("CELERIAC_IT_REMOTE_CONTROL", "true"));
        resources.add(py::close);
        String pyNode = nodeName(py.awaitReady(WAIT).log());
        String revokedId = "revoked-" + UUID.randomUUID();
        assertThat(control().call("revoke", Map.of("task_id", revokedId), to(pyNode)).get(pyNode))
                .isEqualTo(Map.of("ok", "tasks " + revokedId + " flagged as revoked"));

        Worker w = new Worker(app, new Worker.Options("java-mingle@%h", List.of(queue), 1, Worker.Pool.THREADS, 1));
        resources.add(w);
        w.start(); // mingle runs before consuming
        assertThat(control().call("revoked", Map.of(), to(w.nodeName())).get(w.nodeName()))
                .asList().contains(revokedId);
        AsyncResult<Object> r = app.sendTask("tasks.add", List.of(1, 2), Map.of(),
                ApplyOptions.builder().queue(queue).taskId(revokedId).build());
        try {
            r.get(Duration.ofSeconds(10));
            throw new AssertionError("a revoked task ran");
        } catch (TaskFailedException e) {
            assertThat(e.state()).isEqualTo("REVOKED");
        }
    }

    @Test
    void a_python_worker_with_mingle_takes_over_the_revokes_of_a_celeriac_worker() throws Exception {
        Worker w = new Worker(app, new Worker.Options("java-mingle@%h", List.of(queue), 1, Worker.Pool.THREADS, 1));
        resources.add(w);
        w.start();
        String revokedId = "revoked-" + UUID.randomUUID();
        control().call("revoke", Map.of("task_id", revokedId), to(w.nodeName()));

        ProcessBuilder pb = new ProcessBuilder(Interop.PYTHON, "-m", "celery", "-A", "pytasks", "worker", "-P", "solo",
                "-Q", Interop.uniqueQueue("mingle-py"), "-n", "py-mingle@%h", "--without-gossip", "--without-heartbeat",
                "-l", "info");
        Peer.pythonEnvironment(pb, url, queue);
        pb.environment().put("CELERIAC_IT_REMOTE_CONTROL", "true");
        Path log = dir.resolve("py-mingle.log");
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        resources.add(() -> {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        });
        await("the Python worker's 'ready.' line").atMost(WAIT).until(() -> Files.exists(log)
                && Files.readString(log, StandardCharsets.UTF_8).contains(" ready."));
        String pyLog = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(pyLog).contains("mingle: sync with 1 nodes");
        String pyNode = nodeName(pyLog);
        assertThat(control().call("revoked", Map.of(), to(pyNode)).get(pyNode)).asList().contains(revokedId);
    }
}
