package org.celeriac.api;

import java.util.Locale;

/**
 * A Celery rate limit ({@code celery/utils/time.py rate}): {@code "10/s"}, {@code "10/m"},
 * {@code "100/h"}, or a bare number meaning per second. Immutable and thread-safe.
 *
 * @param perSecond tasks allowed per second; 0 means no limit
 */
public record RateLimit(double perSecond) {

    /** No limit. */
    public static final RateLimit NONE = new RateLimit(0);

    /**
     * Parses a Celery rate limit string.
     *
     * @param text {@code "10/m"} and the like; null or empty means {@link #NONE}
     * @throws IllegalArgumentException when the text is not of that form
     */
    public static RateLimit parse(String text) {
        if (text == null || text.isBlank()) {
            return NONE;
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        int slash = t.indexOf('/');
        try {
            double n = Double.parseDouble(slash < 0 ? t : t.substring(0, slash));
            if (n < 0 || Double.isNaN(n) || Double.isInfinite(n)) {
                throw new NumberFormatException();
            }
            if (slash < 0) {
                return new RateLimit(n);
            }
            return switch (t.substring(slash + 1)) {
                case "s" -> new RateLimit(n);
                case "m" -> new RateLimit(n / 60d);
                case "h" -> new RateLimit(n / 3600d);
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("rate limit '" + text
                    + "' is not valid; use '<n>/s', '<n>/m', '<n>/h' or a number of tasks per second (Celery's format)");
        }
    }

    /** Validates and returns the text unchanged (for annotation values). */
    static String validate(String text) {
        parse(text);
        return text;
    }

    /** True when this limit does not restrict anything. */
    public boolean unlimited() {
        return perSecond <= 0;
    }
}
