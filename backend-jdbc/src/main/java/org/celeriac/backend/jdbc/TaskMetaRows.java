package org.celeriac.backend.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskMetaCodec;
import org.celeriac.spi.serializer.Serializer;

/**
 * Maps {@link TaskMeta} to a {@code celeriac_taskmeta} row and back. The value columns ({@code result},
 * {@code children}, {@code args}, {@code kwargs}) hold the result serializer's bytes (exceptions as
 * {@link org.celeriac.spi.backend.ExceptionInfo} maps, as the meta carries them); {@code content_type}
 * names that serializer so rows written with another {@code result_serializer} stay readable. Reading
 * goes through {@link TaskMetaCodec#fromMap} so that every backend decodes alike. Thread-safe.
 */
final class TaskMetaRows {
    static final String TABLE = "celeriac_taskmeta";
    /** Every column; {@code task_id} first. */
    static final String COLUMNS = "task_id, status, result, traceback, children, date_done, name, args, kwargs, "
            + "worker, retries, queue, group_id, parent_id, content_type, expires_at";
    /** The ready-state filter of SQL queries (Celery {@code READY_STATES}). */
    static final String READY_STATUSES = "('SUCCESS', 'FAILURE', 'REVOKED')";

    /** UPDATE bound by {@link #bindUpdate}: 15 values, task_id, "now"; never overwrites a live SUCCESS. */
    static final String UPDATE = "UPDATE " + TABLE + " SET status = ?, result = ?, traceback = ?, children = ?, "
            + "date_done = ?, name = ?, args = ?, kwargs = ?, worker = ?, retries = ?, queue = ?, group_id = ?, "
            + "parent_id = ?, content_type = ?, expires_at = ? "
            + "WHERE task_id = ? AND (status <> 'SUCCESS' OR expires_at <= ?)";
    /** INSERT bound by {@link #bindInsert}: the same 15 values, then task_id. */
    static final String INSERT = "INSERT INTO " + TABLE + " (status, result, traceback, children, date_done, name, "
            + "args, kwargs, worker, retries, queue, group_id, parent_id, content_type, expires_at, task_id) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    /** One encoded row. Immutable (the arrays are not copied and never modified). */
    record Row(String taskId, String status, byte[] result, String traceback, byte[] children, Instant dateDone,
               String name, byte[] args, byte[] kwargs, String worker, Integer retries, String queue,
               String groupId, String parentId, String contentType, Instant expiresAt) {
        boolean success() {
            return status.equals("SUCCESS");
        }

        boolean ready() {
            return status.equals("SUCCESS") || status.equals("FAILURE") || status.equals("REVOKED");
        }
    }

    private final Serializer serializer;
    private final ProviderContext context;

    TaskMetaRows(Serializer serializer, ProviderContext context) {
        this.serializer = serializer;
        this.context = context;
    }

    /**
     * Encodes {@code meta}; CPU only.
     *
     * @param expires {@code result_expires}; null or zero for never
     * @throws ResultBackendException when a value cannot be encoded
     */
    Row encode(TaskMeta meta, Duration expires, Instant now) {
        try {
            Instant done = meta.dateDone() == null ? null : meta.dateDone().truncatedTo(ChronoUnit.MICROS);
            TaskMeta.Extended x = meta.extended();
            return new Row(meta.taskId(), meta.state().name(),
                    meta.result() == null ? null : serializer.encode(meta.result()),
                    meta.traceback(),
                    meta.children().isEmpty() ? null : serializer.encode(meta.children()),
                    done,
                    x == null ? null : x.name(),
                    x == null || x.args() == null ? null : serializer.encode(x.args()),
                    x == null || x.kwargs() == null ? null : serializer.encode(x.kwargs()),
                    x == null ? null : x.worker(),
                    x == null ? null : x.retries(),
                    x == null ? null : x.queue(),
                    meta.groupId(), meta.parentId(), serializer.contentType(),
                    expiresAt(done == null ? now : done, expires));
        } catch (SerializationException e) {
            throw new ResultBackendException("cannot store the result of task " + meta.taskId() + " with serializer "
                    + serializer.name() + ": " + e.getMessage(), e);
        }
    }

    /** {@code from + expires}, or null when {@code expires} is null or not positive (never expires). */
    static Instant expiresAt(Instant from, Duration expires) {
        return expires == null || expires.isZero() || expires.isNegative() ? null
                : from.plus(expires).truncatedTo(ChronoUnit.MICROS);
    }

