package org.celeriac.serializer.json;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Reads the tagged objects kombu 5.3 and later write ({@code kombu/utils/json.py}:
 * {@code {"__type__": T, "__value__": V}}, recognised only when those are the object's only two
 * keys, as kombu's {@code object_hook} does). Values come back in the form kombu 5.2.4 (Python Celery
 * 5.2.6) would have written for the same Python value, so a Java worker sees the same thing whichever
 * kombu produced the message:
 * <ul>
 *   <li>{@code datetime}: the {@code isoformat()} text with {@code +00:00} written as {@code Z};</li>
 *   <li>{@code date}: the midnight datetime text {@code "2024-01-02T00:00:00"};</li>
 *   <li>{@code time}: the {@code isoformat()} text;</li>
 *   <li>{@code decimal}: {@code str(Decimal(v))};</li>
 *   <li>{@code uuid} ({@code {"hex": …, "version": …}}): the hyphenated lowercase text;</li>
 *   <li>{@code bytes} (UTF-8 text): that {@link String};</li>
 *   <li>{@code base64}: the decoded {@code byte[]}.</li>
 * </ul>
 * An unknown {@code __type__} fails, as kombu's {@code ValueError("Unsupported type")} does.
 * Stateless.
 */
final class KombuTags {

    static final String TYPE = "__type__";
    static final String VALUE = "__value__";

    private static final Pattern DECIMAL_SPECIAL =
            Pattern.compile("([+-]?)(inf|infinity|nan|snan)", Pattern.CASE_INSENSITIVE);

    private KombuTags() {
    }

    /** Whether kombu's {@code object_hook} would treat this object as tagged. */
    static boolean isTagged(Map<String, Object> object) {
        return object.size() == 2 && object.containsKey(TYPE) && object.containsKey(VALUE);
    }

    /**
     * @return the value for a tagged object
     * @throws IllegalArgumentException saying what is wrong (the caller adds the location)
     */
    static Object resolve(Map<String, Object> object) {
        Object type = object.get(TYPE);
        Object value = object.get(VALUE);
        if (!(type instanceof String t)) {
            throw new IllegalArgumentException("unsupported kombu tagged object: __type__ is "
                    + describe(type) + "; kombu raises ValueError('Unsupported type') too");
        }
        return switch (t) {
            case "datetime" -> dateTime(text(t, value));
            case "date" -> date(text(t, value));
            case "time" -> time(text(t, value));
            case "decimal" -> decimal(text(t, value));
            case "uuid" -> uuid(value);
            case "bytes" -> text(t, value);
            case "base64" -> base64(text(t, value));
            default -> throw new IllegalArgumentException("unsupported kombu tagged object __type__ '"
                    + abbreviate(t) + "' (kombu knows datetime, date, time, decimal, uuid, bytes, base64 "
                    + "and raises ValueError('Unsupported type') for others)");
        };
    }

    private static String dateTime(String text) {
        try {
            TemporalAccessor parsed = DateTimeFormatter.ISO_DATE_TIME.parseBest(isoT(text),
                    OffsetDateTime::from, LocalDateTime::from);
            if (parsed instanceof OffsetDateTime o) {
                return PythonIsoFormat.dateTime(o);
            }
            return PythonIsoFormat.dateTime((LocalDateTime) parsed, null);
        } catch (DateTimeParseException e) {
            throw bad("datetime", text, "an ISO 8601 datetime like 2024-01-02T03:04:05.678900+00:00");
        }
    }

    private static String date(String text) {
        try {
            return PythonIsoFormat.date(LocalDate.parse(text));
        } catch (DateTimeParseException e) {
            try { // datetime.fromisoformat(v).date() also takes a full datetime
                TemporalAccessor parsed = DateTimeFormatter.ISO_DATE_TIME.parseBest(isoT(text),
                        OffsetDateTime::from, LocalDateTime::from);
                return PythonIsoFormat.date(LocalDate.from(parsed));
            } catch (DateTimeParseException e2) {
                throw bad("date", text, "an ISO 8601 date like 2024-01-02");
            }
        }
    }

