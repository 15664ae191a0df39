package org.celeriac.core.beat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.Durations;

/**
 * One periodic task of {@code beat_schedule} ({@code celery.beat.ScheduleEntry} without its run state).
 * Immutable.
 *
 * @param name the entry's name (the key in {@code beat_schedule})
 * @param task the task name sent
 * @param schedule when it runs
 * @param args positional arguments; non-null
 * @param kwargs keyword arguments; non-null
 * @param options Celery's apply options: {@code queue}, {@code exchange}, {@code routing_key},
 *     {@code priority}, {@code expires} (seconds after sending, or an ISO instant), {@code countdown},
 *     {@code serializer}, {@code headers}; non-null
 */
public record BeatEntry(String name, String task, BeatSchedule schedule, List<Object> args, Map<String, Object> kwargs,
        Map<String, Object> options) {

    public BeatEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(schedule, "schedule");
        args = args == null ? List.of() : java.util.Collections.unmodifiableList(new ArrayList<>(args));
        kwargs = kwargs == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(kwargs));
        options = options == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /**
     * Reads {@code beat_schedule} (the setting's raw value: a map of entry name to entry map) as Celery
     * does: {@code schedule} is a number of seconds, a duration text ({@code "30s"}, {@code "PT5M"}), or a
     * crontab map ({@code {minute, hour, day_of_week, day_of_month, month_of_year}}, optionally under a
     * {@code crontab} key, as {@code crontab(...)} in a celeryconfig.py is read).
     *
     * @param raw the setting's value; null or an empty map give no entries
     * @return the entries, in the setting's order
     * @throws IllegalArgumentException naming the entry and what is wrong with it
     */
    public static List<BeatEntry> parseAll(Object raw) {
        if (raw == null || raw instanceof String s && s.isBlank()) {
            return List.of();
        }
        if (!(raw instanceof Map<?, ?> all)) {
            throw new IllegalArgumentException("beat_schedule must be a map of entry name to "
                    + "{task, schedule, args, kwargs, options}, was " + raw.getClass().getSimpleName());
        }
        List<BeatEntry> out = new ArrayList<>();
        for (Map.Entry<?, ?> e : all.entrySet()) {
            out.add(parse(String.valueOf(e.getKey()), e.getValue()));
        }
        return out;
    }

    /** One entry; see {@link #parseAll}. */
    @SuppressWarnings("unchecked")
    public static BeatEntry parse(String name, Object raw) {
        if (!(raw instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("beat_schedule entry '" + name
                    + "' must be a map with task and schedule");
        }
        Object task = m.get("task");
        if (task == null || String.valueOf(task).isBlank()) {
            throw new IllegalArgumentException("beat_schedule entry '" + name + "' has no 'task'");
        }
        BeatSchedule schedule;
        try {
            schedule = schedule(m.get("schedule"));
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("beat_schedule entry '" + name + "': " + ex.getMessage(), ex);
        }
        Object args = m.get("args");
        if (args != null && !(args instanceof List<?>)) {
            throw new IllegalArgumentException("beat_schedule entry '" + name + "': args must be a list");
        }
        Object kwargs = m.get("kwargs");
        if (kwargs != null && !(kwargs instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("beat_schedule entry '" + name + "': kwargs must be a map");
        }
        Object options = m.get("options");
        if (options != null && !(options instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("beat_schedule entry '" + name + "': options must be a map");
        }
        return new BeatEntry(name, String.valueOf(task), schedule, (List<Object>) args,
                (Map<String, Object>) kwargs, (Map<String, Object>) options);
    }

    /** A schedule value: seconds, duration text, or crontab map. */
    @SuppressWarnings("unchecked")
    static BeatSchedule schedule(Object v) {
        if (v == null) {
            throw new IllegalArgumentException("no 'schedule' (seconds, a duration such as PT5M, or a crontab map)");
        }
        if (v instanceof BeatSchedule s) {
            return s;
        }
        if (v instanceof Number n) {
            return new Interval(Durations.ofSeconds(n.doubleValue()));
        }
        if (v instanceof Map<?, ?> map) {
            Object inner = map.get("crontab");
            if (inner instanceof Map<?, ?> c && map.size() == 1) {
                return Crontab.of((Map<String, ?>) c);
            }
            return Crontab.of((Map<String, ?>) map);
        }
        return new Interval(Durations.parse("schedule", String.valueOf(v).trim()));
    }

    /**
     * The apply options for one send at {@code now}: {@code expires} in seconds counts from {@code now}.
     *
     * @throws IllegalArgumentException when an option has the wrong type
     */
    public ApplyOptions applyOptions(Instant now) {
        ApplyOptions.Builder b = ApplyOptions.builder();
        for (Map.Entry<String, Object> e : options.entrySet()) {
            Object v = e.getValue();
            if (v == null) {
                continue;
            }
            String s = String.valueOf(v);
            switch (e.getKey()) {
                case "queue" -> b.queue(v instanceof Map<?, ?> q ? String.valueOf(q.get("name")) : s);
                case "exchange" -> b.exchange(s);
                case "routing_key" -> b.routingKey(s);
                case "priority" -> b.priority(((Number) v).intValue());
                case "serializer" -> b.serializer(s);
                case "countdown" -> b.countdown(v instanceof Number n ? Durations.ofSeconds(n.doubleValue())
                        : Durations.parse("countdown", s));
                case "expires" -> b.expires(v instanceof Number n ? now.plus(Durations.ofSeconds(n.doubleValue()))
                        : looksLikeInstant(s) ? Instant.parse(s) : now.plus(Durations.parse("expires", s)));
                case "headers" -> {
                    if (v instanceof Map<?, ?> h) {
                        h.forEach((k, hv) -> b.header(String.valueOf(k), hv));
                    }
                }
                case "ignore_result" -> b.ignoreResult(Boolean.valueOf(s));
                case "time_limit" -> b.timeLimit(Durations.ofSeconds(Double.parseDouble(s)));
                case "soft_time_limit" -> b.softTimeLimit(Durations.ofSeconds(Double.parseDouble(s)));
                default -> {
                    // Celery passes unknown options to apply_async, which ignores what it does not know.
                }
            }
        }
        return b.build();
    }

    private static boolean looksLikeInstant(String s) {
        return s.length() > 10 && Character.isDigit(s.charAt(0)) && s.charAt(4) == '-';
    }

    /** Shorthand for an interval entry (tests, programmatic schedules). */
    public static BeatEntry every(String name, String task, Duration every) {
        return new BeatEntry(name, task, new Interval(every), List.of(), Map.of(), Map.of());
    }

    /**
     * The entries declared with {@link PeriodicTask} on the tasks of {@code definitions} (on a generated
     * task's method, or on a hand-written definition's class), in the given order.
     *
     * @throws IllegalArgumentException naming the task when an annotation is malformed
     */
    public static List<BeatEntry> fromAnnotations(
            java.util.Collection<? extends org.celeriac.api.TaskDefinition> definitions) {
        List<BeatEntry> out = new ArrayList<>();
        for (org.celeriac.api.TaskDefinition d : definitions) {
            PeriodicTask p = d instanceof org.celeriac.api.internal.MethodTask mt
                    ? mt.method().getAnnotation(PeriodicTask.class) : null;
            if (p == null) {
                p = d.getClass().getAnnotation(PeriodicTask.class);
            }
            if (p == null) {
                continue;
            }
            boolean cron = !(p.minute() + p.hour() + p.dayOfWeek() + p.dayOfMonth() + p.monthOfYear()).isEmpty();
            try {
                if (cron == !p.runEvery().isEmpty()) {
                    throw new IllegalArgumentException("set either runEvery or crontab fields (minute, hour, ...)");
                }
                BeatSchedule schedule = cron
                        ? Crontab.of(blankToNull(p.minute()), blankToNull(p.hour()), blankToNull(p.dayOfWeek()),
                                blankToNull(p.dayOfMonth()), blankToNull(p.monthOfYear()))
                        : new Interval(Durations.parse("runEvery", p.runEvery()));
                Map<String, Object> options = new LinkedHashMap<>();
                if (!p.queue().isEmpty()) {
                    options.put("queue", p.queue());
                }
                if (!p.expires().isEmpty()) {
                    options.put("expires", Durations.toSeconds(Durations.parse("expires", p.expires())));
                }
                out.add(new BeatEntry(p.name().isEmpty() ? d.name() : p.name(), d.name(), schedule, List.of(), Map.of(),
                        options));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("@PeriodicTask on task " + d.name() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static String blankToNull(String s) {
        return s.isEmpty() ? null : s;
    }
}
