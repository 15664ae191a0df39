package org.celeriac.interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A worker (or other peer) in its own OS process: a {@code celeriac worker} JVM started from the test class
 * path, or a Python Celery worker under {@code /usr/bin/python3}. Output (stdout and stderr together) goes
 * straight to a file, so nothing is lost when the process dies. Not thread-safe; one test class owns it.
 */
final class Peer implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path logFile;

    private Peer(String name, Process process, Path logFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
    }

    /** The java launcher of this JVM. */
    static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * {@code celeriac worker -A org.celeriac.examples.Tasks --broker url --result-backend url -Q queue -n node
     * -l info} plus {@code extraArgs}; {@code env} adds {@code CELERIAC_*} settings.
     */
    static Peer javaWorker(Path dir, String node, String url, String queue, int concurrency,
            Map<String, String> env, String... extraArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-cp", System.getProperty("java.class.path"),
                "-XX:TieredStopAtLevel=1", "org.celeriac.cli.Main", "worker",
                "-A", "org.celeriac.examples.Tasks", "--broker", url, "--result-backend", url, "-Q", queue,
                "-c", String.valueOf(concurrency), "-n", node + "@%h", "-l", "info"));
        cmd.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("CELERIAC_"));
        pb.environment().put("CELERIAC_DATA_DIR", dir.resolve("data-" + node).toString());
        pb.environment().putAll(env);
        return start(node, pb, dir.resolve(node + ".log"));
    }

    /**
     * {@code python3 -m celery -A pytasks worker -P solo -Q queue -n node@%h --without-gossip
     * --without-mingle --without-heartbeat -l info}, configured through {@code CELERIAC_IT_*}.
     */
    static Peer pythonWorker(Path dir, String node, String url, String queue) throws IOException {
        return pythonWorker(dir, node, url, queue, Map.of());
    }

    /** Like {@link #pythonWorker(Path, String, String, String)}, with extra {@code CELERIAC_IT_*} variables. */
    static Peer pythonWorker(Path dir, String node, String url, String queue, Map<String, String> env)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(Interop.PYTHON, "-m", "celery", "-A", "pytasks", "worker",
                "-P", "solo", "-Q", queue, "-n", node + "@%h", "--without-gossip", "--without-mingle",
                "--without-heartbeat", "-l", "info");
        pythonEnvironment(pb, url, queue);
        pb.environment().putAll(env);
        return start(node, pb, dir.resolve(node + ".log"));
    }

    /** cwd, PYTHONPATH and the {@code CELERIAC_IT_*} variables that {@code pytasks.py} reads. */
    static void pythonEnvironment(ProcessBuilder pb, String url, String queue) {
        Path py = Interop.pythonDir();
        pb.directory(py.toFile());
        Map<String, String> env = pb.environment();
        env.put("PYTHONPATH", py.toString());
        env.put("PYTHONUNBUFFERED", "1");
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        env.put("PYTHONIOENCODING", "utf-8");
        env.put("CELERIAC_IT_BROKER", url);
        env.put("CELERIAC_IT_BACKEND", url);
        env.put("CELERIAC_IT_QUEUE", queue);
    }

    private static Peer start(String name, ProcessBuilder pb, Path logFile) throws IOException {
        Files.createDirectories(logFile.getParent());
        pb.redirectErrorStream(true).redirectOutput(logFile.toFile());
        return new Peer(name, pb.start(), logFile);
    }

    /** Waits for Celery's {@code <nodename> ready.} line; fails at once, with the log, if the process dies. */
    Peer awaitReady(Duration atMost) {
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

    /** Everything the process printed so far. */
    String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Process process() {
        return process;
    }

    /** SIGTERM (a warm shutdown for both Celery and Celeriac); the exit code, or -1 when it did not exit in time. */
    int terminate(Duration atMost) throws InterruptedException {
        process.destroy();
        return process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** SIGKILL: the process gets no chance to give anything back. Waits until it is gone. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " survived SIGKILL for 10 s");
        }
    }

    /** Stops the process (SIGTERM, then SIGKILL after 20 s) and copies its log into the test output. */
    @Override
    public void close() {
        try {
            if (process.isAlive() && terminate(Duration.ofSeconds(20)) == -1) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        log().lines().forEach(l -> System.err.println("  " + name + " | " + l));
    }
}