    private static String time(String text) {
        try {
            TemporalAccessor parsed = DateTimeFormatter.ISO_TIME.parseBest(text,
                    OffsetTime::from, LocalTime::from);
            if (parsed instanceof OffsetTime o) {
                return PythonIsoFormat.time(o);
            }
            return PythonIsoFormat.time((LocalTime) parsed);
        } catch (DateTimeParseException e) {
            throw bad("time", text, "an ISO 8601 time like 01:02:03.000004");
        }
    }

    /** {@code str(Decimal(text))}: {@link BigDecimal#toString()} follows the same spec, except for -0. */
    private static String decimal(String text) {
        String s = text.strip();
        try {
            BigDecimal d = new BigDecimal(s);
            String out = d.toString();
            return d.signum() == 0 && s.startsWith("-") ? "-" + out : out;
        } catch (NumberFormatException e) {
            var m = DECIMAL_SPECIAL.matcher(s);
            if (m.matches()) {
                String sign = m.group(1).equals("-") ? "-" : "";
                return switch (m.group(2).toLowerCase(Locale.ROOT)) {
                    case "nan" -> sign + "NaN";
                    case "snan" -> sign + "sNaN";
                    default -> sign + "Infinity";
                };
            }
            throw bad("decimal", text, "a decimal number like 1.10");
        }
    }

    private static String uuid(Object value) {
        if (!(value instanceof Map<?, ?> fields) || !(fields.get("hex") instanceof String hex)) {
            throw new IllegalArgumentException("kombu tagged uuid: __value__ must be an object "
                    + "{\"hex\": \"<32 hex digits>\", \"version\": n}, got " + describe(value));
        }
        String digits = hex.replace("urn:", "").replace("uuid:", "");
        digits = stripBraces(digits).replace("-", "");
        if (digits.length() != 32 || !digits.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw bad("uuid", hex, "32 hexadecimal digits");
        }
        long msb = Long.parseUnsignedLong(digits, 0, 16, 16);
        long lsb = Long.parseUnsignedLong(digits, 16, 32, 16);
        Object version = fields.get("version");
        if (version instanceof Number n) { // uuid.UUID(hex=..., version=n) forces variant and version bits
            long v = n.longValue();
            if (v < 1 || v > 8 || n.doubleValue() != v) {
                throw bad("uuid", String.valueOf(version), "a version number from 1 to 8");
            }
            lsb = (lsb & ~0xc000000000000000L) | 0x8000000000000000L;
            msb = (msb & ~0xf000L) | (v << 12);
        } else if (version != null) {
            throw bad("uuid", String.valueOf(version), "a version number or null");
        }
        return new UUID(msb, lsb).toString();
    }

    private static byte[] base64(String text) {
        try {
            return Base64.getMimeDecoder().decode(text); // like b64decode(validate=False): skips junk
        } catch (IllegalArgumentException e) {
            throw bad("base64", text, "base64 text");
        }
    }

    private static String text(String type, Object value) {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("kombu tagged " + type + ": __value__ must be a string, got "
                + describe(value));
    }

    private static String isoT(String text) {
        return text.length() > 10 && text.charAt(10) == ' ' ? text.substring(0, 10) + 'T' + text.substring(11) : text;
    }

    private static String stripBraces(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) == '{' || s.charAt(start) == '}')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) == '{' || s.charAt(end - 1) == '}')) {
            end--;
        }
        return s.substring(start, end);
    }

    private static IllegalArgumentException bad(String type, String value, String expected) {
        return new IllegalArgumentException("kombu tagged " + type + ": '" + abbreviate(value)
                + "' is not " + expected);
    }

    private static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            return "'" + abbreviate(s) + "'";
        }
        return value.getClass().getSimpleName();
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "…";
    }
}
