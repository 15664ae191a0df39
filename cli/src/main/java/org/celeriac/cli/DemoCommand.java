package org.celeriac.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.CeleriacException;
import org.celeriac.api.ResultTimeoutException;
import org.celeriac.api.TaskFailedException;
import org.celeriac.core.Celeriac;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code celeriac demo}: starts {@code celeriac worker} as a separate JVM on a fresh temporary
 * embedded H2 database, sends it a few hundred example tasks from this process, checks every result,
 * shows one failure with its remote traceback, reports the measured throughput, and stops the worker
 * with SIGTERM (warm shutdown). The summary goes to stdout, progress to stderr.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show a worker process and a client at work on a fresh temporary database.",
                "Starts 'celeriac worker' as a separate JVM on a new embedded H2 database, sends it tasks.add,",
                "tasks.mul, tasks.echo and one tasks.fail from this process, prints the results, the failure's",
                "remote traceback and the tasks/s measured, then stops the worker with SIGTERM (warm shutdown).",
                "With --broker/--result-backend/--config it uses those instead of a temporary database."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:every result was right and the worker stopped cleanly",
                "1:a wrong result, or the worker did not stop cleanly",
                "2:usage error",
                "3:timed out (worker start, results or worker stop)",
                "4:configuration or connection error, or the worker could not start"})
final class DemoCommand implements Callable<Integer> {
    static final String MAIN_CLASS = "org.celeriac.cli.Main";
    static final String APP_CLASS = "org.celeriac.examples.Tasks";
    private static final Pattern READY = Pattern.compile(".* ready\\.$");
    private static final Pattern FORWARDED = Pattern.compile("^\\[[^]]*: (WARNING|ERROR|CRITICAL)/.*");

    @Option(names = {"-n", "--tasks"}, paramLabel = "N", defaultValue = "300",
            description = "How many tasks to send. Default: ${DEFAULT-VALUE}.")
    int tasks;

