package org.celeriac.core.events;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.celeriac.core.protocol.PyRepr;

/**
 * Formats events one line each, as {@code celery events --dump} does ({@code celery/events/dumper.py Dumper}):
 * {@code <hostname> [<UTC time>] <type>: <task> <key=value, ...>}, worker types humanized ({@code started},
 * {@code heartbeat}, {@code shutdown}), task lines prefixed with {@code name(uuid) args=.. kwargs=..} remembered
 * from the task's {@code task-received}/{@code task-sent} (the last 4095 tasks). Not thread-safe: one per
 * receiving thread, or synchronize.
 */
public final class EventDumper {
    private static final int NAMES = 0xFFF;
    private final Map<String, String> taskNames = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > NAMES;
        }
    };

    /** Celery's {@code humanize_type}. */
    public static String humanizeType(String type) {
        return switch (type.toLowerCase(java.util.Locale.ROOT)) {
            case "worker-offline" -> "shutdown";
            case "worker-online" -> "started";
            case "worker-heartbeat" -> "heartbeat";
            default -> type.toLowerCase(java.util.Locale.ROOT).replace('-', ' ');
        };
    }

    /**
     * The line for one event (as received, with {@code local_received}); the event map is not modified.
     *
     * @throws IllegalArgumentException when the event has no {@code type}
     */
    public String format(Map<String, ?> received) {
        Map<String, Object> ev = new LinkedHashMap<>(received);
        Object typeValue = ev.remove("type");
        if (!(typeValue instanceof String)) {
            throw new IllegalArgumentException("an event without a 'type': " + received);
        }
        String type = ((String) typeValue).toLowerCase(java.util.Locale.ROOT);
        String timestamp = pyDatetime(ev.remove("timestamp"));
        String hostname = str(ev.remove("hostname"));
        StringBuilder sb = new StringBuilder().append(hostname).append(" [").append(timestamp).append("] ")
                .append(humanizeType(type));
        String task = null;
        if (type.startsWith("task-")) {
            String uuid = str(ev.remove("uuid"));
            if (type.equals("task-received") || type.equals("task-sent")) {
                task = str(ev.remove("name")) + "(" + uuid + ") args=" + str(ev.remove("args")) + " kwargs="
                        + str(ev.remove("kwargs"));
                taskNames.put(uuid, task);
            } else {
                task = taskNames.getOrDefault(uuid, "");
            }
        }
        StringBuilder fields = new StringBuilder();
        for (Map.Entry<String, Object> e : new TreeMap<>(ev).entrySet()) {
            if (!fields.isEmpty()) {
                fields.append(", ");
            }
            fields.append(e.getKey()).append('=').append(str(e.getValue()));
        }
        if (!fields.isEmpty()) {
            sb.append(':');
        }
        if (task != null) {
            sb.append(' ').append(task);
        }
        return sb.append(' ').append(fields).toString();
    }

    /** Python's {@code str(value)}: strings as they are, everything else as its repr. */
    private static String str(Object v) {
        return v instanceof CharSequence s ? s.toString() : PyRepr.repr(v, Integer.MAX_VALUE);
    }

    /** {@code str(datetime.utcfromtimestamp(ts))}: {@code 2026-11-27 03:55:37.390699} (no fraction when 0). */
    static String pyDatetime(Object ts) {
        if (!(ts instanceof Number n)) {
            return str(ts);
        }
        long micros = Math.round(n.doubleValue() * 1e6);
        Instant i = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
        LocalDateTime t = LocalDateTime.ofInstant(i, ZoneOffset.UTC);
        String base = String.format("%04d-%02d-%02d %02d:%02d:%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth(),
                t.getHour(), t.getMinute(), t.getSecond());
        int us = t.getNano() / 1000;
        return us == 0 ? base : base + String.format(".%06d", us);
    }
}
