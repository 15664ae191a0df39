package org.celeriac.api;

import java.time.Duration;
import java.util.Locale;

/**
 * Parses the duration strings used in options and settings: a plain number is seconds, as in
 * Celery ({@code "30"}, {@code "1.5"}); a number may carry a unit {@code ms}, {@code s}, {@code m},
 * {@code h} or {@code d} ({@code "500ms"}, {@code "5m"}); ISO-8601 ({@code "PT30S"}) is accepted too.
 * Stateless and thread-safe.
 */
public final class Durations {
    private Durations() {
    }

    /**
     * Parses {@code text}.
     *
     * @param what the option's name, used in the error message
     * @param text the duration text; must not be null or blank
     * @return a non-negative duration
     * @throws IllegalArgumentException naming {@code what}, the bad text and the accepted forms
     */
    public static Duration parse(String what, String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("pt") || t.startsWith("p")) {
                return nonNegative(what, text, Duration.parse(t.toUpperCase(Locale.ROOT)));
            }
            double factorMillis;
            String number;
            if (t.endsWith("ms")) {
                factorMillis = 1;
                number = t.substring(0, t.length() - 2);
            } else if (t.endsWith("s")) {
                factorMillis = 1_000;
                number = t.substring(0, t.length() - 1);
            } else if (t.endsWith("m")) {
                factorMillis = 60_000;
                number = t.substring(0, t.length() - 1);
            } else if (t.endsWith("h")) {
                factorMillis = 3_600_000;
                number = t.substring(0, t.length() - 1);
            } else if (t.endsWith("d")) {
                factorMillis = 86_400_000;
                number = t.substring(0, t.length() - 1);
            } else {
                factorMillis = 1_000;
                number = t;
            }
            double value = Double.parseDouble(number.trim());
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                throw new NumberFormatException();
            }
            return nonNegative(what, text, Duration.ofNanos(Math.round(value * factorMillis * 1_000_000d)));
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
                    && iae.getMessage().startsWith(what + ":")) {
                throw iae;
            }
            throw new IllegalArgumentException(what + ": '" + text + "' is not a duration; use seconds"
                    + " (\"30\", \"1.5\"), a number with a unit (\"500ms\", \"30s\", \"5m\", \"2h\", \"1d\")"
                    + " or ISO-8601 (\"PT30S\")");
        }
    }

    /** Like {@link #parse} but returns null for null or empty text. */
    public static Duration parseOrNull(String what, String text) {
        return text == null || text.isBlank() ? null : parse(what, text);
    }

    /** Seconds as Celery writes them on the wire: a double ({@code 1.5}). */
    public static double toSeconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    /** A duration from Celery's float seconds; negative values become zero. */
    public static Duration ofSeconds(double seconds) {
        if (!(seconds > 0)) {
            return Duration.ZERO;
        }
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    private static Duration nonNegative(String what, String text, Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + ": '" + text + "' is negative; a duration must be >= 0");
        }
        return d;
    }
}
