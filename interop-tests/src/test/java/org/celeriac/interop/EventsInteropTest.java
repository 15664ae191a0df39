package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.AsyncResult;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.LamportClock;
import org.celeriac.core.events.EventDispatcher;
import org.celeriac.core.internal.NodeNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events across languages on Redis ({@code PUBLISH /5.celeryev/<routing key>}): Python Celery 5.2.6's own
 * {@code app.events.Receiver} (what {@code celery events} and Flower use) sees a Celeriac worker started with
 * {@code -E}: {@code worker-online}, {@code worker-heartbeat}, the task events of a task it ran (in
 * {@code task.multi} lists) and {@code worker-offline}; and {@code celery events --dump} prints them. And
 * {@code celeriac events --dump} follows a Python worker started with {@code -E}.
 *
 * The same on RabbitMQ (topic exchange {@code celeryev}, a fresh virtual host).
 *
 * <p>Redis database 5 is reserved for this class; the event exchange is per database on Redis.
 */
class EventsInteropTest {
    private static final int DB = 5;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private final String url = Interop.sharedRedis(DB);
    private final String queue = Interop.uniqueQueue("events");

    @Test
    void pythons_event_receiver_follows_a_java_worker() throws Exception {
        Interop.requireRedis();
        Interop.requirePythonCelery();
        pythonFollowsJavaWorker(url, url);
    }

    @Test
    void pythons_event_receiver_follows_a_java_worker_on_rabbitmq() throws Exception {
        AmqpInterop.requireRabbit();
        Interop.requireRedis();
        Interop.requirePythonCelery();
        String vhost = AmqpInterop.createVhost("events");
        try {
            pythonFollowsJavaWorker(AmqpInterop.url(vhost), AmqpInterop.redisBackend());
        } finally {
            AmqpInterop.deleteVhost(vhost);
        }
    }

