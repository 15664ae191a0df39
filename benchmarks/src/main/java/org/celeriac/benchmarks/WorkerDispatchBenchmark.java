package org.celeriac.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.TaskCall;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.slf4j.LoggerFactory;

/**
 * The whole dispatch path without a network: {@code applyAsync} of {@code bench.noop} (encode, publish)
 * → memory:// broker → worker (consume, decode, look up, ack, run) in one JVM. A score is tasks per second
 * with the publishing thread and the worker's pool sharing the machine's cores, so it bounds what core
 * alone can do per task.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WorkerDispatchBenchmark {
    private static final int BATCH = 1000;

    /** The worker's pool size. */
    @Param({"2"})
    public int concurrency;

    /** The worker's prefetch multiplier. */
    @Param({"4", "64"})
    public int prefetchMultiplier;

    private Celeriac app;
    private Worker worker;
    private TaskCall<Object> noop;
    private ApplyOptions options;

    /** Starts an app on a fresh memory:// namespace and a worker serving {@link BenchTasks}. */
    @Setup(Level.Trial)
    public void start() {
        // The worker logs every task at INFO; `celeriac worker -l warning` is what a benchmark runs.
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
            root.setLevel(ch.qos.logback.classic.Level.WARN);
        }
        String url = "memory://bench-" + UUID.randomUUID();
        app = Celeriac.builder().set("broker_url", url).set("result_backend", url)
                .registry(TaskRegistry.load(BenchTasks.class.getClassLoader(), BenchTasks.class)).build();
        worker = new Worker(app, new Worker.Options("bench@%h", List.of("bench"), concurrency, null, prefetchMultiplier));
        worker.start();
        noop = app.task("bench.noop", Object.class);
        options = ApplyOptions.builder().queue("bench").ignoreResult(true).build();
    }

    /** Publishes {@value #BATCH} no-op tasks and waits until the worker ran them all. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void publishConsumeAck() {
        long target = DrainRecorder.count() + BATCH;
        for (int i = 0; i < BATCH; i++) {
            noop.applyAsync(List.of(), Map.of(), options);
        }
        while (DrainRecorder.count() < target) {
            LockSupport.parkNanos(20_000);
        }
    }

    /** Warm shutdown of the worker, then the app. */
    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        worker.shutdown();
        worker.awaitTermination(Duration.ofSeconds(30));
        app.close();
    }
}
