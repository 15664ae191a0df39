package org.celeriac.core.worker;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.celeriac.api.RateLimit;
import org.celeriac.api.TaskDefinition;
import org.celeriac.core.worker.Worker.Request;
import org.celeriac.spi.coordination.Coordination;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's per-task rate limits (Celery's {@code task_buckets}, {@code celery/worker/consumer/consumer.py}):
 * a token bucket per task name, the requests waiting for a token in arrival order, and the limits set at run time
 * by the {@code rate_limit} control command. A request that may run goes to {@code ready}. Thread-safe.
 */
final class RateLimits {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.worker");

    /**
     * The token bucket of a task type (kombu's {@code TokenBucket(rate, capacity=1)}) and the requests waiting for
     * a token, in arrival order. Guarded by itself.
     */
    static class RateBucket {
        final String limit;
        final double perSecond;
        final ArrayDeque<Request> waiting = new ArrayDeque<>();
        double tokens = 1;
        long lastNanos = System.nanoTime();
        ScheduledFuture<?> drain;

        RateBucket(String limit, double perSecond) {
            this.limit = limit;
            this.perSecond = perSecond;
        }

        private void refill() {
            long now = System.nanoTime();
            tokens = Math.min(1, tokens + (now - lastNanos) / 1e9 * perSecond);
            lastNanos = now;
        }

        boolean tryTake() {
            refill();
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }

        long nanosUntilToken() {
            refill();
            return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / perSecond * 1e9);
        }
    }

    /**
     * A limit shared by every worker of the cluster ({@code rate_limit_scope = global}; Celery has none): time is cut
     * into windows of {@code max(1/rate, 100 ms)} on the wall clock (workers' clocks are assumed in sync, as for
     * ETAs), and a window admits {@code round(rate x window)} tasks (at least one) cluster-wide, counted with
     * {@link Coordination#incrementAndGet} under {@code celeriac.rate_limit.<task>.<window>} (expiring after two
     * windows). When the coordination store fails, the worker falls back to its own token bucket (logged once per
     * outage).
     */
    static final class GlobalBucket extends RateBucket {
        private final Coordination coordination;
        private final String key;
        private final long windowMillis;
        private final long capacity;
        private volatile boolean failing;

        GlobalBucket(String task, String limit, double perSecond, Coordination coordination) {
            super(limit, perSecond);
            this.coordination = coordination;
            this.key = "celeriac.rate_limit." + task + ".";
            this.windowMillis = Math.max(100L, (long) Math.ceil(1000 / perSecond));
            this.capacity = Math.max(1L, Math.round(perSecond * windowMillis / 1000));
        }

        @Override
        boolean tryTake() {
            long window = System.currentTimeMillis() / windowMillis;
            long n;
            try {
                n = coordination.incrementAndGet(key + window, 1, Duration.ofMillis(2 * windowMillis + 1000));
            } catch (RuntimeException e) {
                if (!failing) {
                    failing = true;
                    LOG.warn("global rate limit {} of {}: the coordination store failed ({}); this worker applies it "
                            + "on its own until the store answers again", limit, key, e.toString());
                }
                return super.tryTake();
            }
            if (failing) {
                failing = false;
                LOG.info("global rate limit {} of {}: the coordination store answers again", limit, key);
            }
            return n <= capacity;
        }

        @Override
        long nanosUntilToken() {
            if (failing) {
                return super.nanosUntilToken();
            }
            long now = System.currentTimeMillis();
            return ((now / windowMillis + 1) * windowMillis - now) * 1_000_000L;
        }
    }

    private final Map<String, RateBucket> buckets = new ConcurrentHashMap<>();
    private final Map<String, String> overrides = new ConcurrentHashMap<>(); // "" = disabled
    private final Consumer<Request> ready;
    private final Supplier<ScheduledExecutorService> scheduler;
    private final String defaultLimit; // task_default_rate_limit, nullable
    private final boolean disabled; // worker_disable_rate_limits
    private final Predicate<String> global; // task names whose limit is cluster-wide
    private final Coordination coordination; // nullable: no global limits

    /** The accepted forms, for error messages. */
    static final String FORMS = "'10/m', '100/s', '5/h' or a number of tasks per second such as 2.5";

    /**
     * @param ready where a request that may run goes (the pool's queue)
     * @param scheduler the worker's timer, null before start
     * @param defaultLimit {@code task_default_rate_limit}: the limit of tasks that have none; nullable
     * @param disabled {@code worker_disable_rate_limits}: no limit is applied
     * @throws IllegalArgumentException when {@code defaultLimit} is malformed (the message names the setting)
     */
    RateLimits(Consumer<Request> ready, Supplier<ScheduledExecutorService> scheduler, String defaultLimit,
            boolean disabled) {
        this(ready, scheduler, defaultLimit, disabled, name -> false, null);
    }

    /**
     * @param global the tasks whose limit is shared by the cluster ({@code rate_limit_scope = global})
     * @param coordination where the cluster counts them; null: every limit is per worker (with a warning when
     *        {@code global} matches)
     */
    RateLimits(Consumer<Request> ready, Supplier<ScheduledExecutorService> scheduler, String defaultLimit,
            boolean disabled, Predicate<String> global, Coordination coordination) {
        this.global = global;
        this.coordination = coordination;
        this.ready = ready;
        this.scheduler = scheduler;
        this.defaultLimit = defaultLimit == null || defaultLimit.isBlank() || defaultLimit.equalsIgnoreCase("none")
                ? null : check("task_default_rate_limit", defaultLimit);
        this.disabled = disabled;
    }

    /**
     * Parses a rate limit ({@code celery/utils/time.py rate}).
     *
     * @param where what holds it, for the message, e.g. {@code "task 'tasks.add': rate_limit"}
     * @return {@code text}
     * @throws IllegalArgumentException naming {@code where}, the value and the accepted forms
     */
    static String check(String where, String text) {
        try {
            RateLimit.parse(text);
            return text;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " '" + text + "' is not a rate limit; use " + FORMS
                    + " (Celery's format; empty or None: no limit)", e);
        }
    }

    /**
     * Checks the rate limit of every task at worker start (Celery builds its task buckets then, and a bad limit
     * stops the worker).
     *
     * @throws IllegalArgumentException naming the first task whose limit is malformed
     */
    void validate(Iterable<TaskDefinition> tasks) {
        for (TaskDefinition d : tasks) {
            String own = d.options().rateLimit();
            if (own != null && !own.isBlank()) {
                check("task '" + d.name() + "' has rate_limit (from @Task(rateLimit), task_annotations or its "
                        + "TaskOptions)", own);
            }
        }
    }

    /** Sends the request to {@code ready} now, or once a token of its task's bucket is there. */
    void admit(Request req) {
        RateBucket b = disabled ? null : bucketFor(req.def);
        if (b == null) {
            ready.accept(req);
            return;
        }
        synchronized (b) {
            if (b.waiting.isEmpty() && b.tryTake()) {
                ready.accept(req);
                return;
            }
            b.waiting.add(req);
            scheduleDrain(b);
        }
    }

    /** The rate limit in force for a task: the one set by remote control, else the task's own; nullable. */
    String rateLimit(TaskDefinition def) {
        String override = overrides.get(def.name());
        if (override != null) {
            return override.isEmpty() ? null : override;
        }
        String own = def.options().rateLimit();
        return own != null ? own : defaultLimit;
    }

    /** Sets a task's limit at run time (null or empty: disabled); requests waiting go through the new one at once. */
    void set(String task, String limit, java.util.Optional<TaskDefinition> def) {
        overrides.put(task, limit == null ? "" : limit);
        def.ifPresent(d -> {
            if (buckets.get(task) != null) {
                bucketFor(d); // replaces (or drops) the bucket and re-admits its waiting requests
            }
        });
    }

    /** The bucket for the task's rate limit in force, created or replaced when the limit changed; null: none. */
    private RateBucket bucketFor(TaskDefinition def) {
        String limit = rateLimit(def);
        RateLimit parsed;
        try {
            parsed = RateLimit.parse(limit);
        } catch (IllegalArgumentException e) {
            LOG.error("Task {}: ignoring its rate limit: {}", def.name(), e.getMessage());
            parsed = RateLimit.NONE;
        }
        if (parsed.unlimited()) {
            RateBucket old = buckets.remove(def.name());
            if (old != null) {
                flush(old);
            }
            return null;
        }
        double perSecond = parsed.perSecond();
        RateBucket[] replaced = new RateBucket[1];
        RateBucket b = buckets.compute(def.name(), (k, cur) -> {
            if (cur != null && cur.limit.equals(limit)) {
                return cur;
            }
            replaced[0] = cur;
            if (global.test(def.name())) {
                if (coordination != null) {
                    return new GlobalBucket(def.name(), limit, perSecond, coordination);
                }
                LOG.warn("Task {}: rate_limit_scope is 'global' but neither the broker nor the result backend offers "
                        + "coordination; its rate limit {} applies per worker", def.name(), limit);
            }
            return new RateBucket(limit, perSecond);
        });
        if (replaced[0] != null) {
            flush(replaced[0]);
        }
        return b;
    }

    /** Sends the requests waiting in a bucket that is no longer used through the current one. */
    private void flush(RateBucket old) {
        List<Request> moved;
        synchronized (old) {
            if (old.drain != null) {
                old.drain.cancel(false);
                old.drain = null;
            }
            moved = new ArrayList<>(old.waiting);
            old.waiting.clear();
        }
        moved.forEach(this::admit);
    }

    private void scheduleDrain(RateBucket b) { // holds b
        ScheduledExecutorService s = scheduler.get();
        if (b.drain == null && s != null && !s.isShutdown()) {
            b.drain = s.schedule(() -> drain(b), Math.max(1_000_000L, b.nanosUntilToken()), TimeUnit.NANOSECONDS);
        }
    }

    private void drain(RateBucket b) {
        synchronized (b) {
            b.drain = null;
            while (!b.waiting.isEmpty() && b.tryTake()) {
                ready.accept(b.waiting.poll());
            }
            if (!b.waiting.isEmpty()) {
                scheduleDrain(b);
            }
        }
    }

    /** Removes and returns the requests waiting for a token that match. */
    List<Request> removeWaiting(Predicate<Request> which) {
        List<Request> out = new ArrayList<>();
        for (RateBucket b : buckets.values()) {
            synchronized (b) {
                b.waiting.removeIf(r -> {
                    if (which.test(r)) {
                        out.add(r);
                        return true;
                    }
                    return false;
                });
            }
        }
        return out;
    }

    /** Requests waiting for a token now. */
    int waitingCount() {
        int n = 0;
        for (RateBucket b : buckets.values()) {
            synchronized (b) {
                n += b.waiting.size();
            }
        }
        return n;
    }

    /** At shutdown: cancels the drains and returns every waiting request. */
    List<Request> stop() {
        List<Request> out = removeWaiting(r -> true);
        for (RateBucket b : buckets.values()) {
            synchronized (b) {
                if (b.drain != null) {
                    b.drain.cancel(false);
                }
            }
        }
        return out;
    }
}