    /** A Java worker with -E on this broker, followed by pyevents.py and by 'celery events --dump'. */
    private void pythonFollowsJavaWorker(String url, String backend) throws Exception {
        String node = "java-ev-" + Long.toHexString(System.nanoTime()) + "@" + NodeNames.hostname();
        ProcessBuilder pb = new ProcessBuilder(Interop.PYTHON, "pyevents.py", node);
        Peer.pythonEnvironment(pb, url, queue);
        pb.environment().put("CELERIAC_IT_BACKEND", backend);
        Path log = dir.resolve("pyevents-" + node + ".log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Process py = pb.start();
        ProcessBuilder dumpPb = new ProcessBuilder(Interop.PYTHON, "-m", "celery", "-A", "pytasks", "events", "--dump");
        Peer.pythonEnvironment(dumpPb, url, queue);
        dumpPb.environment().put("CELERIAC_IT_BACKEND", backend);
        Path dumpLog = dir.resolve("celery-events-dump-" + node + ".log");
        dumpPb.redirectErrorStream(true).redirectOutput(dumpLog.toFile());
        Process dump = dumpPb.start();
        Process worker = null;
        try (Celeriac app = Celeriac.builder().set("broker_url", url).set("result_backend", backend)
                .set("task_default_queue", queue).build();
             EventDispatcher probe = EventDispatcher.of(app, "probe@test", new LamportClock())) {
            // The receiver subscribes asynchronously: probe until it prints one of ours.
            await("Python's receiver to see a probe event").atMost(WAIT).pollInterval(Duration.ofMillis(300))
                    .failFast(() -> !py.isAlive())
                    .until(() -> {
                        probe.send("worker-heartbeat", Map.of("freq", 2.0, "active", 0, "processed", 0));
                        return events(log).stream().anyMatch(e -> e.path("hostname").asText().equals("probe@test"))
                                && Files.readString(dumpLog).contains("probe@test [");
                    });

            String name = node.substring(0, node.indexOf('@'));
            ProcessBuilder wpb = new ProcessBuilder(Peer.javaBinary(), "-cp", System.getProperty("java.class.path"),
                    "-XX:TieredStopAtLevel=1", "org.celeriac.cli.Main", "worker", "-A", "org.celeriac.examples.Tasks",
                    "--broker", url, "--result-backend", backend, "-Q", queue, "-c", "1", "-n", name + "@%h", "-l",
                    "info", "-E");
            wpb.environment().keySet().removeIf(k -> k.startsWith("CELERIAC_"));
            wpb.environment().put("CELERIAC_DATA_DIR", dir.resolve("data-" + name).toString());
            Path workerLog = dir.resolve(name + ".log");
            wpb.redirectErrorStream(true).redirectOutput(workerLog.toFile());
            Process w = wpb.start();
            worker = w;
            await("the Java worker's ready line").atMost(WAIT).failFast(() -> !w.isAlive())
                    .until(() -> Files.exists(workerLog) && Files.readString(workerLog).contains(" ready."));
            await("worker-online").atMost(WAIT).until(() -> find(log, node, "worker-online").isPresent());
            JsonNode online = find(log, node, "worker-online").orElseThrow();
            assertThat(online.path("freq").asDouble()).isEqualTo(2.0);
            assertThat(online.path("sw_ident").asText()).isEqualTo("celeriac");
            assertThat(online.path("loadavg").size()).isEqualTo(3);
            assertThat(online.path("utcoffset").isInt()).isTrue();
            assertThat(online.path("clock").isIntegralNumber()).isTrue();
            assertThat(online.has("local_received")).as("Celery's receiver adds local_received: %s", online).isTrue();

            AsyncResult<Object> r = app.task("tasks.add").delay(20, 22);
            assertThat(r.get(WAIT)).isEqualTo(42L);
            await("task-succeeded").atMost(WAIT).until(() -> events(log).stream().anyMatch(e ->
                    e.path("type").asText().equals("task-succeeded") && e.path("uuid").asText().equals(r.id())));
            JsonNode succeeded = events(log).stream().filter(e -> e.path("type").asText().equals("task-succeeded")
                    && e.path("uuid").asText().equals(r.id())).findFirst().orElseThrow();
            assertThat(succeeded.path("result").asText()).isEqualTo("42");
            assertThat(succeeded.path("hostname").asText()).isEqualTo(node);
            assertThat(events(log)).anySatisfy(e -> {
                assertThat(e.path("type").asText()).isEqualTo("task-received");
                assertThat(e.path("uuid").asText()).isEqualTo(r.id());
                assertThat(e.path("name").asText()).isEqualTo("tasks.add");
                assertThat(e.path("args").asText()).isEqualTo("(20, 22)");
            });
            await("worker-heartbeat").atMost(WAIT).until(() -> find(log, node, "worker-heartbeat").isPresent());

            worker.destroy(); // SIGTERM: a warm shutdown
            assertThat(worker.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(worker.exitValue()).isZero();
            assertThat(py.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the receiver saw worker-offline:\n%s",
                    Files.readString(log)).isTrue();
            assertThat(py.exitValue()).isZero();
            await("celery events --dump to print worker-offline").atMost(WAIT)
                    .until(() -> Files.readString(dumpLog).contains(node + " ["));
            await().atMost(WAIT).until(() -> Files.readString(dumpLog).lines().anyMatch(l -> l.startsWith(node + " [")
                    && l.contains("] shutdown: ")));
            String dumped = Files.readString(dumpLog);
            System.err.println("$ celery events --dump\n" + dumped);
            assertThat(dumped.lines()).anyMatch(l -> l.startsWith(node + " [") && l.contains("] started: active=0, "))
                    .anyMatch(l -> l.startsWith(node + " [") && l.contains("] task succeeded: tasks.add(" + r.id()
                            + ") args=(20, 22) kwargs={} ") && l.contains("result=42"));
        } finally {
            if (worker != null && worker.isAlive()) {
                worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            py.destroyForcibly();
            dump.destroyForcibly();
            if (url.startsWith("redis")) {
                Interop.deleteKeys(url, List.of(queue, "celeryev")); // and kombu's binding of the event receivers
            }
        }
    }

    @Test
    void celeriac_events_dump_follows_a_python_worker_started_with_dash_e() throws Exception {
        Interop.requireRedis();
        Interop.requirePythonCelery();
        Path dumpLog = dir.resolve("celeriac-events-dump.log");
        ProcessBuilder dumpPb = new ProcessBuilder(Peer.javaBinary(), "-cp", System.getProperty("java.class.path"),
                "-XX:TieredStopAtLevel=1", "org.celeriac.cli.Main", "events", "--dump", "--broker", url,
                "--timeout", "120");
        dumpPb.environment().keySet().removeIf(k -> k.startsWith("CELERIAC_"));
        dumpPb.redirectErrorStream(true).redirectOutput(dumpLog.toFile());
        Process dump = dumpPb.start();
        try (Celeriac app = Celeriac.builder().set("broker_url", url).set("result_backend", url)
                .set("task_default_queue", queue).build()) {
            await("celeriac events to subscribe").atMost(WAIT).failFast(() -> !dump.isAlive())
                    .until(() -> Files.readString(dumpLog).contains("-> evdump: starting capture..."));
            String name = "py-ev-" + Long.toHexString(System.nanoTime());
            String node = name + "@" + NodeNames.hostname();
            ProcessBuilder pb = new ProcessBuilder(Interop.PYTHON, "-m", "celery", "-A", "pytasks", "worker",
                    "-P", "solo", "-Q", queue, "-n", name + "@%h", "--without-gossip", "--without-mingle", "-E",
                    "-l", "info");
            Peer.pythonEnvironment(pb, url, queue);
            Path pyLog = dir.resolve(name + ".log");
            pb.redirectErrorStream(true).redirectOutput(pyLog.toFile());
            Process pyProcess = pb.start();
            try {
                await("the Python worker's worker-online").atMost(WAIT).failFast(() -> !pyProcess.isAlive())
                        .until(() -> dumped(dumpLog, node, "] started: "));
                AsyncResult<Object> r = app.task("tasks.add").delay(20, 22);
                assertThat(r.get(WAIT)).isEqualTo(42L);
                await("task succeeded").atMost(WAIT).until(() -> dumped(dumpLog, node,
                        "] task succeeded: tasks.add(" + r.id() + ") args=(20, 22) kwargs={} "));
                assertThat(dumped(dumpLog, node, "] task received: tasks.add(" + r.id() + ") args=(20, 22)")).isTrue();
            } finally {
                pyProcess.destroy();
                if (!pyProcess.waitFor(30, TimeUnit.SECONDS)) {
                    pyProcess.destroyForcibly();
                }
            }
            await("worker-offline").atMost(WAIT).until(() -> dumped(dumpLog, node, "] shutdown: "));
            System.err.println("$ celeriac events --dump\n" + Files.readString(dumpLog));
        } finally {
            dump.destroyForcibly();
            Interop.deleteKeys(url, List.of(queue, "celeryev")); // and kombu's binding of the event receivers
        }
    }

    private static boolean dumped(Path log, String node, String text) throws Exception {
        return Files.readString(log).lines().anyMatch(l -> l.startsWith(node + " [") && l.contains(text));
    }

    private static List<JsonNode> events(Path log) throws Exception {
        String text = Files.exists(log) ? Files.readString(log) : "";
        List<JsonNode> out = new java.util.ArrayList<>();
        for (String line : text.split("\\R")) {
            if (line.startsWith("{") && line.endsWith("}")) { // a line still being written is skipped
                out.add(Interop.JSON.readTree(line));
            }
        }
        return out;
    }

    private static Optional<JsonNode> find(Path log, String node, String type) throws Exception {
        return events(log).stream().filter(e -> e.path("type").asText().equals(type)
                && e.path("hostname").asText().equals(node)).findFirst();
    }
}
