package org.celeriac.core.worker;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's autoscaler ({@code celery/worker/autoscale.py}, {@code --autoscale MAX,MIN}, setting
 * {@code worker_autoscale}): once a second, the pool grows toward {@code min(qty, max)} where {@code qty} is the
 * number of requests the worker holds (reserved and running), and shrinks toward {@code max(qty, min)} — but only
 * after a growth, once it is older than the keep-alive ({@code worker_autoscale_keepalive}, Celery's
 * {@code AUTOSCALE_KEEPALIVE}, 30 s). Unlike Celery's prefork pool, the JVM pool keeps at least one thread even
 * with {@code MIN} = 0. Thread-safe: {@link #maybeScale()} runs on the worker's timer, {@link #update} on the
 * remote-control thread.
 */
final class Autoscaler {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.worker.autoscale");

    private final IntSupplier processes;
    private final IntSupplier qty;
    private final IntConsumer grow;
    private final IntConsumer shrink;
    private final long keepaliveNanos;
    private volatile int max;
    private volatile int min;
    private volatile long lastScaleUp;
    private volatile boolean scaledUp;

    /**
     * @param processes the pool size now
     * @param qty the requests held now (reserved and running)
     * @param grow adds n threads
     * @param shrink removes n threads
     */
    Autoscaler(int max, int min, Duration keepalive, IntSupplier processes, IntSupplier qty, IntConsumer grow,
               IntConsumer shrink) {
        this.max = max;
        this.min = min;
        this.keepaliveNanos = keepalive.toNanos();
        this.processes = processes;
        this.qty = qty;
        this.grow = grow;
        this.shrink = shrink;
    }

    /**
     * Parses {@code --autoscale}: {@code "MAX,MIN"} (in either order, as Celery sorts them) or {@code "MAX"} (MIN 0).
     *
     * @return {@code [max, min]}
     * @throws IllegalArgumentException naming the setting and the accepted forms
     */
    static int[] parse(String value) {
        String[] parts = value.trim().split("\\s*,\\s*");
        try {
            if (parts.length == 1) {
                int max = Integer.parseInt(parts[0]);
                check(max, 0, value);
                return new int[] {max, 0};
            }
            if (parts.length == 2) {
                int a = Integer.parseInt(parts[0]);
                int b = Integer.parseInt(parts[1]);
                check(Math.max(a, b), Math.min(a, b), value);
                return new int[] {Math.max(a, b), Math.min(a, b)};
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("worker_autoscale (--autoscale) must be 'MAX,MIN' or 'MAX' with whole "
                + "numbers, e.g. '10,3'; got '" + value + "'");
    }

    private static void check(int max, int min, String value) {
        if (max < 1 || min < 0) {
            throw new IllegalArgumentException("worker_autoscale (--autoscale) needs MAX >= 1 and MIN >= 0, e.g. '10,3'; "
                    + "got '" + value + "'");
        }
    }

    int max() {
        return max;
    }

    /** The pool size to start with: MIN, at least one thread. */
    int initial() {
        return Math.max(1, min);
    }

    /** Celery's {@code _maybe_scale}; returns true when it resized the pool. */
    synchronized boolean maybeScale() {
        int procs = processes.getAsInt();
        int q = qty.getAsInt();
        int up = Math.min(q, max);
        if (up > procs) {
            scaledUp = true;
            lastScaleUp = System.nanoTime();
            LOG.info("Scaling up {} thread(s).", up - procs);
            grow.accept(up - procs);
            return true;
        }
        int down = Math.max(1, Math.max(q, min));
        if (down < procs && scaledUp && System.nanoTime() - lastScaleUp > keepaliveNanos) {
            LOG.info("Scaling down {} thread(s).", procs - down);
            shrink.accept(procs - down);
            return true;
        }
        return false;
    }

    /** The {@code autoscale} control command: new bounds (null keeps one); the pool follows at the next check. */
    synchronized void update(Integer newMax, Integer newMin) {
        int mx = newMax == null ? max : newMax;
        int mn = newMin == null ? min : newMin;
        check(Math.max(mx, mn), Math.min(mx, mn), mx + "," + mn);
        max = Math.max(mx, mn);
        min = Math.min(mx, mn);
    }

    /** Celery's {@code Autoscaler.info()}. */
    Map<String, Object> info() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max", max);
        m.put("min", min);
        m.put("current", processes.getAsInt());
        m.put("qty", qty.getAsInt());
        return m;
    }
}
