package org.celeriac.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskCall;
import org.celeriac.core.Celeriac;
import org.celeriac.serializer.json.JsonSerializer;
import org.celeriac.spi.ConnectionUrl;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The end-to-end harness ({@code benchmarks/bench}, later {@code celeriac bench}): measures one scenario
 * against a real broker, with the worker in its own JVM started exactly as {@code celeriac worker} starts.
 * Progress and settings go to stderr; the result goes to stdout (one line, or one JSON object with
 * {@code --json}). See {@code docs/performance.md} for what each scenario measures.
 *
 * <ul>
 *   <li>{@code drain}: N {@code bench.noop} messages (ignore_result) are published to a fresh queue first;
 *       then a worker starts; rate = N / (first task run → last task run), timed inside the worker by
 *       {@link DrainRecorder} (start-up excluded, broker I/O included).</li>
 *   <li>{@code publish}: one thread, N {@code applyAsync} calls, timed until every publish future completed
 *       and the broker's queue holds all N (where the transport can count).</li>
 *   <li>{@code roundtrip}: {@code bench.add(1, 2)}, {@code applyAsync(...).get()} in sequence after a
 *       warm-up (at least {@code --warmup} calls, then, unless that is 0, until this JVM's JIT has been quiet
 *       for 1 s, 30 s at most), against a worker process; p50, p99, max.</li>
 *   <li>{@code memory}: a worker at concurrency 2: process start → {@code ready.} line, and its RSS
 *       ({@code VmRSS}) once idle.</li>
 *   <li>{@code fill}: only publishes N {@code bench.noop} messages to {@code --queue} and leaves them there
 *       (compare.sh fills the queue a Python worker drains).</li>
 * </ul>
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measure Celeriac end to end: drain, publish, roundtrip or memory (see docs/performance.md).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:measured", "1:the measurement failed (worker died, timeout, wrong count)", "2:usage error"})
public final class Bench implements Callable<Integer> {

    /** Round-trip warm-up: how long the calling JVM's JIT must have compiled nothing before calls are timed. */
    private static final long JIT_QUIET_NANOS = Duration.ofSeconds(1).toNanos();

    /** Round-trip warm-up: the longest wait for a quiet JIT (a JVM that never stops compiling is timed anyway). */
    private static final int JIT_QUIET_MAX_SECONDS = 30;

    /** The scenarios. */
    enum Scenario { drain, publish, roundtrip, memory, fill }

    @Option(names = {"-b", "--broker"}, paramLabel = "URL",
            description = "Broker URL. Default: the embedded H2 default of celeriac (as 'celeriac worker' with no --broker).")
    String broker;

    @Option(names = "--result-backend", paramLabel = "URL",
            description = "Result backend URL. Default: none, except roundtrip, which uses the broker URL "
                    + "(redis, rediss, jdbc).")
    String resultBackend;

    @Option(names = "-n", paramLabel = "N",
            description = "Tasks: drain, publish, fill 100000; roundtrip 5000 (timed calls after the warm-up).")
    Integer n;

    @Option(names = "--scenario", paramLabel = "NAME", defaultValue = "drain",
            description = "drain, publish, roundtrip, memory or fill. Default: ${DEFAULT-VALUE}.")
    Scenario scenario;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Option(names = {"-c", "--concurrency"}, paramLabel = "C",
            description = "The worker's -c. Default: the worker's default (worker_concurrency, else the cores); "
                    + "memory: 2.")
    Integer concurrency;

    @Option(names = "--prefetch-multiplier", paramLabel = "M",
            description = "The worker's --prefetch-multiplier. Default: the worker's (4).")
    Integer prefetchMultiplier;

    @Option(names = "--worker-arg", paramLabel = "ARG",
            description = "An extra argument for the worker's command line, repeatable, e.g. --worker-arg=--without-mingle "
                    + "(Celery's best configuration runs without gossip, mingle and heartbeat).")
    List<String> extraWorkerArgs = new ArrayList<>();

    @Option(names = "--transport-option", paramLabel = "KEY=VALUE",
            description = "publish only: an entry of broker_transport_options for the publishing app, repeatable, e.g. "
                    + "--transport-option queue_mode=lazy (AMQP). The fresh queue is declared with it too.")
    Map<String, String> transportOptions = new LinkedHashMap<>();

    @Option(names = {"-P", "--pool"}, paramLabel = "POOL", description = "The worker's -P. Default: the worker's (threads).")
    String pool;

