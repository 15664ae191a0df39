package org.celeriac.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A {@code celeriac worker} in its own JVM, started from the test class path. Its stdout and stderr
 * go straight to a file (no pipe, so nothing is lost when it exits).
 */
final class WorkerProcess implements AutoCloseable {
    private final Process process;
    private final Path logFile;

    private WorkerProcess(Process process, Path logFile) {
        this.process = process;
        this.logFile = logFile;
    }

    static WorkerProcess start(Path dataDir, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1", Main.class.getName(), "worker"));
        cmd.addAll(args);
        Path logFile = dataDir.resolve("worker.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile());
        pb.environment().put("CELERIAC_DATA_DIR", dataDir.toString());
        return new WorkerProcess(pb.start(), logFile);
    }

    /** Waits for Celery's {@code <nodename> ready.} line; fails at once if the process dies. */
    WorkerProcess awaitReady(Duration atMost) {
        Awaitility.await("the worker's 'ready.' line").atMost(atMost)
                .failFast("the worker process exited before it was ready:\n" + logFile, () -> !process.isAlive())
                .until(() -> log().lines().anyMatch(l -> l.endsWith(" ready.")));
        return this;
    }

    /** Everything the worker printed so far. */
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

    /** SIGTERM, then the exit code (-1 when it did not exit in time). */
    int terminate(Duration atMost) throws InterruptedException {
        process.destroy();
        return process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** Kills the process if it still runs and copies its log into the test output. */
    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        log().lines().forEach(l -> System.err.println("  worker | " + l));
    }
}
