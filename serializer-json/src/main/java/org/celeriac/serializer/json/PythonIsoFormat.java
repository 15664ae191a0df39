package org.celeriac.serializer.json;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * Writes {@code java.time} values as kombu 5.2.4's {@code JSONEncoder.default} writes Python's
 * {@code datetime}, {@code date} and {@code time}: {@code isoformat()} with microsecond precision
 * (finer digits truncated; the fraction is omitted when zero), a trailing {@code +00:00} of a
 * datetime rewritten to {@code Z}, other offsets kept ({@code +HH:MM}, or {@code +HH:MM:SS} when the
 * offset has seconds), and a date written as the midnight datetime {@code YYYY-MM-DDT00:00:00}.
 *
 * <p>Python's {@code datetime} only holds years 1 to 9999; other years cannot be written.
 * Stateless and thread-safe.
 */
final class PythonIsoFormat {

    private PythonIsoFormat() {
    }

    /** An aware datetime ({@code Instant} is UTC). */
    static String dateTime(Instant instant) {
        return dateTime(LocalDateTime.ofEpochSecond(instant.getEpochSecond(), instant.getNano(), ZoneOffset.UTC),
                ZoneOffset.UTC);
    }

    static String dateTime(OffsetDateTime value) {
        return dateTime(value.toLocalDateTime(), value.getOffset());
    }

    static String dateTime(ZonedDateTime value) {
        return dateTime(value.toLocalDateTime(), value.getOffset());
    }

    /**
     * @param offset null for a naive datetime
     * @throws IllegalArgumentException when the year is outside 1..9999
     */
    static String dateTime(LocalDateTime value, ZoneOffset offset) {
        StringBuilder sb = new StringBuilder(32);
        date(sb, value.toLocalDate());
        sb.append('T');
        time(sb, value.toLocalTime());
        if (offset != null) {
            if (offset.getTotalSeconds() == 0) {
                sb.append('Z');
            } else {
                offset(sb, offset);
            }
        }
        return sb.toString();
    }

    /** kombu 5.2.4 turns a {@code date} into a midnight {@code datetime} before {@code isoformat()}. */
    static String date(LocalDate value) {
        StringBuilder sb = new StringBuilder(19);
        date(sb, value);
        return sb.append("T00:00:00").toString();
    }

    /** {@code time.isoformat()}; a naive time has no suffix, an aware one keeps {@code +00:00} (no Z rewrite). */
    static String time(LocalTime value) {
        StringBuilder sb = new StringBuilder(15);
        time(sb, value);
        return sb.toString();
    }

    static String time(OffsetTime value) {
        StringBuilder sb = new StringBuilder(21);
        time(sb, value.toLocalTime());
        offset(sb, value.getOffset());
        return sb.toString();
    }

    private static void date(StringBuilder sb, LocalDate d) {
        int year = d.getYear();
        if (year < 1 || year > 9999) {
            throw new IllegalArgumentException("year " + year
                    + " is outside Python's datetime range 1..9999");
        }
        pad(sb, year, 4).append('-');
        pad(sb, d.getMonthValue(), 2).append('-');
        pad(sb, d.getDayOfMonth(), 2);
    }

    private static void time(StringBuilder sb, LocalTime t) {
        pad(sb, t.getHour(), 2).append(':');
        pad(sb, t.getMinute(), 2).append(':');
        pad(sb, t.getSecond(), 2);
        int micros = t.getNano() / 1000;
        if (micros != 0) {
            sb.append('.');
            pad(sb, micros, 6);
        }
    }

    /** Python's {@code utcoffset} layout: {@code +HH:MM}, with {@code :SS} only when the seconds are non-zero. */
    private static void offset(StringBuilder sb, ZoneOffset offset) {
        int total = offset.getTotalSeconds();
        sb.append(total < 0 ? '-' : '+');
        int a = Math.abs(total);
        pad(sb, a / 3600, 2).append(':');
        pad(sb, (a / 60) % 60, 2);
        if (a % 60 != 0) {
            sb.append(':');
            pad(sb, a % 60, 2);
        }
    }

    private static StringBuilder pad(StringBuilder sb, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) {
            sb.append('0');
        }
        return sb.append(s);
    }
}
