package org.celeriac.spi.backend;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.celeriac.api.TaskState;

/**
 * The one encoding of Celery's result meta as a serializer-neutral map, shared by every backend
 * ({@code celery/backends/base.py _get_result_meta}, {@code celery/result.py} result tuples).
 * Stateless and thread-safe.
 *
 * <p>Task meta: {@code {"status", "result", "traceback", "children", "date_done", ["group_id"],
 * ["parent_id"], [name, args, kwargs, worker, retries, queue], "task_id"}} in that order;
 * {@code date_done} is naive UTC ISO-8601 with microseconds, omitted fraction when zero
 * (Python's {@code datetime.utcnow().isoformat()}).
 */
public final class TaskMetaCodec {
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    private TaskMetaCodec() {
    }

    /** Celery's map form of {@code meta}, in Celery's key order. */
    public static Map<String, Object> toMap(TaskMeta meta) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", meta.state().name());
        m.put("result", meta.result());
        m.put("traceback", meta.traceback());
        m.put("children", meta.children());
        m.put("date_done", meta.dateDone() == null ? null : formatDateTime(meta.dateDone()));
        if (meta.groupId() != null) {
            m.put("group_id", meta.groupId());
        }
        if (meta.parentId() != null) {
            m.put("parent_id", meta.parentId());
        }
        TaskMeta.Extended x = meta.extended();
        if (x != null) {
            m.put("name", x.name());
            m.put("args", x.args());
            m.put("kwargs", x.kwargs());
            m.put("worker", x.worker());
            m.put("retries", x.retries());
            m.put("queue", x.queue());
        }
        m.put("task_id", meta.taskId());
        return m;
    }

    /**
     * Reads Celery's map form.
     *
     * @param taskId the id to use when the map has no {@code task_id} (MongoDB keeps it in {@code _id})
     * @throws IllegalArgumentException when {@code status} is missing or not a string
     */
    @SuppressWarnings("unchecked")
    public static TaskMeta fromMap(String taskId, Map<String, Object> m) {
        if (!(m.get("status") instanceof String status) || status.isEmpty()) {
            throw new IllegalArgumentException("task meta for " + taskId + " has no 'status' string: keys " + m.keySet());
        }
        Object id = m.get("task_id");
        List<Object> children = m.get("children") instanceof List<?> l ? new ArrayList<>(l) : List.of();
        Instant dateDone = parseDateTime(m.get("date_done"));
        TaskMeta.Extended ext = null;
        if (m.containsKey("name") || m.containsKey("worker")) {
            Object retries = m.get("retries");
            ext = new TaskMeta.Extended(str(m.get("name")),
                    m.get("args") instanceof List<?> a ? (List<Object>) a : null,
                    m.get("kwargs") instanceof Map<?, ?> k ? (Map<String, Object>) k : null,
                    str(m.get("worker")), retries instanceof Number n ? n.intValue() : null, str(m.get("queue")));
        }
        return new TaskMeta(id instanceof String s ? s : taskId, TaskState.of(status), m.get("result"),
                str(m.get("traceback")), children, dateDone, str(m.get("group_id")), str(m.get("parent_id")), ext);
    }

    private static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    /** A result tuple for a plain task, as in {@code children}: {@code [[id, null], null]}. */
    public static List<Object> resultTuple(String taskId) {
        List<Object> inner = new ArrayList<>(2);
        inner.add(taskId);
        inner.add(null);
        List<Object> outer = new ArrayList<>(2);
        outer.add(inner);
        outer.add(null);
        return outer;
    }

    /** A group's stored value: {@code {"result": [[gid, null], [[[id1, null], null], …]]}}. */
    public static Map<String, Object> groupToMap(GroupMeta group) {
        List<Object> head = new ArrayList<>(2);
        head.add(group.groupId());
        head.add(null);
        List<Object> members = new ArrayList<>();
        for (String id : group.taskIds()) {
            members.add(resultTuple(id));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("result", List.of(head, members));
        return m;
    }

    /**
     * Reads a group's stored value.
     *
     * @throws IllegalArgumentException when the value is not of Celery's group form
     */
    public static GroupMeta groupFromMap(String groupId, Map<String, Object> m) {
        try {
            List<?> result = (List<?>) m.get("result");
            List<?> members = (List<?>) result.get(1);
            List<String> ids = new ArrayList<>();
            for (Object member : members) {
                ids.add(String.valueOf(((List<?>) ((List<?>) member).get(0)).get(0)));
            }
            return new GroupMeta(groupId, ids, parseDateTime(m.get("date_done")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("group meta for " + groupId
                    + " is not Celery's form {\"result\": [[gid, null], [[[id, null], null], ...]]}", e);
        }
    }

    /**
     * Python's {@code datetime.utcnow().isoformat()}: naive UTC, microseconds, no fraction when zero, e.g.
     * {@code 2026-11-23T00:12:27.701748}. Stateless and thread-safe.
     *
     * @param instant the time, not null (truncated to microseconds)
     * @return the naive UTC ISO-8601 text, never null
     * @throws NullPointerException when {@code instant} is null
     */
    public static String formatDateTime(Instant instant) {
        LocalDateTime t = LocalDateTime.ofInstant(instant.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
        String base = SECONDS.format(t);
        int micros = t.getNano() / 1000;
        if (micros == 0) {
            return base;
        }
        String digits = Integer.toString(micros); // zero-padded to six by hand: String.format parses its pattern per call
        return base + "." + "000000".substring(digits.length()) + digits;
    }

    /**
     * Parses the date-times found in Celery data: {@code Z}, {@code ±hh:mm} or naive (= UTC), with or
     * without fraction; a number is Unix seconds.
     *
     * @return null for null
     * @throws IllegalArgumentException when the value is not a date-time
     */
    public static Instant parseDateTime(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Instant i) {
            return i;
        }
        if (value instanceof java.util.Date d) {
            return d.toInstant();
        }
        if (value instanceof Number n) {
            return Instant.ofEpochSecond(0, Math.round(n.doubleValue() * 1e9));
        }
        String s = String.valueOf(value).trim();
        if (s.indexOf('T') < 0 && s.length() > 10 && s.charAt(10) == ' ') {
            s = s.substring(0, 10) + 'T' + s.substring(11);
        }
        try {
            // one parse, offset optional: no exception thrown and caught for Celery's naive date_done (the
            // result of every get() goes through here)
            TemporalAccessor t = DateTimeFormatter.ISO_DATE_TIME.parseBest(s, OffsetDateTime::from, LocalDateTime::from);
            return t instanceof OffsetDateTime o ? o.toInstant() : ((LocalDateTime) t).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + s + "' is not an ISO-8601 date-time"
                    + " (expected e.g. 2026-11-23T00:12:27.701748+00:00, ...Z, or naive UTC)");
        }
    }
}
