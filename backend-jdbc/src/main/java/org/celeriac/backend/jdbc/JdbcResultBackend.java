package org.celeriac.backend.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendCapabilities;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskMetaCodec;
import org.celeriac.spi.coordination.Coordination;

/**
 * A result backend in Celeriac's own SQL tables ({@code celeriac_taskmeta}, {@code celeriac_groupmeta},
 * {@code celeriac_chord}, {@code celeriac_backend_kv}) over plain JDBC and HikariCP. Stores go through a
 * group-commit writer ({@link StoreWriter}); waits share one polling thread ({@link ReadyPoller}).
 * Thread-safe; methods block for their round trips (store: until the row is committed), except
 * {@link #whenReady}.
 */
final class JdbcResultBackend implements ResultBackend {
    static final ResultBackendCapabilities CAPABILITIES =
            new ResultBackendCapabilities(false, false, true, false, true);
    private static final int CHORD_ATTEMPTS = 10;

    private final Database db;
    private final TaskMetaRows rows;
    private final Duration expires;
    private final StoreWriter writer;
    private final ReadyPoller poller;
    private final JdbcCoordination coordination;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** PostgreSQL only: LISTEN for ready states stored by other processes; null elsewhere. */
    private final PgResultListener listener;

    /**
     * @param expires {@code result_expires}; null or zero keeps results forever
     */
    JdbcResultBackend(Database db, TaskMetaRows rows, Duration expires) {
        this.db = db;
        this.rows = rows;
        this.expires = expires;
        this.poller = new ReadyPoller(db, rows);
        boolean postgres = db.vendor() == Vendor.POSTGRESQL;
        this.writer = new StoreWriter(db, postgres ? () -> {
            poller.nudge();
            notifyOthers();
        } : poller::nudge);
        this.coordination = new JdbcCoordination(db);
        this.listener = postgres ? new PgResultListener(db.target(), poller::nudge) : null;
    }

    @Override
    public ResultBackendCapabilities capabilities() {
        return CAPABILITIES;
    }

    /**
     * {@inheritDoc} Blocks until the row is committed; concurrent calls from many threads are written
     * together in one transaction.
     */
    @Override
    public void store(TaskMeta meta) {
        Objects.requireNonNull(meta, "meta");
        checkOpen();
        writer.store(rows.encode(meta, expires, Instant.now()));
    }