    @Option(names = {"-c", "--concurrency"}, paramLabel = "N",
            description = "The worker's concurrency. Default: the number of cores.")
    Integer concurrency;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "Give up after this long (worker start, then all results). Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--keep", description = "Keep the temporary directory (database and worker.log) afterwards.")
    boolean keep;

    @Mixin
    ConnectionOptions connection;

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;

    @Override
    public Integer call() throws Exception {
        if (tasks < 1) {
            throw new IllegalArgumentException("--tasks must be >= 1, got " + tasks);
        }
        if (concurrency != null && concurrency < 1) {
            throw new IllegalArgumentException("--concurrency must be >= 1, got " + concurrency);
        }
        Path dir = Files.createTempDirectory("celeriac-demo-");
        Path log = dir.resolve("worker.log");
        boolean explicit = connection.broker != null || connection.resultBackend != null || connection.config != null;
        err.println("demo: " + (explicit ? "using the configured broker and result backend"
                : "a fresh embedded H2 database in " + dir) + "; worker log: " + log
                + (keep ? "" : " (deleted on success; --keep keeps it)"));
        Process worker = startWorker(dir, log);
        Thread killer = new Thread(worker::destroyForcibly, "celeriac-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(killer);
        int code = Main.CONFIG;
        try {
            code = runDemo(worker, dir, log, explicit);
        } finally {
            int stopped = stopWorker(worker);
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting anyway
            }
            if (code == Main.OK) {
                code = stopped;
            }
        }
        if (code == Main.OK && !keep) {
            deleteTree(dir);
        } else {
            err.println("demo: kept " + dir + " (worker log: " + log + ")");
        }
        return code;
    }

    private int runDemo(Process worker, Path dir, Path log, boolean explicit) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread pump = Thread.ofPlatform().daemon().name("celeriac-demo-worker-log")
                .start(() -> followLog(worker, log, ready));
        err.println("demo: starting the worker (pid " + worker.pid() + ") ...");
        try {
            ready.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            err.println("demo: the worker did not log 'ready.' within " + timeoutSeconds + " s; see " + log);
            return Main.TIMEOUT;
        } catch (java.util.concurrent.ExecutionException e) {
            pump.join(2_000);
            err.println("demo: the worker exited before it was ready (exit code "
                    + (worker.isAlive() ? "?" : worker.exitValue()) + "); its log (" + log + ") ends with:");
            tail(log, 15).forEach(l -> err.println("  worker | " + l));
            return Main.CONFIG;
        }
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        JsonCodec json = JsonCodec.load(loader);
        Celeriac.Builder builder = connection.builder(loader);
        if (!explicit) {
            builder.set("celeriac_data_dir", dir.toString());
        }
        try (Celeriac app = builder.build()) {
            return exercise(app, json, deadline);
        }
    }

    private int exercise(Celeriac app, JsonCodec json, long deadline) throws Exception {
        err.println("demo: sending " + tasks + " tasks (tasks.add, tasks.mul, tasks.echo) and one tasks.fail ...");
        long start = System.nanoTime();
        List<Sent> sent = new ArrayList<>(tasks);
        for (int i = 0; i < tasks; i++) {
            sent.add(send(app, i));
        }
        AsyncResult<Object> failing = app.sendTask("tasks.fail",
                List.of("demo: this is what a failing task looks like"), Map.of(), ApplyOptions.NONE);
        long sentAt = System.nanoTime();
        err.printf("demo: sent %d tasks in %.2f s%n", tasks + 1, (sentAt - start) / 1e9);
        int wrong = 0;
        int step = Math.max(1, tasks / 10);
        List<String> samples = new ArrayList<>();
        for (int i = 0; i < sent.size(); i++) {
            Sent s = sent.get(i);
            Object value;
            try {
                value = s.result.get(Duration.ofMillis(remainingMillis(deadline)), true);
            } catch (ResultTimeoutException e) {
                err.println("demo: timed out after " + timeoutSeconds + " s with " + i + " of " + tasks
                        + " results (raise --timeout, or check the worker log)");
                return Main.TIMEOUT;
            } catch (TaskFailedException e) {
                err.println("demo: " + s.call + " failed unexpectedly: " + e.getMessage());
                wrong++;
                continue;
            }
            if (!s.expected.equals(normalise(value))) {
                err.println("demo: WRONG result for " + s.call + ": expected " + json.format(s.expected)
                        + ", got " + json.format(value));
                wrong++;
            } else if (i < 3 || i == sent.size() - 1) {
                samples.add("  " + s.call + " = " + json.format(value));
            }
            if ((i + 1) % step == 0 || i + 1 == sent.size()) {
                err.printf("demo: %d/%d results%n", i + 1, sent.size());
            }
        }
        TaskFailedException failure = null;
        try {
            Object v = failing.get(Duration.ofMillis(remainingMillis(deadline)), true);
            err.println("demo: tasks.fail unexpectedly returned " + v);
            wrong++;
        } catch (TaskFailedException e) {
            failure = e;
        } catch (ResultTimeoutException e) {
            err.println("demo: timed out waiting for tasks.fail's result");
            return Main.TIMEOUT;
        }
        long end = System.nanoTime();
        double seconds = (end - start) / 1e9;
        int total = tasks + 1;
        out.println("Results (a few of " + tasks + "):");
        if (tasks > 4) {
            samples.add(samples.size() - 1, "  ...");
        }
        samples.forEach(out::println);
        if (failure != null) {
            out.println("A failure, as the client sees it: tasks.fail[" + failure.taskId() + "] " + failure.state()
                    + " " + failure.excType() + ": " + failure.excMessage());
            String tb = failure.remoteTraceback();
            if (tb != null && !tb.isBlank()) {
                List<String> lines = tb.lines().toList();
                out.println("  remote traceback (" + lines.size() + " lines, first 6):");
                lines.stream().limit(6).forEach(l -> out.println("    " + l));
            } else {
                out.println("  (no remote traceback stored)");
            }
        }
        out.printf("%d of %d results correct; %d task(s) per second (%d tasks in %.2f s: send, run in the worker "
                        + "process, store, fetch)%n",
                tasks - wrong, tasks, Math.round(total / seconds), total, seconds);
        out.flush();
        return wrong == 0 && failure != null && "ValueError".equals(failure.excType()) ? Main.OK : Main.TASK_FAILED;
    }

    private record Sent(String call, Object expected, AsyncResult<Object> result) {
    }

    private static Sent send(Celeriac app, int i) {
        switch (i % 3) {
            case 0 -> {
                return new Sent("tasks.add(" + i + ", " + (i + 1) + ")", (long) (2 * i + 1),
                        app.sendTask("tasks.add", List.of(i, i + 1), Map.of(), ApplyOptions.NONE));
            }
            case 1 -> {
                return new Sent("tasks.mul(" + i + ", 3)", (long) i * 3,
                        app.sendTask("tasks.mul", List.of(i, 3), Map.of(), ApplyOptions.NONE));
            }
            default -> {
                Map<String, Object> obj = new LinkedHashMap<>();
                obj.put("n", (long) i);
                obj.put("text", "héllo wörld");
                obj.put("items", List.of(1L, 2.5, true));
                return new Sent("tasks.echo({\"n\": " + i + ", ...})", obj,
                        app.sendTask("tasks.echo", List.of(obj), Map.of(), ApplyOptions.NONE));
            }
        }
    }

    /** Integers of the value model compare as longs. */
    private static Object normalise(Object v) {
        if (v instanceof Integer n) {
            return n.longValue();
        }
        if (v instanceof java.math.BigInteger b && b.bitLength() < 64) {
            return b.longValue();
        }
        return v;
    }

    // ----------------------------------------------------------------------------------- the worker process

    private Process startWorker(Path dir, Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(MAIN_CLASS);
        cmd.add("worker");
        cmd.add("-A");
        cmd.add(APP_CLASS);
        cmd.add("-n");
        cmd.add("demo@%h");
        cmd.add("-l");
        cmd.add("info");
        if (concurrency != null) {
            cmd.add("-c");
            cmd.add(concurrency.toString());
        }
        cmd.addAll(connection.asArguments());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("CELERIAC_DATA_DIR", dir.toString());
        try {
            return pb.start();
        } catch (IOException e) {
            throw new CeleriacException("cannot start the worker process (" + cmd.getFirst() + "): " + e.getMessage(), e);
        }
    }

    /** Follows the worker's log file; forwards its ready line, warnings and errors to our stderr. */
    private void followLog(Process worker, Path log, CompletableFuture<Void> ready) {
        try {
            LogFollower.follow(log, () -> !worker.isAlive(), line -> {
                if (!ready.isDone() && READY.matcher(line).matches()) {
                    err.println("  worker | " + line);
                    ready.complete(null);
                } else if (FORWARDED.matcher(line).matches()) {
                    err.println("  worker | " + line);
                }
            });
        } catch (IOException e) {
            err.println("demo: reading the worker's log " + log + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ready.completeExceptionally(new IllegalStateException("the worker exited"));
        }
    }

    /** SIGTERM (warm shutdown), then waits for the exit; returns the demo exit code for how it went. */
    private int stopWorker(Process worker) throws InterruptedException {
        if (!worker.isAlive()) {
            return Main.TASK_FAILED;
        }
        err.println("demo: stopping the worker with SIGTERM (warm shutdown) ...");
        worker.destroy();
        if (!worker.waitFor(30, TimeUnit.SECONDS)) {
            err.println("demo: the worker did not stop within 30 s of SIGTERM; killing it");
            worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            return Main.TIMEOUT;
        }
        int exit = worker.exitValue();
        if (exit != 0) {
            err.println("demo: the worker exited with code " + exit + " after SIGTERM (expected 0)");
            return Main.TASK_FAILED;
        }
        out.println("The worker stopped cleanly (warm shutdown, exit code 0).");
        out.flush();
        return Main.OK;
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    private static List<String> tail(Path file, int n) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return all.subList(Math.max(0, all.size() - n), all.size());
        } catch (IOException | UncheckedIOException e) {
            return List.of("(cannot read " + file + ": " + e + ")");
        }
    }

    private void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a temp dir
                }
            });
        } catch (IOException e) {
            err.println("demo: could not delete " + dir + ": " + e);
        }
    }
}
