package org.celeriac.backend.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread per backend that waits for results: each round reads every waited-for id that is
 * ready in one {@code SELECT ... WHERE task_id IN (...)} per {@value Sql#MAX_IN} ids, and completes
 * the futures of those found. The interval adapts: {@value #MIN_INTERVAL_MS} ms after a new wait, a
 * completion or a local store of a ready state, then growing ×1.5 per empty round up to the smallest
 * {@code pollInterval} asked for. Cancelled futures leave the set at once. Thread-safe.
 *
 * <p>Celery's database backend polls once per waiting {@code AsyncResult.get()} (every
 * {@code interval}, default 0.5 s); this shares one query between all of them.
 */
final class ReadyPoller implements AutoCloseable {
    static final long MIN_INTERVAL_MS = 2;
    private static final long MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(MIN_INTERVAL_MS);
    private static final Duration DEFAULT_INTERVAL = Duration.ofMillis(500);
    private static final Logger LOG = LoggerFactory.getLogger(ReadyPoller.class);
    /** IN-list sizes: the ids are padded up to one of these, so few distinct statements are prepared. */
    private static final int[] BUCKETS = {1, 4, 16, 64, 256, Sql.MAX_IN};

    private record Waiter(CompletableFuture<TaskMeta> future, long intervalNanos) {
    }

    private final Database db;
    private final TaskMetaRows rows;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Map<String, List<Waiter>> waiters = new HashMap<>(); // guarded by lock
    private boolean nudged; // guarded by lock
    private boolean closed; // guarded by lock
    private final Thread thread;
    private long lastFailureLog;

    ReadyPoller(Database db, TaskMetaRows rows) {
        this.db = db;
        this.rows = rows;
        this.thread = Thread.ofPlatform().daemon().name("celeriac-backend-jdbc-poller").unstarted(this::loop);
        this.thread.start();
    }

    /** Registers a wait; never blocks on I/O. */
    CompletableFuture<TaskMeta> await(String taskId, Duration pollInterval) {
        Duration interval = pollInterval == null ? DEFAULT_INTERVAL : pollInterval;
        long nanos = Math.max(MIN_NANOS, interval.toNanos());
        CompletableFuture<TaskMeta> future = new CompletableFuture<>();
        Waiter waiter = new Waiter(future, nanos);
        lock.lock();
        try {
            if (closed) {
                future.completeExceptionally(new ResultBackendException("cannot wait for task " + taskId
                        + ": the JDBC result backend on " + db.display() + " is closed"));
                return future;
            }
            waiters.computeIfAbsent(taskId, k -> new ArrayList<>(1)).add(waiter);
            nudged = true;
            wake.signal();
        } finally {
            lock.unlock();
        }
        // cancelled (or completed by someone else): leave the set at once
        future.whenComplete((meta, error) -> remove(taskId, waiter));
        return future;
    }

    private void remove(String taskId, Waiter waiter) {
        lock.lock();
        try {
            List<Waiter> list = waiters.get(taskId);
            if (list != null && list.remove(waiter) && list.isEmpty()) {
                waiters.remove(taskId);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Polls soon (a ready state was stored by this process). Never blocks on I/O. */
    void nudge() {
        lock.lock();
        try {
            if (!waiters.isEmpty()) {
                nudged = true;
                wake.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** How many ids are being waited for (for tests and diagnostics). */
    int waitingIds() {
        lock.lock();
        try {
            return waiters.size();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        long interval = MIN_NANOS;
        long lastPoll = System.nanoTime() - MIN_NANOS;
        while (true) {
            List<String> ids;
            long cap = Long.MAX_VALUE;
            boolean fresh;
            lock.lock();
            try {
                while (!closed && waiters.isEmpty()) {
                    wake.awaitUninterruptibly();
                    interval = MIN_NANOS;
                }
                long deadline = lastPoll + (nudged ? MIN_NANOS : interval);
                long left;
                while (!closed && (left = deadline - System.nanoTime()) > 0) {
                    try {
                        wake.awaitNanos(left);
                    } catch (InterruptedException e) {
                        // nobody interrupts this thread; the loop re-checks closed
                    }
                    if (nudged) {
                        deadline = Math.min(deadline, lastPoll + MIN_NANOS);
                    }
                }
                if (closed) {
                    return;
                }
                fresh = nudged;
                nudged = false;
                ids = new ArrayList<>(waiters.keySet());
                for (List<Waiter> list : waiters.values()) {
                    for (Waiter w : list) {
                        cap = Math.min(cap, w.intervalNanos());
                    }
                }
            } finally {
                lock.unlock();
            }
            if (ids.isEmpty()) {
                continue;
            }
            lastPoll = System.nanoTime();
            int completed;
            try {
                completed = poll(ids);
            } catch (ResultBackendException e) {
                logFailure(e);
                interval = cap;
                continue;
            }
            interval = completed > 0 || fresh ? MIN_NANOS : Math.min(cap, Math.max(MIN_NANOS, interval * 3 / 2));
        }
    }

    private void logFailure(ResultBackendException e) {
        long now = System.nanoTime();
        if (now - lastFailureLog > TimeUnit.SECONDS.toNanos(10)) {
            lastFailureLog = now;
            LOG.warn("polling for task results failed; retrying: {}", e.getMessage());
        }
    }

    /** One round; returns how many ids were completed. */
    private int poll(List<String> ids) {
        Map<String, Object> found = new HashMap<>(); // TaskMeta or ResultBackendException
        Instant now = Instant.now();
        for (int from = 0; from < ids.size(); from += Sql.MAX_IN) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + Sql.MAX_IN));
            int n = bucket(chunk.size());
            String sql = "SELECT " + TaskMetaRows.COLUMNS + " FROM " + TaskMetaRows.TABLE + " WHERE task_id IN ("
                    + Sql.placeholders(n) + ") AND status IN " + TaskMetaRows.READY_STATUSES
                    + " AND (expires_at IS NULL OR expires_at > ?)";
            db.withConnection("polling for " + chunk.size() + " task results", c -> {
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    for (int i = 0; i < n; i++) {
                        ps.setString(i + 1, chunk.get(Math.min(i, chunk.size() - 1)));
                    }
                    TaskMetaRows.setInstant(ps, n + 1, now);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            String id = rs.getString("task_id");
                            try {
                                found.put(id, rows.decode(rs));
                            } catch (ResultBackendException e) {
                                found.put(id, e);
                            }
                        }
                    }
                }
                return null;
            });
        }
        if (found.isEmpty()) {
            return 0;
        }
        List<Runnable> completions = new ArrayList<>();
        lock.lock();
        try {
            for (Map.Entry<String, Object> e : found.entrySet()) {
                List<Waiter> list = waiters.remove(e.getKey());
                if (list == null) {
                    continue;
                }
                for (Waiter w : list) {
                    completions.add(e.getValue() instanceof TaskMeta meta
                            ? () -> w.future().complete(meta)
                            : () -> w.future().completeExceptionally((ResultBackendException) e.getValue()));
                }
            }
        } finally {
            lock.unlock();
        }
        // outside the lock: dependent stages run here (callers should use *Async stages for heavy work)
        completions.forEach(Runnable::run);
        return found.size();
    }

    private static int bucket(int n) {
        for (int b : BUCKETS) {
            if (n <= b) {
                return b;
            }
        }
        return Sql.MAX_IN;
    }

    /** Stops polling; pending futures complete exceptionally. Idempotent. */
    @Override
    public void close() {
        List<Waiter> pending = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            waiters.values().forEach(pending::addAll);
            waiters.clear();
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        // no Thread.interrupt(): an interrupt inside H2's file I/O closes the database file channel
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ResultBackendException closedError = new ResultBackendException(
                "the JDBC result backend on " + db.display() + " was closed while waiting for a result");
        pending.forEach(w -> w.future().completeExceptionally(closedError));
    }
}