    @Option(names = {"-Q", "--queue"}, paramLabel = "NAME",
            description = "The queue. Default: a fresh one, bench.<scenario>.<random>, removed afterwards (fill keeps it).")
    String queue;

    @Option(names = "--warmup", paramLabel = "W", defaultValue = "2000",
            description = "Untimed calls first (publish, roundtrip; unless 0, roundtrip goes on warming up until "
                    + "this JVM's JIT has been quiet for 1 s, 30 s at most). Default: ${DEFAULT-VALUE}.")
    int warmup;

    /**
     * 10 s by default: HotSpot keeps its compilers' scratch memory (arena chunks, ~6 MiB after start-up) until its
     * chunk-pool cleaner runs, every 5 s from JVM start, and the native-heap trimmer (every 1 s) hands it back;
     * read before both ran, the worker's RSS includes that transient (83 vs 77 MiB on Redis). At 5 s after ready the
     * reading raced them (3 of 5 readings at 83 on a fast day); at 10 s it does not. Python's harness uses the same
     * default.
     */
    @Option(names = "--settle", paramLabel = "SECONDS", defaultValue = "10",
            description = "memory: idle time after 'ready.' before RSS is read (10 s: the JVM returns its compilers' "
                    + "scratch memory after its next chunk-pool cleaning, every 5 s). Default: ${DEFAULT-VALUE}.")
    double settle;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "Give up after this long. Default: ${DEFAULT-VALUE}.")
    int timeoutSeconds;

    @Option(names = "--label", paramLabel = "TEXT", description = "A free label copied into the JSON output.")
    String label;

    @Option(names = "--worker-log", paramLabel = "FILE",
            description = "Where the worker's output goes. Default: a temporary file, kept when something fails.")
    Path workerLog;

    @Option(names = "--latencies", paramLabel = "FILE",
            description = "roundtrip: also write every timed call, in call order, as a line \"<start, ms since the "
                    + "Unix epoch> <round trip, microseconds>\" (to line tail latencies up with GC or other logs).")
    Path latencies;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final PrintStream err = System.err;

    /** Runs the harness; exits the JVM with the exit code. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured picocli command line (for {@code celeriac bench}: {@code addSubcommand("bench", new Bench())}). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Bench());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    @Override
    public Integer call() throws Exception {
        if (broker != null && broker.startsWith("memory:")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "memory:// lives inside one JVM; the worker "
                    + "runs in its own. Measure memory:// with the JMH benchmark WorkerDispatchBenchmark");
        }
        if (n != null && n < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "-n must be >= 1, got " + n);
        }
        if (!transportOptions.isEmpty() && scenario != Scenario.publish) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--transport-option applies to the publish "
                    + "scenario only (the worker of the other scenarios would declare the queue without it)");
        }
        if (queue == null) {
            queue = "bench." + scenario + "." + UUID.randomUUID().toString().substring(0, 8);
        }
        if (scenario == Scenario.roundtrip && resultBackend == null && broker != null) {
            String scheme = ConnectionUrl.parse(broker).scheme();
            if (List.of("redis", "rediss", "jdbc").contains(scheme)) {
                resultBackend = broker;
            } else {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "roundtrip needs a result backend: add --result-backend URL");
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("impl", "celeriac");
        out.put("scenario", scenario.name());
        out.put("broker", broker == null ? "embedded H2 default" : ConnectionUrl.mask(broker));
        if (resultBackend != null) {
            out.put("result_backend", ConnectionUrl.mask(resultBackend));
        }
        if (label != null) {
            out.put("label", label);
        }
        Map<String, Object> nonDefault = nonDefaultSettings();
        out.put("settings", nonDefault);
        out.put("loadavg_1m", loadAverage());
        err.printf(Locale.ROOT, "bench: %s on %s, queue %s; non-default settings: %s%n", scenario, out.get("broker"),
                queue, nonDefault.isEmpty() ? "none" : nonDefault);
        switch (scenario) {
            case drain -> drain(out);
            case publish -> publish(out);
            case roundtrip -> roundtrip(out);
            case memory -> memory(out);
            case fill -> fill(out);
        }
        print(out);
        return 0;
    }

    // ------------------------------------------------------------------------------------------ scenarios

    private void drain(Map<String, Object> out) throws Exception {
        int count = n != null ? n : 100_000;
        out.put("n", count);
        Path dir = Files.createTempDirectory("celeriac-bench-");
        Path report = dir.resolve("drain-report.json");
        // The harness holds no connection while the worker drains: with H2's AUTO_SERVER the worker then
        // opens the database in its own process, as a lone worker on the embedded default does.
        try (Celeriac app = app(false)) {
            app.broker().purge(queueDeclared(app));
            long t0 = System.nanoTime();
            publishNoops(app, queue, count);
            out.put("enqueue_s", seconds(System.nanoTime() - t0));
            expectCount(app, count);
            err.printf(Locale.ROOT, "bench: %d messages in %s (%.1f s); starting the worker%n", count, queue,
                    (System.nanoTime() - t0) / 1e9);
        }
        List<String> args = workerArgs("warning", concurrency);
        Path log = workerLog != null ? workerLog : dir.resolve("worker.log");
        long spawned = System.nanoTime();
        String reportJson;
        try (WorkerProcess w = WorkerProcess.start(classPath(), args,
                Map.of("CELERIAC_BENCH_EXPECT", Integer.toString(count), "CELERIAC_BENCH_REPORT", report.toString()), log)) {
            reportJson = awaitFile(report, w);
            out.put("spawn_to_done_s", seconds(System.nanoTime() - spawned));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) JsonSerializer.INSTANCE.decode(reportJson.getBytes(StandardCharsets.UTF_8));
        long first = ((Number) r.get("first_ns")).longValue();
        long last = ((Number) r.get("last_ns")).longValue();
        double s = (last - first) / 1e9;
        out.put("seconds", round(s, 4));
        out.put("rate", Math.round(count / s));
        try (Celeriac app = app(false)) {
            long left = app.broker().messageCount(queue);
            if (left > 0) {
                throw new IllegalStateException(left + " messages left in " + queue + " after the drain");
            }
            cleanup(app);
        }
        deleteQuietly(dir, log);
    }

    private void publish(Map<String, Object> out) throws Exception {
        int count = n != null ? n : 100_000;
        out.put("n", count);
        out.put("warmup", warmup);
        try (Celeriac app = app(resultBackend != null)) {
            String q = queueDeclared(app);
            app.broker().purge(q);
            if (warmup > 0) {
                publishNoops(app, q, warmup);
                expectCount(app, warmup);
                app.broker().purge(q);
            }
            TaskCall<Object> noop = app.task("bench.noop", Object.class);
            ApplyOptions opts = ApplyOptions.builder().queue(q).ignoreResult(true).build();
            @SuppressWarnings("unchecked")
            CompletableFuture<Void>[] published = new CompletableFuture[count];
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                published[i] = Celeriac.published(noop.applyAsync(List.of(), Map.of(), opts));
            }
            long handed = System.nanoTime();
            CompletableFuture.allOf(published).join();
            long confirmed = System.nanoTime();
            boolean counted = expectCount(app, count);
            long t1 = System.nanoTime();
            out.put("handed_over_s", seconds(handed - t0));
            out.put("futures_done_s", seconds(confirmed - t0));
            out.put("counted_by_broker", counted);
            out.put("seconds", seconds(t1 - t0));
            out.put("rate", Math.round(count / ((t1 - t0) / 1e9)));
            cleanup(app);
        }
    }

    private void roundtrip(Map<String, Object> out) throws Exception {
        int count = n != null ? n : 5_000;
        out.put("n", count);
        out.put("warmup", warmup);
        Path dir = Files.createTempDirectory("celeriac-bench-");
        Path log = workerLog != null ? workerLog : dir.resolve("worker.log");
        try (Celeriac app = app(true)) {
            app.broker().purge(queueDeclared(app));
            try (WorkerProcess w = WorkerProcess.start(classPath(), workerArgs("warning", concurrency), Map.of(), log)) {
                TaskCall<Long> add = app.task("bench.add", Long.class);
                ApplyOptions opts = ApplyOptions.builder().queue(queue).build();
                List<String> ids = new ArrayList<>(count + warmup + 1);
                // The first call waits for the worker to start.
                AsyncResult<Long> first = add.applyAsync(List.of(1L, 2L), null, opts);
                ids.add(first.id());
                check(first.get(Duration.ofSeconds(timeoutSeconds)), w);
                // At least --warmup calls, then on until this JVM's JIT has compiled nothing for a while: on 2 CPUs
                // the C2 compiler threads of the calling JVM take the CPU from the path for several seconds after
                // start, and calls timed meanwhile measure the compiler (p99 2.7 vs 1.1 ms), not the steady state a
                // long-running client sees.
                CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
                boolean jitTimed = warmup > 0 && jit != null && jit.isCompilationTimeMonitoringSupported();
                long warmupUntil = System.nanoTime() + Duration.ofSeconds(JIT_QUIET_MAX_SECONDS).toNanos();
                long jitMillis = jitTimed ? jit.getTotalCompilationTime() : 0;
                long quietSince = System.nanoTime();
                int warmed = 0;
                while (warmed < warmup || (jitTimed && System.nanoTime() - quietSince < JIT_QUIET_NANOS
                        && System.nanoTime() < warmupUntil)) {
                    AsyncResult<Long> r = add.applyAsync(List.of(1L, 2L), null, opts);
                    ids.add(r.id());
                    check(r.get(Duration.ofSeconds(30)), w);
                    warmed++;
                    if (jitTimed && (warmed & 255) == 0) {
                        long now = jit.getTotalCompilationTime();
                        if (now != jitMillis) {
                            jitMillis = now;
                            quietSince = System.nanoTime();
                        }
                    }
                }
                out.put("warmup_calls", warmed);
                long[] nanos = new long[count];
                long[] startedMillis = new long[count];
                for (int i = 0; i < count; i++) {
                    startedMillis[i] = System.currentTimeMillis();
                    long t0 = System.nanoTime();
                    AsyncResult<Long> r = add.applyAsync(List.of(1L, 2L), null, opts);
                    Long v = r.get(Duration.ofSeconds(30));
                    nanos[i] = System.nanoTime() - t0;
                    ids.add(r.id());
                    check(v, w);
                }
                if (latencies != null) {
                    StringBuilder lines = new StringBuilder(count * 20);
                    for (int i = 0; i < count; i++) {
                        lines.append(startedMillis[i]).append(' ').append(nanos[i] / 1_000).append('\n');
                    }
                    Files.writeString(latencies, lines);
                }
                Arrays.sort(nanos);
                out.put("p50_ms", millis(percentile(nanos, 50)));
                out.put("p99_ms", millis(percentile(nanos, 99)));
                out.put("max_ms", millis(nanos[count - 1]));
                out.put("mean_ms", millis((long) Arrays.stream(nanos).average().orElse(0)));
                for (String id : ids) {
                    app.asyncResult(id).forget();
                }
            }
            cleanup(app);
            deleteQuietly(dir, log);
        }
    }

    private void memory(Map<String, Object> out) throws Exception {
        int c = concurrency != null ? concurrency : 2;
        out.put("concurrency", c);
        Path dir = Files.createTempDirectory("celeriac-bench-");
        Path log = workerLog != null ? workerLog : dir.resolve("worker.log");
        long readyNanos;
        long rss;
        double cpu;
        try (WorkerProcess w = WorkerProcess.start(classPath(), workerArgs("info", c), Map.of(), log)) {
            readyNanos = w.awaitReady(Duration.ofSeconds(timeoutSeconds));
            cpu = w.cpuSecondsAtReady();
            Thread.sleep(Duration.ofMillis((long) (settle * 1000))); // a measurement delay, not synchronisation
            rss = w.rssBytes();
        }
        out.put("ready_s", seconds(readyNanos));
        out.put("cpu_to_ready_s", cpu);
        out.put("rss_mib", round(rss / (1024.0 * 1024.0), 1));
        out.put("settle_s", settle);
        try (Celeriac app = app(false)) {
            cleanup(app);
        }
        deleteQuietly(dir, log);
    }

    private void fill(Map<String, Object> out) throws InterruptedException {
        int count = n != null ? n : 100_000;
        out.put("n", count);
        out.put("queue", queue);
        try (Celeriac app = app(false)) {
            queueDeclared(app);
            long t0 = System.nanoTime();
            publishNoops(app, queue, count);
            expectCount(app, count);
            out.put("seconds", seconds(System.nanoTime() - t0));
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private Celeriac app(boolean withBackend) {
        Celeriac.Builder b = Celeriac.builder();
        if (broker != null) {
            b.set("broker_url", broker);
        }
        if (withBackend && resultBackend != null) {
            b.set("result_backend", resultBackend);
        }
        if (!transportOptions.isEmpty()) {
            b.set("broker_transport_options", new LinkedHashMap<String, Object>(transportOptions));
        }
        return b.build();
    }

    private String queueDeclared(Celeriac app) {
        app.broker().declareQueue(org.celeriac.spi.broker.QueueSpec.of(queue));
        return queue;
    }

    /** Publishes {@code count} bench.noop messages (ignore_result) and waits until every publish future completed. */
    private static void publishNoops(Celeriac app, String q, int count) {
        TaskCall<Object> noop = app.task("bench.noop", Object.class);
        ApplyOptions opts = ApplyOptions.builder().queue(q).ignoreResult(true).build();
        List<CompletableFuture<Void>> futures = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            futures.add(Celeriac.published(noop.applyAsync(List.of(), Map.of(), opts)));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
    }

    /**
     * Waits until the broker counts {@code count} ready messages in the queue.
     *
     * @return false when the transport cannot count (then nothing was checked)
     */
    private boolean expectCount(Celeriac app, long count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        long seen;
        while ((seen = app.broker().messageCount(queue)) != count) {
            if (seen < 0) {
                return false;
            }
            if (seen > count) {
                throw new IllegalStateException("the queue " + queue + " holds " + seen + " messages, expected " + count);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the broker counts " + seen + " messages in " + queue + ", expected " + count);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(200_000); // poll the broker at most 5,000 times a second
        }
        return true;
    }

    private String awaitFile(Path file, WorkerProcess w) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        while (!Files.exists(file)) {
            if (!w.alive()) {
                throw new IllegalStateException("the worker exited before the drain completed; see its log " + w.log());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the drain did not complete within " + timeoutSeconds
                        + " s; see the worker's log " + w.log());
            }
            Thread.sleep(10); // polling a file the worker writes once; 10 ms is below the precision we report
        }
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    private static void check(Long v, WorkerProcess w) {
        if (v == null || v != 3L) {
            throw new IllegalStateException("bench.add(1, 2) returned " + v + ", expected 3; see the worker's log " + w.log());
        }
    }

    private List<String> workerArgs(String logLevel, Integer c) {
        List<String> a = new ArrayList<>(List.of("-A", BenchTasks.class.getName(), "-Q", queue, "-l", logLevel));
        if (broker != null) {
            a.add("--broker=" + broker);
        }
        if (resultBackend != null && scenario == Scenario.roundtrip) {
            a.add("--result-backend=" + resultBackend);
        }
        if (c != null) {
            a.add("--concurrency=" + c);
        }
        if (prefetchMultiplier != null) {
            a.add("--prefetch-multiplier=" + prefetchMultiplier);
        }
        if (pool != null) {
            a.add("--pool=" + pool);
        }
        a.addAll(extraWorkerArgs);
        return a;
    }

    private Map<String, Object> nonDefaultSettings() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (concurrency != null) {
            m.put("concurrency", concurrency);
        } else if (scenario == Scenario.memory) {
            m.put("concurrency", 2);
        }
        if (prefetchMultiplier != null) {
            m.put("prefetch_multiplier", prefetchMultiplier);
        }
        if (pool != null) {
            m.put("pool", pool);
        }
        if (!transportOptions.isEmpty()) {
            m.put("broker_transport_options", new LinkedHashMap<>(transportOptions));
        }
        if (!extraWorkerArgs.isEmpty()) {
            m.put("worker_args", String.join(" ", extraWorkerArgs));
        }
        String opts = System.getenv("CELERIAC_JAVA_OPTS");
        if (opts != null && !opts.isBlank()) {
            m.put("CELERIAC_JAVA_OPTS", opts.trim());
        }
        for (String k : System.getenv().keySet()) {
            if (k.startsWith("CELERIAC_") && !k.equals("CELERIAC_JAVA_OPTS") && !k.startsWith("CELERIAC_BENCH")) {
                m.put(k, k.contains("URL") || k.contains("BACKEND") ? ConnectionUrl.mask(System.getenv(k)) : System.getenv(k));
            }
        }
        return m;
    }

    private void cleanup(Celeriac app) {
        try {
            app.broker().purge(queue);
            QueueCleanup.delete(broker, queue);
        } catch (Exception e) {
            err.println("bench: could not remove the queue " + queue + ": " + e);
        }
    }

    private static void deleteQuietly(Path dir, Path log) {
        try {
            if (log.startsWith(dir)) {
                Files.deleteIfExists(log);
            }
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a leftover temporary directory is harmless
        }
    }

    private static String classPath() {
        return System.getProperty("java.class.path");
    }

    private static long percentile(long[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static double seconds(long nanos) {
        return round(nanos / 1e9, 4);
    }

    private static double millis(long nanos) {
        return round(nanos / 1e6, 3);
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private void print(Map<String, Object> out) {
        if (json) {
            System.out.println(new String(JsonSerializer.INSTANCE.encode(out), StandardCharsets.UTF_8));
            return;
        }
        StringBuilder sb = new StringBuilder();
        out.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append('=').append(v));
        System.out.println(sb);
    }
}
