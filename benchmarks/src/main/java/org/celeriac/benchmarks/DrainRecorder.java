package org.celeriac.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Times a drain from inside the worker, at almost no cost to it: every {@code bench.noop} run updates a
 * counter and the min/max of {@link System#nanoTime()}; the run that brings the counter to the expected
 * number writes a one-line JSON report to a file, atomically (write, then rename). Thread-safe, lock-free.
 *
 * <p>Configured from the worker's environment, so the worker runs with exactly the JVM flags
 * {@code celeriac worker} uses:
 * <ul>
 *   <li>{@code CELERIAC_BENCH_EXPECT}: how many runs make a complete drain (absent: never report);</li>
 *   <li>{@code CELERIAC_BENCH_REPORT}: the file to write ({@code {"count":N,"first_ns":..,"last_ns":..,"pid":..}}).</li>
 * </ul>
 * The nanosecond values are {@code System.nanoTime()} of this JVM: only their difference means anything.
 */
public final class DrainRecorder {
    private static final AtomicLong COUNT = new AtomicLong();
    private static final AtomicLong FIRST = new AtomicLong(Long.MAX_VALUE);
    private static final AtomicLong LAST = new AtomicLong(Long.MIN_VALUE);
    private static final long EXPECT = parse(System.getenv("CELERIAC_BENCH_EXPECT"));
    private static final String REPORT = System.getenv("CELERIAC_BENCH_REPORT");

    private DrainRecorder() {
    }

    /** Records one run (called by {@code bench.noop}). Non-blocking except for the one run that writes the report. */
    public static void record() {
        long now = System.nanoTime();
        FIRST.accumulateAndGet(now, Math::min);
        LAST.accumulateAndGet(now, Math::max);
        long n = COUNT.incrementAndGet();
        if (n == EXPECT && REPORT != null) {
            write(Path.of(REPORT), n);
        }
    }

    /** Runs recorded so far in this JVM. */
    public static long count() {
        return COUNT.get();
    }

    /** Forgets every run recorded so far (for in-process benchmarks). */
    public static void reset() {
        COUNT.set(0);
        FIRST.set(Long.MAX_VALUE);
        LAST.set(Long.MIN_VALUE);
    }

    private static void write(Path file, long n) {
        // The last run's LAST update may race with another thread's: a max over every recorded value is what
        // we want, and every run recorded its time before incrementing the counter.
        String json = String.format(Locale.ROOT, "{\"count\": %d, \"first_ns\": %d, \"last_ns\": %d, \"pid\": %d}%n",
                n, FIRST.get(), LAST.get(), ProcessHandle.current().pid());
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, json, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the drain report " + file, e);
        }
    }

    private static long parse(String s) {
        if (s == null || s.isBlank()) {
            return -1;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("CELERIAC_BENCH_EXPECT must be a whole number, got '" + s + "'", e);
        }
    }
}
