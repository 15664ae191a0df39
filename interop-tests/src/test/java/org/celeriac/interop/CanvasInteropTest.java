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
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskFailedException;
import org.celeriac.core.Celeriac;
import org.celeriac.core.canvas.GroupResult;
import org.celeriac.core.canvas.Signature;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendCapabilities;
import org.celeriac.spi.backend.TaskMeta;
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
 * <p>Both ways also: {@code map}/{@code starmap}/{@code chunks} (Celery's {@code celery.map}/{@code celery.starmap}
 * messages, run by the built-in tasks), a group of chains, a chord whose body is a chain, and a chord joined
 * through {@code celery.chord_unlock} as Celery does on backends without native join (the Python client's
 * backend patched to {@code Backend.apply_chord}, the Java client's wrapped to report no native join). The Java
 * client sends nested canvases to the Python worker in Celery's form: a chain containing a group (upgraded to a
 * chord sent from {@code embed.chain}), chains in a chord header, a chain of chords.
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
    void python_map_starmap_and_chunks_run_on_the_java_built_ins() {
        assertThat(ok("map").toString()).isEqualTo("[1,\"x\",3]");
        assertThat(ok("starmap").toString()).isEqualTo("[3,30]");
        assertThat(ok("chunks").toString()).isEqualTo("[[0,2],[4,6],[8]]");
    }

    @Test
    void a_python_group_of_chains_and_a_chord_with_a_chain_body_run_on_the_java_worker() {
        assertThat(ok("group_of_chains").toString()).isEqualTo("[20,40]");
        assertThat(ok("chord_chain_body").asLong()).isEqualTo(60L);
    }

    @Test
    void a_python_chord_without_native_join_is_completed_by_chord_unlock_on_the_java_worker() {
        assertThat(ok("chord_unlock").asLong()).isEqualTo(12L);
        JsonNode c = cases.get("chord_unlock_error");
        assertThat(c).isNotNull();
        assertThat(c.path("ok").asBoolean()).as(c.toString()).isFalse();
        assertThat(c.path("exc_type").asText()).isEqualTo("ChordError");
        assertThat(c.path("exc_message").asText()).contains("ValueError").contains("bad");
    }

    @Test
    void java_nested_canvases_run_on_a_python_worker_in_celerys_form() {
        Duration wait = Duration.ofSeconds(30);
        // chain(add, group(mul, mul), xsum): the group and xsum become a chord, sent by the worker from embed.chain
        assertThat(app.chain(Signature.of("tasks.add", 1, 1), Signature.group(Signature.of("tasks.mul", 10),
                Signature.of("tasks.mul", 100)), Signature.of("tasks.xsum")).get(wait)).isEqualTo(220L);
        assertThat(app.apply(Signature.group(Signature.chain(Signature.of("tasks.add", 1, 1), Signature.of("tasks.mul", 10)),
                Signature.chain(Signature.of("tasks.add", 2, 2), Signature.of("tasks.mul", 10)))).get(wait))
                .isEqualTo(List.of(20L, 40L));
        assertThat(app.chord(List.of(Signature.chain(Signature.of("tasks.add", 1, 1), Signature.of("tasks.mul", 10)),
                Signature.chain(Signature.of("tasks.add", 2, 2), Signature.of("tasks.mul", 10))),
                Signature.of("tasks.xsum")).get(wait)).isEqualTo(60L);
        assertThat(app.chain(Signature.chord(List.of(Signature.of("tasks.add", 1, 1), Signature.of("tasks.add", 2, 2)),
                        Signature.of("tasks.xsum")),
                Signature.chord(List.of(Signature.of("tasks.mul", 2), Signature.of("tasks.mul", 3)),
                        Signature.of("tasks.xsum"))).get(wait)).isEqualTo(30L);
        assertThat(app.chord(List.of(Signature.of("tasks.add", 1, 1), Signature.of("tasks.add", 2, 2)),
                Signature.chain(Signature.of("tasks.xsum"), Signature.of("tasks.mul", 10))).get(wait)).isEqualTo(60L);
        // a chain ending in a group gives the group's results
        AsyncResult<Object> toGroup = app.chain(Signature.of("tasks.add", 1, 1), Signature.group(
                Signature.of("tasks.mul", 10), Signature.of("tasks.mul", 100)));
        assertThat(toGroup).isInstanceOf(GroupResult.class);
        assertThat(toGroup.get(wait)).isEqualTo(List.of(20L, 200L));
        // a chord in a chord header reports its body to the outer chord; chords in a group
        Signature inner = Signature.chord(List.of(Signature.of("tasks.add", 1, 1), Signature.of("tasks.add", 2, 2)),
                Signature.of("tasks.xsum"));
        assertThat(app.chord(List.of(inner, Signature.of("tasks.add", 10, 10)), Signature.of("tasks.xsum")).get(wait))
                .isEqualTo(26L);
        assertThat(app.apply(Signature.group(inner, Signature.chord(List.of(Signature.of("tasks.mul", 3, 3)),
                Signature.of("tasks.xsum")))).get(wait)).isEqualTo(List.of(6L, 9L));
    }

    @Test
    void java_map_starmap_and_chunks_run_on_the_python_built_ins() {
        Duration wait = Duration.ofSeconds(30);
        assertThat(app.apply(Signature.of("tasks.echo").map(List.of(1, "x"))).get(wait)).isEqualTo(List.of(1L, "x"));
        assertThat(app.apply(Signature.of("tasks.add").starmap(List.of(List.of(1, 2), List.of(10, 20)))).get(wait))
                .isEqualTo(List.of(3L, 30L));
        List<List<?>> pairs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            pairs.add(List.of(i, i));
        }
        assertThat(app.apply(Signature.of("tasks.add").chunks(pairs, 2)).get(wait))
                .isEqualTo(List.of(List.of(0L, 2L), List.of(4L, 6L), List.of(8L)));
    }

    @Test
    void a_java_chord_without_native_join_sends_chord_unlock_which_the_python_worker_runs() {
        Duration wait = Duration.ofSeconds(30);
        ResultBackend redis = app.resultBackend().orElseThrow();
        try (Celeriac unlocking = Celeriac.builder().set("broker_url", url).set("task_default_queue", pyQueue)
                .resultBackend(new NoNativeJoin(redis)).build()) {
            List<Signature> header = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                header.add(Signature.of("tasks.add", i, i));
            }
            assertThat(unlocking.chord(header, Signature.of("tasks.xsum")).get(wait)).isEqualTo(12L);
            AsyncResult<Object> failed = unlocking.chord(List.of(Signature.of("tasks.add", 1, 1),
                    Signature.of("tasks.fail", "bad")), Signature.of("tasks.xsum"));
            assertThatThrownBy(() -> failed.get(wait)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
                assertThat(e.excType()).isEqualTo("ChordError");
                assertThat(e.excMessage()).contains("ValueError");
            });
        }
    }

    /** The Redis backend as a backend without native chord join (Celery's database and MongoDB backends). */
    private record NoNativeJoin(ResultBackend d) implements ResultBackend {
        @Override
        public ResultBackendCapabilities capabilities() {
            return d.capabilities();
        }

        @Override
        public void store(TaskMeta meta) {
            d.store(meta);
        }

        @Override
        public Optional<TaskMeta> get(String taskId) {
            return d.get(taskId);
        }

        @Override
        public CompletableFuture<TaskMeta> whenReady(String taskId, Duration pollInterval) {
            return d.whenReady(taskId, pollInterval);
        }

        @Override
        public void forget(String taskId) {
            d.forget(taskId);
        }

        @Override
        public void saveGroup(GroupMeta group) {
            d.saveGroup(group);
        }

        @Override
        public Optional<GroupMeta> restoreGroup(String groupId) {
            return d.restoreGroup(groupId);
        }

        @Override
        public void forgetGroup(String groupId) {
            d.forgetGroup(groupId);
        }

        @Override
        public long incrementChordCounter(String groupId, long delta) {
            return d.incrementChordCounter(groupId, delta);
        }

        @Override
        public long cleanup() {
            return d.cleanup();
        }

        @Override
        public void close() {
            // the wrapped backend belongs to the other app
        }
    }

    @Test
    void java_canvases_run_on_the_java_worker_on_redis() {
        Duration wait = Duration.ofSeconds(30);
        try (Celeriac java = Celeriac.builder().set("broker_url", url).set("result_backend", url)
                .set("task_default_queue", queue).build()) {
            assertThat(java.apply(Signature.group(Signature.chain(Signature.of("tasks.add", 1, 1),
                    Signature.of("tasks.mul", 10)), Signature.of("tasks.add", 3, 3))).get(wait)).isEqualTo(List.of(20L, 6L));
            assertThat(java.chord(List.of(Signature.of("tasks.add", 1, 1), Signature.of("tasks.add", 2, 2)),
                    Signature.chain(Signature.of("tasks.xsum"), Signature.of("tasks.mul", 10))).get(wait)).isEqualTo(60L);
            assertThat(java.chain(Signature.of("tasks.add", 2, 2), Signature.of("tasks.mul", 10), java.si("tasks.add", 1, 1))
                    .get(wait)).isEqualTo(2L);
            String errbackId = UUID.randomUUID().toString();
            AsyncResult<Object> failed = java.apply(Signature.of("tasks.fail", "x")
                    .linkError(Signature.of("tasks.echo").withOption("task_id", errbackId)));
            assertThat(java.asyncResult(errbackId).get(wait)).isEqualTo(failed.id());
            assertThat(java.apply(Signature.of("tasks.add").starmap(List.of(List.of(1, 2), List.of(3, 4)))).get(wait))
                    .isEqualTo(List.of(3L, 7L));
            assertThat(java.apply(Signature.of("tasks.add").chunks(List.of(List.of(1, 1), List.of(2, 2), List.of(3, 3)),
                    2)).get(wait)).isEqualTo(List.of(List.of(2L, 4L), List.of(6L)));
        }
    }

    @Test
    void python_nested_canvases_run_on_the_java_worker() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Interop.PYTHON, "pycanvas.py", "nested");
        Peer.pythonEnvironment(pb, url, queue);
        Path out = dir.resolve("pycanvas-nested.out");
        Process p = pb.redirectOutput(out.toFile()).redirectError(dir.resolve("pycanvas-nested.err").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        Map<String, JsonNode> nested = new LinkedHashMap<>();
        Interop.jsonLines(Files.readString(out, StandardCharsets.UTF_8)).forEach(l -> nested.put(l.get("case").asText(), l));
        assertThat(nested.get("chain_group").path("value").asLong()).as(nested.toString()).isEqualTo(220L);
        assertThat(nested.get("chord_header_chains").path("value").asLong()).as(nested.toString()).isEqualTo(60L);
        assertThat(nested.get("chain_of_chords").path("value").asLong()).as(nested.toString()).isEqualTo(30L);
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
