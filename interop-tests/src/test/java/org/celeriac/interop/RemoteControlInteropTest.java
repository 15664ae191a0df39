package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remote control across languages on Redis (Celery's pidbox: PUBLISH on {@code /10.celery.pidbox}, replies
 * through {@code _kombu.binding.reply.celery.pidbox}): Python Celery 5.2.6's {@code celery inspect} and
 * {@code celery control} see and command a Celeriac worker process, and Celeriac's {@link ControlClient} (what
 * {@code celeriac inspect} uses) sees a Python worker.
 *
 * <p>Redis database 10 is reserved for this class; the mailbox exchange names are per database on Redis.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteControlInteropTest {
    private static final int DB = 10;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern READY = Pattern.compile("(\\S+@\\S+) ready\\.");

    @TempDir
    static Path dir;

    private final String url = Interop.sharedRedis(DB);
    private final String javaQueue = Interop.uniqueQueue("ctl-java");
    private final String pyQueue = Interop.uniqueQueue("ctl-py");
    private Peer javaWorker;
    private Peer pyWorker;
    private String javaNode;
    private String pyNode;
    private Celeriac app;

    @BeforeAll
    void startWorkers() throws Exception {
        Interop.requireRedis();
        Interop.requirePythonCelery();
        javaWorker = Peer.javaWorker(dir, "java-ctl", url, javaQueue, 2, Map.of());
        pyWorker = Peer.pythonWorker(dir, "py-ctl", url, pyQueue, Map.of("CELERIAC_IT_REMOTE_CONTROL", "true"));
        javaNode = nodeName(javaWorker.awaitReady(Duration.ofSeconds(60)));
        pyNode = nodeName(pyWorker.awaitReady(Duration.ofSeconds(60)));
        app = Celeriac.builder().set("broker_url", url).set("result_backend", url)
                .set("task_default_queue", javaQueue).build();
    }

    private static String nodeName(Peer p) {
        Matcher m = READY.matcher(p.log());
        assertThat(m.find()).as("a '<node> ready.' line in\n%s", p.log()).isTrue();
        return m.group(1);
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
        for (Peer p : new Peer[] {javaWorker, pyWorker}) {
            if (p != null) {
                p.close();
            }
        }
        if (javaWorker != null || pyWorker != null) {
            Interop.deleteKeys(url, List.of(javaQueue, pyQueue));
            deletePidboxKeys();
        }
    }

    /** The reply queues and bindings of the mailbox in this class's database. */
    private void deletePidboxKeys() {
        RedisClient c = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> conn = c.connect()) {
            List<String> keys = new ArrayList<>();
            ScanIterator.scan(conn.sync(), ScanArgs.Builder.matches("*pidbox*").limit(1000)).forEachRemaining(keys::add);
            if (!keys.isEmpty()) {
                conn.sync().del(keys.toArray(String[]::new));
            }
        } finally {
            c.shutdown();
        }
    }

    /** {@code python3 -m celery -A pytasks <args>}: its stdout (stderr joined), after it exited with 0. */
    private String celery(String... args) throws IOException, InterruptedException {
        return celery(0, args);
    }

    private String celery(int expectedExit, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Interop.PYTHON, "-m", "celery", "-A", "pytasks"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Peer.pythonEnvironment(pb, url, javaQueue);
        Path out = Files.createTempFile(dir, "celery-", ".out");
        pb.redirectErrorStream(true).redirectOutput(out.toFile());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("celery " + String.join(" ", args) + " did not finish in 60 s:\n" + Files.readString(out));
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        System.err.println("$ celery " + String.join(" ", args) + "  (exit " + p.exitValue() + ")\n" + text);
        assertThat(p.exitValue()).as("exit code of celery %s; output:\n%s", String.join(" ", args), text)
                .isEqualTo(expectedExit);
        return text;
    }

    /** The JSON line of {@code celery inspect/control ... -j}. */
    private JsonNode celeryJson(String... args) throws IOException, InterruptedException {
        String text = celery(args);
        String line = text.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no JSON line in:\n" + text));
        return Interop.JSON.readTree(line);
    }

    @Test
    void python_inspect_ping_sees_the_java_worker() throws Exception {
        String out = celery("inspect", "ping", "-d", javaNode, "-t", "10");
        assertThat(out).contains("->  " + javaNode + ": OK").contains("pong").contains("1 node online.");
    }

    @Test
    void python_inspect_stats_and_registered_read_the_java_workers_answers() throws Exception {
        JsonNode stats = celeryJson("inspect", "stats", "-d", javaNode, "-t", "10", "-j").path(javaNode);
        assertThat(stats.path("pool").path("max-concurrency").asInt()).isEqualTo(2);
        assertThat(stats.path("clock").isTextual()).as("clock is a string, as Celery's: %s", stats).isTrue();
        assertThat(stats.path("broker").path("transport").asText()).isEqualTo("redis");
        assertThat(stats.path("broker").path("virtual_host").asText()).isEqualTo(String.valueOf(DB));
        assertThat(stats.path("prefetch_count").asInt()).isEqualTo(8);

        JsonNode registered = celeryJson("inspect", "registered", "-d", javaNode, "-t", "10", "-j").path(javaNode);
        List<String> names = new ArrayList<>();
        registered.forEach(n -> names.add(n.asText().replaceAll(" \\[.*\\]$", ""))); // rate_limit may be set
        assertThat(names).contains("tasks.add", "tasks.sleep", "tasks.echo");
    }

    @Test
    void python_inspect_active_shows_the_task_the_java_worker_runs() throws Exception {
        AsyncResult<Object> r = app.task("tasks.sleep").delay(4);
        await().atMost(WAIT).until(() -> javaWorker.log().contains("tasks.sleep[" + r.id() + "] received"));

        JsonNode active = celeryJson("inspect", "active", "-d", javaNode, "-t", "10", "-j").path(javaNode);

        assertThat(active.isArray()).as("%s", active).isTrue();
        assertThat(active).anySatisfy(req -> {
            assertThat(req.path("id").asText()).isEqualTo(r.id());
            assertThat(req.path("name").asText()).isEqualTo("tasks.sleep");
            assertThat(req.path("hostname").asText()).isEqualTo(javaNode);
            assertThat(req.path("time_start").isNumber()).isTrue();
        });
        assertThat(r.get(WAIT)).isEqualTo(4L);
    }

    @Test
    void python_control_rate_limit_changes_what_the_java_worker_reports() throws Exception {
        String out = celery("control", "rate_limit", "tasks.add", "10/m", "-d", javaNode, "-t", "10");
        assertThat(out).contains("->  " + javaNode + ": OK").contains("new rate limit set successfully");

        JsonNode registered = celeryJson("inspect", "registered", "-d", javaNode, "-t", "10", "-j").path(javaNode);
        List<String> names = new ArrayList<>();
        registered.forEach(n -> names.add(n.asText()));
        assertThat(names).contains("tasks.add [rate_limit=10/m]");
    }

    @Test
    void python_control_revoke_revokes_a_countdown_task_the_java_worker_holds() throws Exception {
        AsyncResult<Object> r = app.sendTask("tasks.add", List.of(1, 2), Map.of(),
                ApplyOptions.builder().queue(javaQueue).countdown(60).build());
        await().atMost(WAIT).until(() -> javaWorker.log().contains("tasks.add[" + r.id() + "] received"));

        String out = celery("control", "revoke", r.id(), "-d", javaNode, "-t", "10");

        assertThat(out).contains("tasks " + r.id() + " flagged as revoked");
        await().atMost(WAIT).until(() -> r.state() == TaskState.REVOKED);
        try {
            r.get(WAIT);
            throw new AssertionError("a revoked task must not succeed");
        } catch (TaskFailedException e) {
            assertThat(e.excType()).isEqualTo("TaskRevokedError");
        }
        assertThat(javaWorker.log()).contains("Discarding revoked task: tasks.add[" + r.id() + "]");
    }

    @Test
    void the_java_control_client_sees_the_python_worker() throws Exception {
        try (ControlClient client = new ControlClient(app)) {
            ControlOptions toPy = ControlOptions.defaults().withDestination(List.of(pyNode)).withTimeout(WAIT);
            assertThat(client.ping(toPy)).isEqualTo(Map.of(pyNode, Map.of("ok", "pong")));

            Map<String, Object> stats = client.call("stats", Map.of(), toPy);
            assertThat(stats).containsKey(pyNode);
            assertThat(((Map<?, ?>) stats.get(pyNode)).get("clock")).isInstanceOf(String.class);

            Map<String, Object> registered = client.call("registered", Map.of("taskinfoitems", List.of()), toPy);
            assertThat((List<Object>) registered.get(pyNode)).contains("tasks.add", "tasks.sleep");

            Map<String, Object> both = client.ping(ControlOptions.defaults().withDestination(List.of(pyNode, javaNode))
                    .withTimeout(WAIT));
            assertThat(both).containsOnlyKeys(pyNode, javaNode);
        }
    }

    @Test
    void celeriac_inspect_ping_exits_zero_for_a_python_node_and_non_zero_for_an_absent_one() {
        assertThat(org.celeriac.cli.Main.execute("inspect", "ping", "-d", pyNode, "-t", "10", "--broker", url)).isZero();
        assertThat(org.celeriac.cli.Main.execute("inspect", "ping", "-d", "nobody@nowhere", "-t", "0.5", "--broker", url))
                .isEqualTo(69);
    }
}
