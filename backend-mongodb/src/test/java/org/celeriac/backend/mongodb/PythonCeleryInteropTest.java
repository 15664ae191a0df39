package org.celeriac.backend.mongodb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.TaskState;
import org.celeriac.spi.backend.ExceptionInfo;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.TaskMeta;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Python Celery 5.2.6's {@code MongoBackend} (Debian's python3-celery and python3-pymongo 3.11, {@code /usr/bin/python3})
 * and this backend on one MongoDB (mongo-java-server over TCP, or {@code CELERIAC_TEST_MONGODB_URL}): each reads what
 * the other stores. Skipped when Python, Celery or pymongo is missing ({@code apt-get install -y python3-celery
 * python3-pymongo}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PythonCeleryInteropTest {
    private static final String PYTHON = "/usr/bin/python3";
    private TestMongo mongo;
    private MongoResultBackend backend;
    private Path script;

    @BeforeAll
    void setUp() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is not installed");
        Process p = new ProcessBuilder(PYTHON, "-c", "import celery, pymongo").redirectErrorStream(true).start();
        Assumptions.assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0,
                "Python Celery or pymongo is missing: apt-get install -y python3-celery python3-pymongo");
        script = resource("interop/celery_mongo_peer.py");
        mongo = new TestMongo();
        backend = mongo.open(Map.of());
    }

    @AfterAll
    void tearDown() {
        try {
            if (backend != null) {
                backend.close();
            }
        } finally {
            if (mongo != null) {
                mongo.close();
            }
        }
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(PythonCeleryInteropTest.class.getClassLoader().getResource(name).toURI());
    }

    /** Runs the Python peer and returns its one JSON line, decoded. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> python(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, script.toString(), mongo.url()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile("celery-peer", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("python peer finished").isTrue();
            String stderr = Files.readString(err);
            assertThat(p.exitValue()).as("python peer exit; stderr:\n" + stderr).isZero();
            String text = new String(out, StandardCharsets.UTF_8).trim();
            String last = text.substring(text.lastIndexOf('\n') + 1);
            return (Map<String, Object>) TestMongo.json().decode(last.getBytes(StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    private static String id() {
        return UUID.randomUUID().toString();
    }

    @Test
    void javaReadsAndAwaitsWhatPythonStores() throws Exception {
        String id = id();
        CompletableFuture<TaskMeta> f = backend.whenReady(id, Duration.ofMillis(100));
        python("store", id, "SUCCESS", "{\"sum\": 4, \"items\": [1, 2.5, \"x\", null]}");
        TaskMeta m = f.get(20, TimeUnit.SECONDS);
        assertThat(m.state()).isEqualTo(TaskState.SUCCESS);
        assertThat(m.result()).isEqualTo(Map.of("sum", 4L, "items", java.util.Arrays.asList(1L, 2.5, "x", null)));
        assertThat(m.dateDone()).isBetween(Instant.now().minusSeconds(120), Instant.now().plusSeconds(5));
        assertThat(backend.get(id)).contains(m);
    }

    @Test
    void javaReadsAPythonFailure() throws Exception {
        String id = id();
        python("fail", id, "bad input");
        TaskMeta m = backend.get(id).orElseThrow();
        assertThat(m.state()).isEqualTo(TaskState.FAILURE);
        assertThat(m.exception()).contains(new ExceptionInfo("ValueError", List.of("bad input"), "builtins"));
        assertThat(m.traceback()).isEqualTo("Traceback: ValueError");
    }

    @Test
    void pythonGetsWhatJavaStores() throws Exception {
        String id = id();
        backend.store(TaskMeta.of(id, TaskState.SUCCESS, Map.of("answer", 42L, "list", List.of("a", 1.5)), null));
        Map<String, Object> out = python("get", id, "20");
        assertThat(out.get("state")).isEqualTo("SUCCESS");
        assertThat(out.get("result")).isEqualTo(Map.of("answer", 42L, "list", List.of("a", 1.5)));
        assertThat((String) out.get("date_done")).startsWith(String.valueOf(java.time.Year.now(java.time.ZoneOffset.UTC)));
    }

    @Test
    void pythonWaitsForAJavaResultAndSeesAJavaFailureAsItsException() throws Exception {
        String ok = id();
        CompletableFuture<Map<String, Object>> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return python("get", ok, "30");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        backend.store(TaskMeta.of(ok, TaskState.STARTED, Map.of("pid", 1L, "hostname", "celery@java"), null));
        backend.store(TaskMeta.of(ok, TaskState.SUCCESS, "late", null));
        assertThat(waiting.get(60, TimeUnit.SECONDS)).containsEntry("result", "late");

        String bad = id();
        backend.store(TaskMeta.of(bad, TaskState.FAILURE,
                new ExceptionInfo("KeyError", List.of("missing"), "builtins").toMap(), "Traceback (Java)"));
        Map<String, Object> out = python("get", bad, "20");
        assertThat(out).containsEntry("state", "FAILURE").containsEntry("exc_type", "KeyError");
        assertThat(out.get("exc_args")).isEqualTo(List.of("missing"));
    }

    @Test
    void groupsAreSharedBothWays() throws Exception {
        String fromJava = id();
        List<String> ids = List.of(id(), id());
        backend.saveGroup(new GroupMeta(fromJava, ids, Instant.now()));
        assertThat(python("restore_group", fromJava).get("ids")).isEqualTo(ids);

        String fromPython = id();
        python("save_group", fromPython, ids.get(1), ids.get(0));
        assertThat(backend.restoreGroup(fromPython).orElseThrow().taskIds()).containsExactly(ids.get(1), ids.get(0));
    }
}
