package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskFailedException;
import org.celeriac.core.Celeriac;
import org.celeriac.core.canvas.Signature;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python Celery 5.2.6 sends chains, groups and chords ({@code pycanvas.py}) to a Celeriac worker on Redis: chain
 * steps come from {@code embed.chain}, chord headers carry {@code embed.chord} and are joined through Celery's
 * native {@code celery-taskset-meta-<gid>.j/.s/.t} keys (Python set {@code .s}); the Java worker runs headers and
 * body, and a failed header task makes Python's {@code get()} raise Celery's {@code ChordError}. The other way
 * round, the Celeriac client sends the same primitives to a Python worker (which joins the chord through the
 * {@code .s} size the Java client set).
 *
 * <p>Redis database 6 is reserved for this class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CanvasInteropTest {
    private static final int DB = 6;

    @TempDir
    static Path dir;

    private final String url = Interop.sharedRedis(DB);
    private final String queue = Interop.uniqueQueue("canvas");
    private final String pyQueue = Interop.uniqueQueue("canvas-py");
    private Peer worker;
    private Peer pyWorker;
    private Celeriac app;
    private final Map<String, JsonNode> cases = new LinkedHashMap<>();

    @BeforeAll
    void run() throws Exception {
        Interop.requireRedis();
        Interop.requirePythonCelery();
        // callbacks (chain steps, chord bodies) go to the default queue, as they do from a Python worker
        worker = Peer.javaWorker(dir, "java-canvas", url, queue, 2, Map.of("CELERIAC_TASK_DEFAULT_QUEUE", queue)).awaitReady(Duration.ofSeconds(60));
        ProcessBuilder pb = new ProcessBuilder(Interop.PYTHON, "pycanvas.py");
        Peer.pythonEnvironment(pb, url, queue);
        Path out = dir.resolve("pycanvas.out");
        Path err = dir.resolve("pycanvas.err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(p.isAlive() ? -1 : p.exitValue()).as("pycanvas.py exit status; stdout:\n%s\nstderr:\n%s\nworker:\n%s",
                stdout, Files.readString(err, StandardCharsets.UTF_8), worker.log()).isZero();
        Interop.jsonLines(stdout).forEach(l -> cases.put(l.get("case").asText(), l));
        pyWorker = Peer.pythonWorker(dir, "py-canvas", url, pyQueue).awaitReady(Duration.ofSeconds(60));
        app = Celeriac.builder().set("broker_url", url).set("result_backend", url).set("task_default_queue", pyQueue)
                .build();
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
        if (worker != null) {
            worker.close();
        }
        if (pyWorker != null) {
            pyWorker.close();
        }
        Interop.deleteKeys(url, List.of(queue, pyQueue));
        // groups and chord join keys (Python leaves .j/.s behind when a header failed, as Celery does)
        io.lettuce.core.RedisClient c = io.lettuce.core.RedisClient.create(url);
        try (var conn = c.connect()) {
            List<String> keys = new ArrayList<>();
            io.lettuce.core.ScanIterator.scan(conn.sync(), io.lettuce.core.ScanArgs.Builder.matches("celery-taskset-meta-*")
                    .limit(1000)).forEachRemaining(keys::add);
            if (!keys.isEmpty()) {
                conn.sync().del(keys.toArray(String[]::new));
            }
        } finally {
            c.shutdown();
        }
    }

    private JsonNode ok(String name) {
        JsonNode c = cases.get(name);
        assertThat(c).as("pycanvas.py printed '" + name + "'").isNotNull();
        assertThat(c.path("ok").asBoolean()).as(c.toString()).isTrue();
        return c.path("value");
    }

    @Test
    void a_python_chain_runs_its_steps_on_the_java_worker() {
        assertThat(ok("chain").asLong()).isEqualTo(41L);
        assertThat(ok("chain_si").asLong()).isEqualTo(10L);
    }

    @Test
    void a_python_group_runs_on_the_java_worker() {
        assertThat(ok("group").toString()).isEqualTo("[2,9,7]");
    }

    @Test
    void a_python_chord_is_joined_natively_by_the_java_worker_in_header_order() {
        assertThat(ok("chord").asLong()).isEqualTo(20L);
        assertThat(ok("chord_order").toString()).isEqualTo("[\"v0\",\"v1\",\"v2\",\"v3\",\"v4\",\"v5\"]");
    }

    @Test
    void a_python_link_error_errback_gets_the_failed_task_id_from_the_java_worker() {
        JsonNode v = ok("link_error");
        assertThat(v.get(0).asText()).isEqualTo(v.get(1).asText()).isNotEmpty();
    }

    @Test
    void a_failed_header_task_makes_python_raise_chord_error() {
        JsonNode c = cases.get("chord_error");
        assertThat(c).isNotNull();
        assertThat(c.path("ok").asBoolean()).isFalse();
        assertThat(c.path("exc_type").asText()).isEqualTo("ChordError");
        assertThat(c.path("exc_message").asText()).contains("ValueError").contains("bad");
    }

    @Test
    void a_java_chain_group_and_chord_run_on_a_python_worker() {
        Duration wait = Duration.ofSeconds(30);
        assertThat(app.chain(Signature.of("tasks.add", 2, 2), Signature.of("tasks.mul", 10),
                app.si("tasks.add", 1, 1)).get(wait)).isEqualTo(2L);
        assertThat(app.chain(Signature.of("tasks.add", 2, 2), Signature.of("tasks.mul", 10)).get(wait)).isEqualTo(40L);
        assertThat(app.group(Signature.of("tasks.add", 1, 1), Signature.of("tasks.mul", 3, 3)).get(wait))
                .containsExactly(2L, 9L);
        List<Signature> header = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            header.add(Signature.of("tasks.echo", "v" + i));
        }
        assertThat(app.chord(header, Signature.of("tasks.echo")).get(wait))
                .isEqualTo(List.of("v0", "v1", "v2", "v3", "v4"));
        AsyncResult<Object> failed = app.chord(List.of(Signature.of("tasks.add", 1, 1), Signature.of("tasks.fail", "bad")),
                Signature.of("tasks.xsum"));
        assertThatThrownBy(() -> failed.get(wait)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("ChordError"));
    }
}
