package org.celeriac.core.control;

/**
 * A Lamport logical clock ({@code kombu/clocks.py LamportClock}): {@link #forward()} before sending,
 * {@link #adjust(long)} on receiving. Thread-safe (the methods are atomic).
 */
public final class LamportClock {
    private long value;

    /** A clock at 0. */
    public LamportClock() {
    }

    /** The current value. */
    public synchronized long value() {
        return value;
    }

    /** Advances by one and returns the new value (kombu's {@code forward}). */
    public synchronized long forward() {
        return ++value;
    }

    /**
     * Merges a received clock value: {@code max(own, other) + 1} (kombu's {@code adjust}).
     *
     * @return the new value
     */
    public synchronized long adjust(long other) {
        value = Math.max(value, other) + 1;
        return value;
    }

    /** Reads a {@code clock} header (an integer, or its text); 0 when absent or not a number. */
    static long headerValue(Object header) {
        if (header instanceof Number n) {
            return n.longValue();
        }
        if (header instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }
}
