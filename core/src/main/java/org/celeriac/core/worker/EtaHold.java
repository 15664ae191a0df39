package org.celeriac.core.worker;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.celeriac.core.worker.Worker.Request;

/**
 * Requests held in worker memory until their ETA (Celery's consumer timer, {@code celery/worker/strategy.py}
 * {@code apply_eta_task}): at most {@code worker_max_held_eta} of them; each goes to {@code due} at its ETA
 * (scheduled with microsecond precision on the worker's timer thread, so an idle worker starts it within a few
 * milliseconds). The prefetch limit is raised by the number held, as Celery's QoS does ({@code prefetchChanged}
 * is called on every change). Thread-safe.
 */
final class EtaHold {
    private final int max;
    private final Supplier<ScheduledExecutorService> scheduler;
    private final Consumer<Request> due;
    private final Runnable prefetchChanged;
    private final Map<Request, ScheduledFuture<?>> held = new ConcurrentHashMap<>();
    private final AtomicInteger count = new AtomicInteger();

    EtaHold(int max, Supplier<ScheduledExecutorService> scheduler, Consumer<Request> due, Runnable prefetchChanged) {
        this.max = max;
        this.scheduler = scheduler;
        this.due = due;
        this.prefetchChanged = prefetchChanged;
    }

    /** The bound ({@code worker_max_held_eta}). */
    int max() {
        return max;
    }

    /**
     * Holds a request until {@code eta}.
     *
     * @return false when {@link #max()} requests are held already (nothing done: the caller gives it back)
     */
    boolean hold(Request req, Instant eta) {
        int n = count.incrementAndGet();
        if (n > max) {
            count.decrementAndGet();
            return false;
        }
        prefetchChanged.run();
        long delayMicros = Math.max(0, Instant.now().until(eta, ChronoUnit.MICROS));
        ScheduledFuture<?> f = scheduler.get().schedule(() -> fire(req), delayMicros, TimeUnit.MICROSECONDS);
        held.put(req, f);
        if (f.isDone()) { // ran before it was recorded
            fire(req);
        }
        return true;
    }

    private void fire(Request req) {
        if (held.remove(req) != null) {
            release();
            due.accept(req);
        }
    }

    private void release() {
        count.decrementAndGet();
        prefetchChanged.run();
    }

    /** Stops holding the requests that match and returns them. */
    List<Request> remove(Predicate<Request> which) {
        List<Request> out = new ArrayList<>();
        for (Request r : List.copyOf(held.keySet())) {
            if (which.test(r)) {
                ScheduledFuture<?> f = held.remove(r);
                if (f != null) {
                    f.cancel(false);
                    release();
                    out.add(r);
                }
            }
        }
        return out;
    }

    /** How many are held now. */
    int count() {
        return Math.max(0, count.get());
    }

    /** The held requests, earliest ETA first. */
    List<Request> scheduled() {
        return held.keySet().stream().sorted(Comparator.comparing(r -> r.msg.eta())).toList();
    }

    /** At shutdown: cancels every timer and forgets the requests (unsettled, they go back to the broker). */
    void clear() {
        for (ScheduledFuture<?> f : held.values()) {
            f.cancel(false);
        }
        held.clear();
    }
}