    @Override
    public Optional<TaskMeta> get(String taskId) {
        Objects.requireNonNull(taskId, "taskId");
        checkOpen();
        Instant now = Instant.now();
        return db.withConnection("reading the result of task " + taskId, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + TaskMetaRows.COLUMNS + " FROM "
                    + TaskMetaRows.TABLE + " WHERE task_id = ? AND (expires_at IS NULL OR expires_at > ?)")) {
                ps.setString(1, taskId);
                TaskMetaRows.setInstant(ps, 2, now);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rows.decode(rs)) : Optional.<TaskMeta>empty();
                }
            }
        });
    }

    /**
     * {@inheritDoc} Polled: one shared thread per backend reads all waited-for ids in one query per round,
     * starting a few milliseconds apart and backing off to {@code pollInterval} while nothing completes.
     */
    @Override
    public CompletableFuture<TaskMeta> whenReady(String taskId, Duration pollInterval) {
        Objects.requireNonNull(taskId, "taskId");
        return poller.await(taskId, pollInterval);
    }

    @Override
    public void forget(String taskId) {
        Objects.requireNonNull(taskId, "taskId");
        checkOpen();
        delete("forgetting task " + taskId, "DELETE FROM " + TaskMetaRows.TABLE + " WHERE task_id = ?", taskId);
    }

    @Override
    public void saveGroup(GroupMeta group) {
        Objects.requireNonNull(group, "group");
        checkOpen();
        byte[] members;
        try {
            members = rows.serializer().encode(group.taskIds());
        } catch (SerializationException e) {
            throw new ResultBackendException("cannot encode group " + group.groupId() + ": " + e.getMessage(), e);
        }
        Instant done = (group.dateDone() == null ? Instant.now() : group.dateDone()).truncatedTo(ChronoUnit.MICROS);
        Instant expiresAt = TaskMetaRows.expiresAt(done, expires);
        String contentType = rows.serializer().contentType();
        db.withConnection("saving group " + group.groupId(), c -> {
            Sql.Binder values = ps -> {
                ps.setBytes(1, members);
                ps.setString(2, contentType);
                TaskMetaRows.setInstant(ps, 3, done);
                TaskMetaRows.setInstant(ps, 4, expiresAt);
                ps.setString(5, group.groupId());
            };
            Sql.upsert(c, "UPDATE celeriac_groupmeta SET result = ?, content_type = ?, date_done = ?, expires_at = ? "
                            + "WHERE group_id = ?", values,
                    "INSERT INTO celeriac_groupmeta (result, content_type, date_done, expires_at, group_id) "
                            + "VALUES (?, ?, ?, ?, ?)", values);
            return null;
        });
    }

    @Override
    public Optional<GroupMeta> restoreGroup(String groupId) {
        Objects.requireNonNull(groupId, "groupId");
        checkOpen();
        Instant now = Instant.now();
        return db.withConnection("restoring group " + groupId, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT result, content_type, date_done FROM celeriac_groupmeta"
                    + " WHERE group_id = ? AND (expires_at IS NULL OR expires_at > ?)")) {
                ps.setString(1, groupId);
                TaskMetaRows.setInstant(ps, 2, now);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<GroupMeta>empty();
                    }
                    return Optional.of(decodeGroup(groupId, rs.getBytes("result"), rs.getString("content_type"),
                            TaskMetaRows.getInstant(rs, "date_done")));
                }
            }
        });
    }

    @SuppressWarnings("unchecked")
    private GroupMeta decodeGroup(String groupId, byte[] data, String contentType, Instant dateDone) {
        try {
            Object value = data == null ? List.of() : rows.serializerFor(contentType).decode(data);
            if (value instanceof Map<?, ?> m) { // Celery's {"result": [[gid, null], [...]]} form
                GroupMeta g = TaskMetaCodec.groupFromMap(groupId, (Map<String, Object>) m);
                return new GroupMeta(groupId, g.taskIds(), dateDone);
            }
            if (!(value instanceof List<?> list)) {
                throw new IllegalArgumentException("expected a list of task ids, found "
                        + (value == null ? "null" : value.getClass().getSimpleName()));
            }
            List<String> ids = new ArrayList<>(list.size());
            for (Object o : list) {
                ids.add(String.valueOf(o));
            }
            return new GroupMeta(groupId, ids, dateDone);
        } catch (SerializationException | IllegalArgumentException e) {
            throw new ResultBackendException("cannot decode saved group " + groupId + " (content type " + contentType
                    + "): " + e.getMessage(), e);
        }
    }

    @Override
    public void forgetGroup(String groupId) {
        Objects.requireNonNull(groupId, "groupId");
        checkOpen();
        delete("forgetting group " + groupId, "DELETE FROM celeriac_groupmeta WHERE group_id = ?", groupId);
    }

    /**
     * {@inheritDoc} One transaction: {@code UPDATE counter = counter + delta}, or {@code INSERT} when the row
     * is missing (retried as an update when another process inserted it first), then {@code SELECT}. The
     * row lock taken by the update serialises concurrent increments. The counter expires with
     * {@code result_expires} after its last increment.
     */
    @Override
    public long incrementChordCounter(String groupId, long delta) {
        Objects.requireNonNull(groupId, "groupId");
        checkOpen();
        for (int attempt = 1; ; attempt++) {
            Instant expiresAt = TaskMetaRows.expiresAt(Instant.now(), expires);
            try {
                return db.inTransaction("incrementing the chord counter of group " + groupId, c -> {
                    int updated;
                    try (PreparedStatement ps = c.prepareStatement(
                            "UPDATE celeriac_chord SET counter = counter + ?, expires_at = ? WHERE group_id = ?")) {
                        ps.setLong(1, delta);
                        TaskMetaRows.setInstant(ps, 2, expiresAt);
                        ps.setString(3, groupId);
                        updated = ps.executeUpdate();
                    }
                    if (updated == 0) {
                        try (PreparedStatement ps = c.prepareStatement(
                                "INSERT INTO celeriac_chord (group_id, counter, expires_at) VALUES (?, ?, ?)")) {
                            ps.setString(1, groupId);
                            ps.setLong(2, delta);
                            TaskMetaRows.setInstant(ps, 3, expiresAt);
                            ps.executeUpdate();
                        }
                        return delta;
                    }
                    try (PreparedStatement ps = c.prepareStatement(
                            "SELECT counter FROM celeriac_chord WHERE group_id = ?")) {
                        ps.setString(1, groupId);
                        try (ResultSet rs = ps.executeQuery()) {
                            if (!rs.next()) {
                                throw new SQLException("chord counter row of group " + groupId + " vanished");
                            }
                            return rs.getLong(1);
                        }
                    }
                });
            } catch (ResultBackendException e) {
                if (attempt < CHORD_ATTEMPTS && (Sql.isDuplicateKey(e) || Vendor.isTransient(e))) {
                    continue; // another process inserted the row first (or a lock timed out): update it now
                }
                throw e;
            }
        }
    }

    /**
     * {@inheritDoc} Deletes the task results, groups, chord counters and coordination keys whose
     * {@code expires_at} has passed; returns the number of task results and groups removed.
     */
    @Override
    public long cleanup() {
        checkOpen();
        Instant now = Instant.now();
        return db.withConnection("removing expired results", c -> {
            long removed = 0;
            for (String table : List.of(TaskMetaRows.TABLE, "celeriac_groupmeta", "celeriac_chord", "celeriac_backend_kv")) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE expires_at <= ?")) {
                    TaskMetaRows.setInstant(ps, 1, now);
                    int n = ps.executeUpdate();
                    if (table.equals(TaskMetaRows.TABLE) || table.equals("celeriac_groupmeta")) {
                        removed += n;
                    }
                }
            }
            return removed;
        });
    }

    @Override
    public Optional<Coordination> coordination() {
        return Optional.of(coordination);
    }

    private void delete(String what, String sql, String id) {
        db.withConnection(what, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, id);
                return ps.executeUpdate();
            }
        });
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new ResultBackendException("the JDBC result backend on " + db.display() + " is closed");
        }
    }

    /** How many task ids {@link #whenReady} is polling for; for tests. */
    int waitingIds() {
        return poller.waitingIds();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            writer.close();
            if (listener != null) {
                listener.close();
            }
        } finally {
            try {
                poller.close();
            } finally {
                db.close();
            }
        }
    }

    /**
     * PostgreSQL: tells the result listeners of every process that a ready state was committed (on the
     * writer thread, after the commit; one round trip per batch). A failure only costs their latency.
     */
    private void notifyOthers() {
        try {
            db.withConnection("notifying result listeners", c -> {
                try (var ps = c.prepareStatement("select pg_notify('" + PgResultListener.CHANNEL + "', '')")) {
                    ps.executeQuery().close();
                }
                return null;
            });
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(JdbcResultBackend.class).debug("NOTIFY failed: {}", e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "JdbcResultBackend[" + db.display() + "]";
    }
}
