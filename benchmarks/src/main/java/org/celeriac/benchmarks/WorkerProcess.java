package org.celeriac.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@code celeriac worker} in its own JVM, started exactly as the {@code ./celeriac} launcher starts it:
 * {@code java $CELERIAC_JAVA_OPTS -cp <class path> org.celeriac.cli.Main worker ...}, with no other JVM
 * flag. Its output goes to a log file, which is scanned for the {@code ready.} line. Not thread-safe.
 */
final class WorkerProcess implements AutoCloseable {
    private final Process process;
    private final long startedNanos;
    private final Path log;
    private final CompletableFuture<Long> readyNanos = new CompletableFuture<>();
    private volatile double cpuAtReady = -1;

    private WorkerProcess(Process process, long startedNanos, Path log) {
        this.process = process;
        this.startedNanos = startedNanos;
        this.log = log;
    }

    /**
     * Starts a worker.
     *
     * @param classPath the class path (this JVM's: it holds the cli, every module, and the bench tasks)
     * @param workerArgs the arguments after {@code worker}
     * @param env extra environment variables
     * @param log where the worker's stdout and stderr go (also copied here while scanning for "ready.")
     * @throws IOException when the JVM cannot be started
     */
    static WorkerProcess start(String classPath, List<String> workerArgs, Map<String, String> env, Path log)
            throws IOException {
        List<String> cmd = command(classPath, workerArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        // the command as run, with URL passwords masked (--broker=amqp://user:***@host/)
        Files.writeString(log, cmd.stream().map(org.celeriac.spi.ConnectionUrl::mask).collect(java.util.stream.Collectors.joining(" "))
                + System.lineSeparator(), StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        Process p = pb.start();
        WorkerProcess w = new WorkerProcess(p, t0, log);
        Thread.ofPlatform().daemon().name("bench-worker-log").start(w::pump);
        return w;
    }

    /** The command line: the launcher's {@code exec "$java_bin" ${CELERIAC_JAVA_OPTS:-} -cp "$classpath" Main "$@"}. */
    static List<String> command(String classPath, List<String> workerArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String opts = System.getenv("CELERIAC_JAVA_OPTS");
        if (opts != null && !opts.isBlank()) {
            cmd.addAll(List.of(opts.trim().split("\\s+")));
        }
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add("org.celeriac.cli.Main");
        cmd.add("worker");
        cmd.addAll(workerArgs);
        return cmd;
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!readyNanos.isDone() && line.contains(" ready.")) {
                    long now = System.nanoTime();
                    cpuAtReady = cpuSeconds(process.pid());
                    readyNanos.complete(now);
                }
                out.write(line);
                out.newLine();
                out.flush();
            }
        } catch (IOException e) {
            readyNanos.completeExceptionally(e);
        } finally {
            readyNanos.completeExceptionally(new IllegalStateException("the worker exited before it logged 'ready.'"));
        }
    }

    /** The worker's process id. */
    long pid() {
        return process.pid();
    }

    /** True while the process runs. */
    boolean alive() {
        return process.isAlive();
    }

    /** The log file. */
    Path log() {
        return log;
    }

    /**
     * Waits for the {@code ready.} line (logged at INFO: start the worker with {@code -l info}).
     *
     * @return nanoseconds from process start to the line
     * @throws IllegalStateException when the worker exits first or does not become ready in time
     */
    long awaitReady(Duration timeout) throws InterruptedException {
        try {
            return readyNanos.get(timeout.toMillis(), TimeUnit.MILLISECONDS) - startedNanos;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the worker did not log 'ready.' within " + timeout.toSeconds()
                    + " s; see its log " + log, e);
        }
    }

    /**
     * The resident set size ({@code VmRSS} in {@code /proc/<pid>/status}) of the worker process.
     *
     * @return bytes
     * @throws IOException when /proc cannot be read (not Linux, or the process is gone)
     */
    long rssBytes() throws IOException {
        return rssBytes(process.pid());
    }

    /**
     * CPU time (user + system) the worker had used when it logged {@code ready.}: unlike the wall time it
     * hardly depends on what else the machine runs. -1 before the line, or when /proc cannot tell.
     */
    double cpuSecondsAtReady() {
        return cpuAtReady;
    }

    /** utime + stime of a process from {@code /proc/<pid>/stat}, in seconds (USER_HZ = 100); -1 when unreadable. */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12 here
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** {@code VmRSS} of a process, in bytes. */
    static long rssBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                String[] parts = line.substring(6).trim().split("\\s+");
                return Long.parseLong(parts[0]) * 1024L; // kB
            }
        }
        throw new IOException("no VmRSS line in /proc/" + pid + "/status");
    }

    /** Warm shutdown (SIGTERM), waiting up to 20 s, then SIGKILL. */
    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
