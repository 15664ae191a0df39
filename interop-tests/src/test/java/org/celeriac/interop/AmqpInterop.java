package org.celeriac.interop;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * What the RabbitMQ interop tests need besides {@link Interop}: the shared RabbitMQ on 127.0.0.1:5672 (guest/guest)
 * with a private virtual host per test class ({@code rabbitmqctl add_vhost} / {@code set_permissions} /
 * {@code delete_vhost}), peers whose result backend differs from the broker ({@code rpc://} or the shared Redis,
 * database {@value #REDIS_DB}, where only the {@code celery-task-meta-<id>} keys of the tests' own task ids are
 * deleted), and {@code pyclient.py} with such a backend.
 *
 * <p>A missing precondition skips the test with the reason, or fails it when {@code CI=true}.
 */
final class AmqpInterop {
    static final String HOST = "127.0.0.1";
    static final int PORT = 5672;
    /** The shared-Redis database the AMQP interop tests store results in (nothing else in the project uses it). */
    static final int REDIS_DB = 8;

    private AmqpInterop() {
    }

    static void requireRabbit() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, PORT), 500);
        } catch (IOException e) {
            Interop.unavailable("RabbitMQ is not running on " + HOST + ":" + PORT
                    + " (start it with: rabbitmq-server -detached; rabbitmqctl await_startup)");
        }
    }

    /** Creates a fresh virtual host that guest may use; returns its name. */
    static String createVhost(String what) {
        requireRabbit();
        String vhost = "celeriac-it-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
        rabbitmqctl("add_vhost", vhost);
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
        return vhost;
    }

    static void deleteVhost(String vhost) {
        if (vhost != null) {
            try {
                rabbitmqctl("delete_vhost", vhost);
            } catch (IllegalStateException e) {
                System.err.println("could not delete vhost " + vhost + ": " + e.getMessage());
            }
        }
    }

    /** Runs {@code rabbitmqctl args...}; its output, or IllegalStateException when it failed. */
    static String rabbitmqctl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("rabbitmqctl");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(cmd + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(cmd + " exited with " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            Interop.unavailable("cannot run rabbitmqctl: " + e.getMessage());
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code [ready, unacknowledged]} messages of {@code queue} in {@code vhost}, from {@code rabbitmqctl list_queues};
     * {@code [0, 0]} when the queue does not exist.
     */
    static long[] queueCounts(String vhost, String queue) {
        String out = rabbitmqctl("list_queues", "-q", "-p", vhost, "name", "messages_ready", "messages_unacknowledged");
        for (String line : out.split("\\R")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals(queue)) {
                return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])};
            }
        }
        return new long[] {0, 0};
    }

    /** {@code amqp://guest:guest@127.0.0.1:5672/<vhost>} (kombu's form: the vhost is the path). */
    static String url(String vhost) {
        return "amqp://guest:guest@" + HOST + ":" + PORT + "/" + URLEncoder.encode(vhost, StandardCharsets.UTF_8);
    }

    static String redisBackend() {
        return Interop.sharedRedis(REDIS_DB);
    }

    /** Deletes {@code celery-task-meta-<id>} of these task ids in database {@value #REDIS_DB}, nothing else. */
    static void deleteResults(Collection<String> taskIds) {
        if (taskIds.isEmpty()) {
            return;
        }
        RedisClient c = RedisClient.create(redisBackend());
        try (StatefulRedisConnection<String, String> conn = c.connect()) {
            List<String> keys = taskIds.stream().map(id -> "celery-task-meta-" + id).toList();
            for (int i = 0; i < keys.size(); i += 500) {
                conn.sync().del(keys.subList(i, Math.min(keys.size(), i + 500)).toArray(String[]::new));
            }
        } finally {
            c.shutdown();
        }
    }

    /** The stored Redis result of {@code taskId} (JSON), or null. */
    static JsonNode storedResult(String taskId) throws IOException {
        RedisClient c = RedisClient.create(redisBackend());
        try (StatefulRedisConnection<String, String> conn = c.connect()) {
            String meta = conn.sync().get("celery-task-meta-" + taskId);
            return meta == null ? null : Interop.JSON.readTree(meta);
        } finally {
            c.shutdown();
        }
    }

    /**
     * A peer process (Celeriac or Python Celery worker, or {@code pyclient.py}) whose output goes to a file. Not
     * thread-safe; one test owns it.
     */
    static final class Proc implements AutoCloseable {
        private final String name;
        private final Process process;
        private final Path logFile;

        private Proc(String name, Process process, Path logFile) {
            this.name = name;
            this.process = process;
            this.logFile = logFile;
        }

        /** {@code celeriac worker -A org.celeriac.examples.Tasks --broker B --result-backend R -Q q ...}. */
        static Proc javaWorker(Path dir, String node, String broker, String backend, String queue, int concurrency,
                Map<String, String> env) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(Peer.javaBinary(), "-cp", System.getProperty("java.class.path"),
                    "-XX:TieredStopAtLevel=1", "org.celeriac.cli.Main", "worker",
                    "-A", "org.celeriac.examples.Tasks", "--broker", broker, "--result-backend", backend, "-Q", queue,
                    "-c", String.valueOf(concurrency), "-n", node + "@%h", "-l", "info"));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().keySet().removeIf(k -> k.startsWith("CELERIAC_"));
            pb.environment().put("CELERIAC_DATA_DIR", dir.resolve("data-" + node).toString());
            pb.environment().putAll(env);
            return start(node, pb, dir.resolve(node + ".log"));
        }

        /** Python Celery's worker ({@code pytasks.py}, solo pool, no gossip/mingle/heartbeat). */
        static Proc pythonWorker(Path dir, String node, String broker, String backend, String queue,
                Map<String, String> env) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(Interop.PYTHON, "-m", "celery", "-A", "pytasks", "worker",
                    "-P", "solo", "-Q", queue, "-n", node + "@%h", "--without-gossip", "--without-mingle",
                    "--without-heartbeat", "-l", "info");
            Peer.pythonEnvironment(pb, broker, queue);
            pb.environment().put("CELERIAC_IT_BACKEND", backend);
            pb.environment().putAll(env);
            return start(node, pb, dir.resolve(node + ".log"));
        }

        /** {@code pyclient.py args...} with this broker and backend; stdout (JSON lines) to its own file. */
        static Proc pythonClient(Path dir, String broker, String backend, String queue, String... args)
                throws IOException {
            List<String> cmd = new ArrayList<>(List.of(Interop.PYTHON, "pyclient.py"));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            Peer.pythonEnvironment(pb, broker, queue);
            pb.environment().put("CELERIAC_IT_BACKEND", backend);
            String tag = "pyclient-" + String.join("-", args).replaceAll("[^\\w-]", "_") + "-"
                    + UUID.randomUUID().toString().substring(0, 4);
            Path err = dir.resolve(tag + ".err");
            Files.createDirectories(dir);
            pb.redirectError(err.toFile()).redirectOutput(dir.resolve(tag + ".out").toFile());
            return new Proc(tag, pb.start(), dir.resolve(tag + ".out"));
        }

        private static Proc start(String name, ProcessBuilder pb, Path logFile) throws IOException {
            Files.createDirectories(logFile.getParent());
            pb.redirectErrorStream(true).redirectOutput(logFile.toFile());
            return new Proc(name, pb.start(), logFile);
        }

        /** Waits for the {@code <node> ready.} line; fails at once, with the log, if the process dies. */
        Proc awaitReady(Duration atMost) {
            Awaitility.await(name + "'s 'ready.' line").atMost(atMost).pollInterval(Duration.ofMillis(50))
                    .failFast(name + " exited before it was ready", () -> {
                        if (!process.isAlive()) {
                            throw new AssertionError(name + " exited (" + process.exitValue() + ") before it was ready:\n"
                                    + log());
                        }
                    })
                    .until(() -> log().lines().anyMatch(l -> l.endsWith(" ready.")));
            return this;
        }

        /** For {@link #pythonClient}: waits for exit 0 and returns the JSON lines. */
        List<JsonNode> awaitLines(Duration atMost) throws IOException, InterruptedException {
            Path err = logFile.resolveSibling(name + ".err");
            if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(name + " did not finish within " + atMost + "; stdout:\n" + log()
                        + "\nstderr:\n" + Files.readString(err));
            }
            if (process.exitValue() != 0) {
                throw new AssertionError(name + " exited with " + process.exitValue() + "; stdout:\n" + log()
                        + "\nstderr:\n" + Files.readString(err));
            }
            return Interop.jsonLines(log());
        }

        String log() {
            try {
                return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** SIGKILL; waits until the process is gone. */
        void kill9() throws InterruptedException {
            process.destroyForcibly();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " survived SIGKILL for 10 s");
            }
        }

        /** SIGTERM, then SIGKILL after 20 s; copies the log into the test output. */
        @Override
        public void close() {
            try {
                process.destroy();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            log().lines().forEach(l -> System.err.println("  " + name + " | " + l));
        }
    }
}
