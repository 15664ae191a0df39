package org.celeriac.core.worker;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskRequestInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the worker stores task states: at once while the result backend answers; when a store fails because the
 * backend cannot be reached, the state waits in a buffer, in order, and a retry thread stores it again with
 * exponential back-off and full jitter (Celery's {@code BaseBackend._store_result} retry loop,
 * {@code celery/backends/base.py}, with its settings {@code result_backend_always_retry},
 * {@code result_backend_max_retries}, {@code result_backend_base_sleep_between_retries_ms},
 * {@code result_backend_max_sleep_between_retries_ms}). While states wait, later ones queue behind them so a task's
 * states arrive in order. What must happen after a state is stored (acking an {@code acks_late} message, joining a
 * chord) runs then, on the thread that stored it.
 *
 * <p>The buffer holds {@code worker_result_buffer_size} states; {@link #awaitRoom()} blocks the worker's pool
 * while it is full, so no new task starts, prefetched messages stay unacknowledged and the transport's prefetch
 * window stops the flow (back-pressure); states of tasks already running still join the buffer, nothing is
 * dropped. Celeriac retries by default ({@code result_backend_always_retry} defaults to true here, false in
 * Celery, whose worker fails the task instead); with it false a failed store is logged at ERROR and the state is
 * lost, as before. A failure that retrying cannot fix (a result the serializer cannot encode, a closed backend) is
 * logged at ERROR and not retried. Thread-safe.
 */
final class ResultStore {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.worker");

    /** What to do once a state is stored ({@code stored} true) or given up on ({@code stored} false). */
    interface AfterStore {
        void done(boolean stored);
    }

    private record Pending(TaskMeta meta, TaskRequestInfo request, AfterStore after) {
    }

    private final ResultBackend backend; // nullable
    private final boolean alwaysRetry;
    private final int maxRetries;
    private final long baseSleepMs;
    private final long maxSleepMs;
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Pending> buffer = new ArrayDeque<>(); // guarded by lock
    private volatile int size; // buffer.size(), readable without the lock (the store's fast path)
    private Thread retrier; // guarded by lock
    private volatile boolean stopped;
    private boolean fullLogged; // guarded by lock; reset once the buffer is empty

    /**
     * @param backend null when there is none (stores do nothing, {@code after} runs at once)
     * @throws IllegalArgumentException when a setting is out of range
     */
    ResultStore(ResultBackend backend, Settings s) {
        this.backend = backend;
        this.alwaysRetry = s.bool("result_backend_always_retry", true);
        this.maxRetries = s.integer("result_backend_max_retries", Integer.MAX_VALUE);
        this.baseSleepMs = s.integer("result_backend_base_sleep_between_retries_ms", 10);
        this.maxSleepMs = s.integer("result_backend_max_sleep_between_retries_ms", 10_000);
        this.capacity = s.integer("worker_result_buffer_size", 1_000);
        if (maxRetries < 0 || baseSleepMs < 0 || maxSleepMs < 0) {
            throw new IllegalArgumentException("result_backend_max_retries, result_backend_base_sleep_between_retries_ms "
                    + "and result_backend_max_sleep_between_retries_ms must be >= 0");
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("worker_result_buffer_size must be >= 1, got " + capacity);
        }
    }

    /**
     * Stores a state now, or buffers it when the backend cannot be reached or states are waiting already. Blocks
     * for the store's round trip when the buffer is empty; never throws.
     */
    void store(TaskMeta meta, TaskRequestInfo request, AfterStore after) {
        if (backend == null) {
            runAfter(after, true, meta);
            return;
        }
        if (!alwaysRetry || pending() == 0) {
            try {
                backend.store(meta, request);
                runAfter(after, true, meta);
                return;
            } catch (RuntimeException e) {
                if (!alwaysRetry || !retryable(e)) {
                    LOG.error("Cannot store state {} of task {} in the result backend: {}", meta.state(), meta.taskId(),
                            e.toString(), e);
                    runAfter(after, false, meta);
                    return;
                }
                LOG.warn("Cannot store state {} of task {} in the result backend: {}; it waits in the worker's result "
                        + "buffer and is retried with back-off", meta.state(), meta.taskId(), e.toString());
            }
        }
        enqueue(new Pending(meta, request, after));
    }

    private void enqueue(Pending p) {
        lock.lock();
        try {
            buffer.addLast(p);
            size = buffer.size();
            if (buffer.size() >= capacity && !fullLogged) {
                fullLogged = true;
                LOG.warn("The result buffer is full ({} states wait for the result backend, worker_result_buffer_size); "
                        + "the worker takes no new task until it drains", capacity);
            }
            if (retrier == null) {
                retrier = Thread.ofPlatform().daemon(true).name("celeriac-result-retry").start(this::retryLoop);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void retryLoop() {
        int attempt = 0;
        while (true) {
            Pending head;
            lock.lock();
            try {
                head = buffer.peekFirst();
                if (head == null || stopped) {
                    if (head == null) {
                        fullLogged = false;
                    }
                    retrier = null;
                    changed.signalAll();
                    return;
                }
            } finally {
                lock.unlock();
            }
            boolean done;
            boolean stored = false;
            try {
                backend.store(head.meta, head.request);
                stored = true;
                done = true;
                if (attempt > 0) {
                    LOG.info("The result backend answers again: stored state {} of task {} after {} retr{}",
                            head.meta.state(), head.meta.taskId(), attempt, attempt == 1 ? "y" : "ies");
                }
                attempt = 0;
            } catch (RuntimeException e) {
                if (stopped) {
                    LOG.debug("store of task {} failed after the shutdown flush: {}", head.meta.taskId(), e.toString());
                    done = false; // the loop ends at its top
                } else if (!retryable(e)) {
                    LOG.error("Cannot store state {} of task {} in the result backend: {}", head.meta.state(),
                            head.meta.taskId(), e.toString(), e);
                    done = true;
                } else if (attempt >= maxRetries) {
                    LOG.error("Giving up storing state {} of task {} after {} retries (result_backend_max_retries): {}",
                            head.meta.state(), head.meta.taskId(), attempt, e.toString());
                    done = true;
                } else {
                    done = false;
                    long sleep = backoffMillis(attempt++);
                    LOG.debug("store of task {} failed ({}), retry {} in {} ms", head.meta.taskId(), e.toString(),
                            attempt, sleep);
                    if (!sleep(sleep) || stopped) {
                        lock.lock();
                        try {
                            retrier = null;
                            changed.signalAll();
                        } finally {
                            lock.unlock();
                        }
                        return; // stopped
                    }
                }
            }
            if (done) {
                attempt = 0;
                lock.lock();
                try {
                    buffer.pollFirst();
                    size = buffer.size();
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                if (!stopped) { // after the shutdown flush the message went back already
                    runAfter(head.after, stored, head.meta);
                }
            }
        }
    }

    /** Celery's {@code get_exponential_backoff_interval(base, retries, max, full_jitter=True)}, in ms. */
    long backoffMillis(int retries) {
        double countdown = Math.min(maxSleepMs, baseSleepMs * Math.pow(2, Math.min(retries, 62)));
        return Math.max(1, Math.round(ThreadLocalRandom.current().nextDouble() * countdown));
    }

    private boolean sleep(long ms) {
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(ms);
            while (nanos > 0 && !stopped) {
                nanos = changed.awaitNanos(nanos);
            }
            return !stopped;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    private static void runAfter(AfterStore after, boolean stored, TaskMeta meta) {
        if (after == null) {
            return;
        }
        try {
            after.done(stored);
        } catch (RuntimeException e) {
            LOG.error("After storing state {} of task {}: {}", meta.state(), meta.taskId(), e.toString(), e);
        }
    }

    /**
     * Whether retrying may help: the failure (or a cause) is an I/O error, a timeout, or a driver's connection,
     * socket or timeout exception (lettuce's {@code RedisConnectionException}, the MongoDB driver's
     * {@code MongoSocketException}/{@code MongoTimeoutException}, JDBC's transient and connection exceptions) —
     * Celery's {@code exception_safe_to_retry}, without a per-backend hook.
     */
    static boolean retryable(Throwable e) {
        Set<Throwable> seen = new LinkedHashSet<>();
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof java.io.IOException || t instanceof TimeoutException
                    || t instanceof java.sql.SQLTransientException || t instanceof java.sql.SQLRecoverableException
                    || t instanceof java.sql.SQLNonTransientConnectionException) {
                return true;
            }
            String name = t.getClass().getSimpleName().toLowerCase(Locale.ROOT);
            if (name.contains("connect") || name.contains("timeout") || name.contains("socket")
                    || name.contains("notprimary") || name.contains("unavailable")) {
                return true;
            }
            String msg = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (msg.contains("connection refused") || msg.contains("connection reset")
                    || msg.contains("connection closed") || msg.contains("not connected")) {
                return true;
            }
        }
        return false;
    }

    /** States waiting in the buffer (including the one being retried). */
    int pending() {
        return size;
    }

    /** The buffer's size ({@code worker_result_buffer_size}). */
    int capacity() {
        return capacity;
    }

    /** True while the buffer is full (the worker takes no new task). */
    boolean full() {
        return pending() >= capacity;
    }

    /**
     * Blocks while the buffer is full (the pool's back-pressure) and {@code keepWaiting} says so (checked every
     * 100 ms; false once the worker stops).
     *
     * @throws InterruptedException when interrupted (a cold shutdown)
     */
    void awaitRoom(java.util.function.BooleanSupplier keepWaiting) throws InterruptedException {
        if (!full()) {
            return;
        }
        lock.lock();
        try {
            while (buffer.size() >= capacity && !stopped && keepWaiting.getAsBoolean()) {
                changed.await(100, TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * At shutdown: waits up to {@code timeout} for the buffer to drain, then stops retrying.
     *
     * @return the task ids whose states are still waiting (lost unless their message is redelivered), in order
     */
    List<String> flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!buffer.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
            stopped = true;
            changed.signalAll();
            Set<String> ids = new LinkedHashSet<>();
            for (Pending p : buffer) {
                ids.add(p.meta.taskId());
            }
            return new ArrayList<>(ids);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
            changed.signalAll();
            List<String> ids = new ArrayList<>();
            buffer.forEach(p -> ids.add(p.meta.taskId()));
            return ids;
        } finally {
            lock.unlock();
        }
    }
}
