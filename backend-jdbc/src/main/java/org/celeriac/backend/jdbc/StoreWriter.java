package org.celeriac.backend.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.celeriac.spi.backend.ResultBackendException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for {@code store()}: callers hand their encoded row to one writer thread, which writes
 * everything queued meanwhile (up to {@value #MAX_BATCH} rows) in one transaction with JDBC batches, and
 * wakes each caller once its row is committed. Under load this turns thousands of tiny transactions
 * (each a round trip, or several through an H2 AUTO_SERVER connection) into a few large ones.
 *
 * <p>Celery's rule holds per row: a stored SUCCESS is never overwritten. Within a batch, writes to the
 * same id are applied in order (the first SUCCESS sticks, otherwise the last wins); against the table,
 * {@code UPDATE ... WHERE status <> 'SUCCESS'} then {@code INSERT} for ids not present. When the batch
 * transaction fails (e.g. another process inserted the same id meanwhile), every row is retried alone
 * with the single-row algorithm, which handles the duplicate-key race. Thread-safe.
 */
final class StoreWriter implements AutoCloseable {
    static final int MAX_BATCH = 256;
    /** Rows per multi-row INSERT statement. */
    static final int INSERT_ROWS = 64;
    private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);

    private record Pending(TaskMetaRows.Row row, CompletableFuture<Void> done) {
    }

    private final Database db;
    private final Runnable onReadyStored;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    /**
     * @param onReadyStored called on the writer thread after a commit that stored a ready state
     */
    StoreWriter(Database db, Runnable onReadyStored) {
        this.db = db;
        this.onReadyStored = onReadyStored;
        this.thread = Thread.ofPlatform().daemon().name("celeriac-backend-jdbc-writer").unstarted(this::loop);
        this.thread.start();
    }

    /**
     * Stores one row and blocks until it is committed (or skipped because a SUCCESS is stored).
     * Interrupts do not abort the wait (the row may be in flight); the interrupt flag is kept.
     *
     * @throws ResultBackendException when the write fails or the backend is closed
     */
    void store(TaskMetaRows.Row row) {
        if (closed) {
            throw closedException(row.taskId());
        }
        Pending p = new Pending(row, new CompletableFuture<>());
        queue.add(p);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    p.done().get(1, TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    throw new ResultBackendException(cause.getMessage(), cause);
                } catch (TimeoutException e) {
                    if (!thread.isAlive() && queue.remove(p)) {
                        throw closedException(row.taskId());
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private ResultBackendException closedException(String taskId) {
        return new ResultBackendException("cannot store the result of task " + taskId
                + ": the JDBC result backend on " + db.display() + " is closed");
    }

    private void loop() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            Pending first;
            try {
                first = queue.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = null;
            }
            if (first == null) {
                if (closed) {
                    return;
                }
                continue;
            }
            batch.add(first);
            queue.drainTo(batch, MAX_BATCH - 1);
            try {
                write(batch);
            } catch (RuntimeException | Error e) {
                LOG.error("the result writer failed unexpectedly", e);
                batch.forEach(p -> p.done().completeExceptionally(e));
            }
            batch.clear();
        }
    }

    /** The rows of one id within a batch and the callers waiting for them. */
    private static final class Slot {
        TaskMetaRows.Row row;
        final List<Pending> waiters = new ArrayList<>(1);

        Slot(TaskMetaRows.Row row) {
            this.row = row;
        }
    }

    private void write(List<Pending> batch) {
        Instant now = Instant.now();
        // sorted ids: concurrent writers in other processes lock rows in the same order (no deadlocks)
        Map<String, Slot> slots = new TreeMap<>();
        boolean ready = false;
        for (Pending p : batch) {
            Slot slot = slots.get(p.row().taskId());
            if (slot == null) {
                slots.put(p.row().taskId(), slot = new Slot(p.row()));
            } else if (!slot.row.success()) {
                slot.row = p.row();
            }
            slot.waiters.add(p);
            ready |= p.row().ready();
        }
        List<TaskMetaRows.Row> rows = slots.values().stream().map(s -> s.row).toList();
        try {
            db.inTransaction("storing " + rows.size() + " task results", c -> {
                writeBatch(c, rows, now);
                return null;
            });
            slots.values().forEach(s -> s.waiters.forEach(p -> p.done().complete(null)));
        } catch (ResultBackendException batchFailure) {
            LOG.debug("batch of {} results failed ({}); storing them one by one", rows.size(), batchFailure.getMessage());
            for (Slot s : slots.values()) {
                try {
                    db.withConnection("storing the result of task " + s.row.taskId(), c -> {
                        storeOne(c, s.row, now);
                        return null;
                    });
                    s.waiters.forEach(p -> p.done().complete(null));
                } catch (ResultBackendException e) {
                    s.waiters.forEach(p -> p.done().completeExceptionally(e));
                }
            }
        }
        if (ready) {
            onReadyStored.run();
        }
    }

    /**
     * One batch in the caller's transaction, in a few round trips whatever its size: one {@code SELECT} of
     * the ids present, one multi-row {@code INSERT} per {@value #INSERT_ROWS} new ids, and a JDBC batch of
     * guarded {@code UPDATE}s for present ids that do not hold a live SUCCESS.
     */
    private static void writeBatch(Connection c, List<TaskMetaRows.Row> rows, Instant now) throws SQLException {
        Map<String, Boolean> present = presentIds(c, rows, now); // id -> holds a live SUCCESS
        List<TaskMetaRows.Row> inserts = new ArrayList<>();
        List<TaskMetaRows.Row> updates = new ArrayList<>();
        for (TaskMetaRows.Row r : rows) {
            Boolean success = present.get(r.taskId());
            if (success == null) {
                inserts.add(r);
            } else if (!success) {
                updates.add(r);
            }
        }
        for (int from = 0; from < inserts.size(); from += INSERT_ROWS) {
            List<TaskMetaRows.Row> chunk = inserts.subList(from, Math.min(inserts.size(), from + INSERT_ROWS));
            try (PreparedStatement ps = c.prepareStatement(TaskMetaRows.insertRows(chunk.size()))) {
                int p = 0;
                for (TaskMetaRows.Row r : chunk) {
                    p = TaskMetaRows.bindInsertAt(ps, r, p);
                }
                ps.executeUpdate();
            }
        }
        if (!updates.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(TaskMetaRows.UPDATE)) {
                for (TaskMetaRows.Row r : updates) {
                    TaskMetaRows.bindUpdate(ps, r, now);
                    ps.addBatch();
                }
                ps.executeBatch(); // the WHERE guard keeps a SUCCESS stored meanwhile by another process
            }
        }
    }

    private static Map<String, Boolean> presentIds(Connection c, List<TaskMetaRows.Row> rows, Instant now)
            throws SQLException {
        Map<String, Boolean> found = new java.util.HashMap<>();
        for (int from = 0; from < rows.size(); from += Sql.MAX_IN) {
            List<TaskMetaRows.Row> chunk = rows.subList(from, Math.min(rows.size(), from + Sql.MAX_IN));
            try (PreparedStatement ps = c.prepareStatement("SELECT task_id, status, expires_at FROM "
                    + TaskMetaRows.TABLE + " WHERE task_id IN (" + Sql.placeholders(chunk.size()) + ")")) {
                for (int i = 0; i < chunk.size(); i++) {
                    ps.setString(i + 1, chunk.get(i).taskId());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Instant expiresAt = TaskMetaRows.getInstant(rs, "expires_at");
                        boolean liveSuccess = "SUCCESS".equals(rs.getString("status"))
                                && (expiresAt == null || expiresAt.isAfter(now));
                        found.put(rs.getString("task_id"), liveSuccess);
                    }
                }
            }
        }
        return found;
    }

    /**
     * The single-row store in auto-commit mode: UPDATE unless SUCCESS; INSERT when nothing was updated;
     * on a duplicate key (another writer inserted first, or a SUCCESS is there) UPDATE once more, which
     * either applies or leaves the SUCCESS alone.
     */
    static void storeOne(Connection c, TaskMetaRows.Row row, Instant now) throws SQLException {
        if (update(c, row, now) == 1) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(TaskMetaRows.INSERT)) {
            TaskMetaRows.bindInsert(ps, row);
            ps.executeUpdate();
        } catch (SQLException e) {
            if (!Vendor.isDuplicateKey(e)) {
                throw e;
            }
            update(c, row, now);
        }
    }

    private static int update(Connection c, TaskMetaRows.Row row, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TaskMetaRows.UPDATE)) {
            TaskMetaRows.bindUpdate(ps, row, now);
            return ps.executeUpdate();
        }
    }

    /** Stops accepting rows, writes what is queued, and waits up to 10 s for the writer to finish. */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Pending p;
        while ((p = queue.poll()) != null) {
            p.done().completeExceptionally(closedException(p.row().taskId()));
        }
    }
}
