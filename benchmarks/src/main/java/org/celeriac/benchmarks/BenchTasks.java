package org.celeriac.benchmarks;

import org.celeriac.api.Task;

/**
 * The tasks the benchmarks run; a worker serves them with {@code -A org.celeriac.benchmarks.BenchTasks}.
 * Their Python twins are in {@code benchmarks/python/bench_tasks.py} (same names, same behaviour).
 */
public final class BenchTasks {
    private BenchTasks() {
    }

    /**
     * {@code bench.noop()}: does nothing but note when it ran ({@link DrainRecorder#record()}, two atomic
     * updates), so a drain is timed from the first run to the last without a per-task message or log line.
     */
    @Task(name = "bench.noop", ignoreResult = true)
    public static void noop() {
        DrainRecorder.record();
    }

    /** {@code bench.add(x, y)}: {@code x + y}, with a stored result (the round-trip scenario). */
    @Task(name = "bench.add")
    public static long add(long x, long y) {
        return x + y;
    }
}
