package org.celeriac.core.beat;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A crontab schedule with Celery's semantics, a port of {@code celery.schedules.crontab} and
 * {@code crontab_parser} (Celery 5.2): every field defaults to {@code *}; a day must be in
 * {@code month_of_year}, {@code day_of_month} <em>and</em> {@code day_of_week} (unlike Unix cron,
 * where the two day fields are OR-ed when both are restricted); day of week 0 is Sunday; field
 * grammar {@code *}, {@code n}, {@code a-b} (wrapping past the maximum), {@code * /s}, {@code a-b/s},
 * comma lists, and day names ({@code mon}, {@code monday}: first three letters). Immutable and
 * thread-safe.
 *
 * <p>Why a port rather than a cron library: cron-utils implements Unix cron (the two day fields OR-ed
 * when both are restricted), Quartz forbids restricting both ({@code ?}), Spring's
 * {@code CronExpression} would pull in spring-context; none accepts Celery's wrap-around ranges
 * ({@code 55-5}) or its set/list field values, and Celery's parser is short enough to port line by line
 * (pinned by {@code CrontabTest}, cases from Celery's {@code test_schedules.py}).
 */
public final class Crontab implements BeatSchedule {
    private static final Pattern RANGE_STEPS = Pattern.compile("^(\\w+?)-(\\w+)/(\\w+)?");
    private static final Pattern RANGE = Pattern.compile("^(\\w+?)-(\\w+)");
    private static final Pattern STAR_STEPS = Pattern.compile("^\\*/(\\w+)?");
    private static final Pattern STAR = Pattern.compile("^\\*$");
    private static final Map<String, Integer> WEEKDAYS = Map.of("sun", 0, "mon", 1, "tue", 2, "wed", 3, "thu", 4,
            "fri", 5, "sat", 6);

    private final String spec;
    private final TreeSet<Integer> minute;
    private final TreeSet<Integer> hour;
    private final TreeSet<Integer> dayOfWeek;
    private final TreeSet<Integer> dayOfMonth;
    private final TreeSet<Integer> monthOfYear;

    private Crontab(Object minute, Object hour, Object dayOfWeek, Object dayOfMonth, Object monthOfYear) {
        this.minute = expand("minute", minute, 60, 0);
        this.hour = expand("hour", hour, 24, 0);
        this.dayOfWeek = expand("day_of_week", dayOfWeek, 7, 0);
        this.dayOfMonth = expand("day_of_month", dayOfMonth, 31, 1);
        this.monthOfYear = expand("month_of_year", monthOfYear, 12, 1);
        this.spec = "<crontab: " + field(minute) + " " + field(hour) + " " + field(dayOfWeek) + " "
                + field(dayOfMonth) + " " + field(monthOfYear) + " (m/h/dow/dom/moy)>";
    }

    /**
     * Celery's {@code crontab(minute, hour, day_of_week, day_of_month, month_of_year)}; each argument is an
     * Integer, a String in the grammar above, a Collection of Integers, or null for {@code *}.
     *
     * @throws IllegalArgumentException naming the field and its range when a value is out of range or
     *     does not parse
     */
    public static Crontab of(Object minute, Object hour, Object dayOfWeek, Object dayOfMonth, Object monthOfYear) {
        return new Crontab(minute, hour, dayOfWeek, dayOfMonth, monthOfYear);
    }

    /**
     * A crontab from a map with Celery's keyword names ({@code minute}, {@code hour}, {@code day_of_week},
     * {@code day_of_month}, {@code month_of_year}); missing keys are {@code *}.
     *
     * @throws IllegalArgumentException on an unknown key or a bad field
     */
    public static Crontab of(Map<String, ?> fields) {
        for (String k : fields.keySet()) {
            if (!java.util.Set.of("minute", "hour", "day_of_week", "day_of_month", "month_of_year").contains(k)) {
                throw new IllegalArgumentException("crontab has no field '" + k
                        + "'; use minute, hour, day_of_week, day_of_month, month_of_year");
            }
        }
        return of(fields.get("minute"), fields.get("hour"), fields.get("day_of_week"), fields.get("day_of_month"),
                fields.get("month_of_year"));
    }

    private static String field(Object o) {
        if (o == null) {
            return "*";
        }
        return o instanceof Collection<?> c ? String.join(",", c.stream().map(String::valueOf).toList())
                : String.valueOf(o);
    }

    /** The expanded set of minutes (0-59), sorted. */
    public TreeSet<Integer> minutes() {
        return new TreeSet<>(minute);
    }

    /** The expanded set of hours (0-23), sorted. */
    public TreeSet<Integer> hours() {
        return new TreeSet<>(hour);
    }

    /** The expanded set of days of week (0 = Sunday .. 6), sorted. */
    public TreeSet<Integer> daysOfWeek() {
        return new TreeSet<>(dayOfWeek);
    }

    /** The expanded set of days of month (1-31), sorted. */
    public TreeSet<Integer> daysOfMonth() {
        return new TreeSet<>(dayOfMonth);
    }

    /** The expanded set of months (1-12), sorted. */
    public TreeSet<Integer> monthsOfYear() {
        return new TreeSet<>(monthOfYear);
    }

    /**
     * Expands one field as {@code crontab._expand_cronspec} does.
     *
     * @param max the number of values (60 for minutes, 31 for days of month)
     * @param min the first value (0, or 1 for days of month and months)
     */
    static TreeSet<Integer> expand(String name, Object spec, int max, int min) {
        TreeSet<Integer> result = new TreeSet<>();
        try {
            if (spec == null) {
                spec = "*";
            }
            if (spec instanceof Number n) {
                if (n.doubleValue() != Math.rint(n.doubleValue())) {
                    throw new IllegalArgumentException("not a whole number: " + n);
                }
                result.add(n.intValue());
            } else if (spec instanceof Collection<?> c) {
                for (Object o : c) {
                    result.addAll(expand(name, o, max, min));
                }
            } else {
                for (String part : String.valueOf(spec).trim().split(",", -1)) {
                    if (part.isEmpty()) {
                        throw new IllegalArgumentException("empty part");
                    }
                    result.addAll(parsePart(part.trim(), max, min));
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("crontab field " + name + "='" + field(spec) + "': " + e.getMessage()
                    + " (valid values " + min + "-" + (max - 1 + min) + ")", e);
        }
        for (int v : result) {
            if (v >= max + min || v < min) {
                throw new IllegalArgumentException("crontab field " + name + "='" + field(spec)
                        + "': invalid value " + v + ", must be between " + min + " and " + (max - 1 + min));
            }
        }
        return result;
    }

    private static java.util.List<Integer> parsePart(String part, int max, int min) {
        Matcher m = RANGE_STEPS.matcher(part);
        if (m.find()) {
            if (m.group(3) == null) {
                throw new IllegalArgumentException("empty filter");
            }
            return every(expandRange(m.group(1), m.group(2), max, min), Integer.parseInt(m.group(3)));
        }
        m = RANGE.matcher(part);
        if (m.find()) {
            return expandRange(m.group(1), m.group(2), max, min);
        }
        m = STAR_STEPS.matcher(part);
        if (m.find()) {
            if (m.group(1) == null) {
                throw new IllegalArgumentException("empty filter");
            }
            return every(star(max, min), Integer.parseInt(m.group(1)));
        }
        if (STAR.matcher(part).find()) {
            return star(max, min);
        }
        return java.util.List.of(number(part, max, min));
    }

    private static java.util.List<Integer> every(java.util.List<Integer> values, int step) {
        if (step <= 0) {
            throw new IllegalArgumentException("step must be positive, was " + step);
        }
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (int i = 0; i < values.size(); i += step) {
            out.add(values.get(i));
        }
        return out;
    }

    private static java.util.List<Integer> star(int max, int min) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (int i = min; i < max + min; i++) {
            out.add(i);
        }
        return out;
    }

    private static java.util.List<Integer> expandRange(String a, String b, int max, int min) {
        int from = number(a, max, min);
        int to = number(b, max, min);
        java.util.List<Integer> out = new java.util.ArrayList<>();
        if (to < from) { // wraps around max, as Celery does
            for (int i = from; i < min + max; i++) {
                out.add(i);
            }
            for (int i = min; i <= to; i++) {
                out.add(i);
            }
        } else {
            for (int i = from; i <= to; i++) {
                out.add(i);
            }
        }
        return out;
    }

    private static int number(String s, int max, int min) {
        if (s.startsWith("-")) {
            throw new IllegalArgumentException("negative numbers not supported");
        }
        int i;
        try {
            i = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            Integer d = s.length() >= 3 ? WEEKDAYS.get(s.substring(0, 3).toLowerCase(Locale.ROOT)) : null;
            if (d == null) {
                throw new IllegalArgumentException("Invalid weekday literal '" + s + "'");
            }
            i = d;
        }
        if (i > min + max - 1) {
            throw new IllegalArgumentException("Invalid end range: " + i + " > " + (min + max - 1));
        }
        if (i < min) {
            throw new IllegalArgumentException("Invalid beginning range: " + i + " < " + min);
        }
        return i;
    }

    /** True when the calendar day is in month_of_year, day_of_month and day_of_week (all three). */
    boolean dayMatches(LocalDate d) {
        return monthOfYear.contains(d.getMonthValue()) && dayOfMonth.contains(d.getDayOfMonth())
                && dayOfWeek.contains(d.getDayOfWeek().getValue() % 7);
    }

    /**
     * The first matching minute strictly after {@code last} (at minute resolution, seconds dropped), in
     * {@code zone}. This is the run {@code crontab.remaining_delta} computes, without its quirk of
     * ignoring the rest of the last run's hour when that run was on an earlier day.
     *
     * @throws IllegalStateException when nothing matches within eight years (e.g. 30 February)
     */
    @Override
    public Instant nextAfter(Instant last, ZoneId zone) {
        LocalDateTime t = LocalDateTime.ofInstant(last, zone).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        LocalDate day = t.toLocalDate();
        LocalDate limit = day.plusYears(8);
        boolean first = true;
        while (!day.isAfter(limit)) {
            if (dayMatches(day)) {
                int fromHour = first ? t.getHour() : 0;
                for (int h : hour.tailSet(fromHour)) {
                    int fromMinute = first && h == t.getHour() ? t.getMinute() : 0;
                    for (int m : minute.tailSet(fromMinute)) {
                        // a gap (spring forward) moves the time later; an overlap (fall back) may give an
                        // instant before the last run: then the repeated hour's later offset, else go on
                        ZonedDateTime z = day.atTime(h, m).atZone(zone);
                        Instant i = z.toInstant();
                        if (!i.isAfter(last)) {
                            i = z.withLaterOffsetAtOverlap().toInstant();
                        }
                        if (i.isAfter(last)) {
                            return i;
                        }
                    }
                }
            }
            first = false;
            day = day.plusDays(1);
        }
        throw new IllegalStateException(spec + " never matches a real date");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Crontab c && minute.equals(c.minute) && hour.equals(c.hour) && dayOfWeek.equals(c.dayOfWeek)
                && dayOfMonth.equals(c.dayOfMonth) && monthOfYear.equals(c.monthOfYear);
    }

    @Override
    public int hashCode() {
        return Objects.hash(minute, hour, dayOfWeek, dayOfMonth, monthOfYear);
    }

    @Override
    public String toString() {
        return spec;
    }
}