    /** A multi-row INSERT of {@code n} rows (standard SQL, one round trip), bound with {@link #bindInsertAt}. */
    static String insertRows(int n) {
        StringBuilder sb = new StringBuilder(INSERT.substring(0, INSERT.indexOf("VALUES") + 7));
        String one = INSERT.substring(INSERT.indexOf("VALUES") + 7);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ", ").append(one);
        }
        return sb.toString();
    }

    /**
     * Binds row {@code r} of a multi-row INSERT after the first {@code offset} parameters.
     *
     * @return the offset for the next row
     */
    static int bindInsertAt(PreparedStatement ps, Row r, int offset) throws SQLException {
        ps.setString(offset + 1, r.status());
        ps.setBytes(offset + 2, r.result());
        ps.setString(offset + 3, r.traceback());
        ps.setBytes(offset + 4, r.children());
        setInstant(ps, offset + 5, r.dateDone());
        ps.setString(offset + 6, r.name());
        ps.setBytes(offset + 7, r.args());
        ps.setBytes(offset + 8, r.kwargs());
        ps.setString(offset + 9, r.worker());
        if (r.retries() == null) {
            ps.setNull(offset + 10, Types.INTEGER);
        } else {
            ps.setInt(offset + 10, r.retries());
        }
        ps.setString(offset + 11, r.queue());
        ps.setString(offset + 12, r.groupId());
        ps.setString(offset + 13, r.parentId());
        ps.setString(offset + 14, r.contentType());
        setInstant(ps, offset + 15, r.expiresAt());
        ps.setString(offset + 16, r.taskId());
        return offset + 16;
    }

    /** Binds an UPDATE of {@code r} at time {@code now}: the INSERT's 16 parameters (task_id last), then now. */
    static void bindUpdate(PreparedStatement ps, Row r, Instant now) throws SQLException {
        bindInsertAt(ps, r, 0);
        setInstant(ps, 17, now);
    }

    /** Binds an INSERT of {@code r}. */
    static void bindInsert(PreparedStatement ps, Row r) throws SQLException {
        bindInsertAt(ps, r, 0);
    }

    /** A UTC date-time column: naive {@code TIMESTAMP} holding UTC (portable across vendors). */
    static void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.TIMESTAMP);
        } else {
            ps.setObject(index, LocalDateTime.ofInstant(value, ZoneOffset.UTC));
        }
    }

    static Instant getInstant(ResultSet rs, String column) throws SQLException {
        LocalDateTime t = rs.getObject(column, LocalDateTime.class);
        return t == null ? null : t.toInstant(ZoneOffset.UTC);
    }

    /**
     * Decodes the current row of a {@code SELECT COLUMNS}.
     *
     * @throws ResultBackendException when a value cannot be decoded
     */
    @SuppressWarnings("unchecked")
    TaskMeta decode(ResultSet rs) throws SQLException {
        String taskId = rs.getString("task_id");
        String contentType = rs.getString("content_type");
        try {
            Serializer s = serializerFor(contentType);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", rs.getString("status"));
            m.put("result", decode(s, rs.getBytes("result")));
            m.put("traceback", rs.getString("traceback"));
            Object children = decode(s, rs.getBytes("children"));
            m.put("children", children);
            m.put("date_done", getInstant(rs, "date_done"));
            putIfNotNull(m, "group_id", rs.getString("group_id"));
            putIfNotNull(m, "parent_id", rs.getString("parent_id"));
            String name = rs.getString("name");
            Object args = decode(s, rs.getBytes("args"));
            Object kwargs = decode(s, rs.getBytes("kwargs"));
            String worker = rs.getString("worker");
            int retries = rs.getInt("retries");
            Integer retriesOrNull = rs.wasNull() ? null : retries;
            String queue = rs.getString("queue");
            if (name != null || args != null || kwargs != null || worker != null || retriesOrNull != null || queue != null) {
                m.put("name", name);
                m.put("args", args);
                m.put("kwargs", kwargs);
                m.put("worker", worker);
                m.put("retries", retriesOrNull);
                m.put("queue", queue);
            }
            m.put("task_id", taskId);
            return TaskMetaCodec.fromMap(taskId, m);
        } catch (SerializationException | IllegalArgumentException e) {
            throw new ResultBackendException("cannot decode the stored result of task " + taskId + " (content type "
                    + contentType + "): " + e.getMessage(), e);
        }
    }

    private static void putIfNotNull(Map<String, Object> m, String key, Object value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    private static Object decode(Serializer s, byte[] data) {
        return data == null ? null : s.decode(data);
    }

    /**
     * The serializer of a stored content type: the result serializer, or another one on the class path.
     *
     * @throws SerializationException when none serves it
     */
    Serializer serializerFor(String contentType) {
        if (contentType == null || contentType.equals(serializer.contentType())) {
            return serializer;
        }
        return context.serializer(contentType);
    }

    Serializer serializer() {
        return serializer;
    }
}
