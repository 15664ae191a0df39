package org.celeriac.api;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * Celery's automatic retry options ({@code celery/app/autoretry.py}): {@code autoretry_for},
 * {@code retry_backoff}, {@code retry_backoff_max} and {@code retry_jitter}. Immutable and thread-safe.
 *
 * <p>An exception matches {@link #autoretryFor()} when the fully qualified or simple name of its class or of
 * one of its superclasses equals an entry ({@code "java.io.IOException"}, {@code "IOException"}); the
 * entries {@code "Exception"} and {@code "BaseException"} match every exception, as in Python.
 *
 * @param autoretryFor exception class names that retry the task automatically; empty: none
 * @param backoffFactor null: no back-off (the countdown is {@code default_retry_delay}); otherwise the first
 *        countdown, doubled at every retry (Celery's {@code retry_backoff=True} is 1 s, an int is seconds)
 * @param backoffMax the largest back-off countdown (Celery's default 600 s); never null
 * @param jitter when true the countdown is random in {@code [0, countdown]} (Celery's default true)
 */
public record RetryPolicy(List<String> autoretryFor, Duration backoffFactor, Duration backoffMax, boolean jitter) {

    /** Celery's default {@code retry_backoff_max}: 600 s. */
    public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(600);

    /** No automatic retry. */
    public static final RetryPolicy NONE = new RetryPolicy(List.of(), null, DEFAULT_BACKOFF_MAX, true);

    public RetryPolicy {
        autoretryFor = autoretryFor == null ? List.of() : List.copyOf(autoretryFor);
        backoffMax = backoffMax == null ? DEFAULT_BACKOFF_MAX : backoffMax;
    }

    /**
     * The policy an {@link Task @Task} annotation declares.
     *
     * @throws IllegalArgumentException when {@code retryBackoff} or {@code retryBackoffMax} is malformed;
     *         the message names the attribute and the accepted forms
     */
    public static RetryPolicy of(Task task) {
        return new RetryPolicy(List.of(task.autoretryFor()), parseBackoff("retryBackoff", task.retryBackoff()),
                Durations.parseOrNull("retryBackoffMax", task.retryBackoffMax()), task.retryJitter());
    }

    /**
     * Parses Celery's {@code retry_backoff}: {@code true} (1 s), {@code false}, or a number of seconds (or a
     * duration with a unit, {@code "2s"}).
     *
     * @param what the option's name, for the message
     * @param value a Boolean, a Number, a String, or null
     * @return the back-off factor, or null for none
     * @throws IllegalArgumentException naming {@code what} and the accepted forms
     */
    public static Duration parseBackoff(String what, Object value) {
        if (value == null || value instanceof Boolean b && !b) {
            return null;
        }
        if (value instanceof Boolean) {
            return Duration.ofSeconds(1);
        }
        if (value instanceof Number n) {
            return n.doubleValue() <= 0 ? null : Durations.ofSeconds(n.doubleValue());
        }
        String t = String.valueOf(value).trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "", "false", "no", "0", "none" -> {
                return null;
            }
            case "true", "yes" -> {
                return Duration.ofSeconds(1);
            }
            default -> {
                try {
                    Duration d = Durations.parse(what, t);
                    return d.isZero() ? null : d;
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(what + ": '" + value + "' is not valid; use true, false or a"
                            + " number of seconds (Celery's retry_backoff)");
                }
            }
        }
    }

    /** True when {@code t} should be retried automatically. */
    public boolean matches(Throwable t) {
        if (autoretryFor.isEmpty() || t == null) {
            return false;
        }
        for (Class<?> c = t.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            if (autoretryFor.contains(c.getName()) || autoretryFor.contains(c.getSimpleName())) {
                return true;
            }
        }
        return autoretryFor.contains("Exception") || autoretryFor.contains("BaseException");
    }

    /**
     * The countdown of retry number {@code retries + 1}, Celery's {@code get_exponential_backoff_interval}:
     * {@code min(max, factor * 2^retries)} in whole seconds, then a random value in {@code [0, that]} with
     * jitter.
     *
     * @param retries how many times the task was retried already (0 on the first run)
     * @param random the jitter's source
     * @return the countdown, or null when this policy has no back-off
     */
    public Duration backoff(int retries, RandomGenerator random) {
        if (backoffFactor == null) {
            return null;
        }
        double factor = backoffFactor.toNanos() / 1e9;
        double max = Math.floor(backoffMax.toNanos() / 1e9);
        double countdown = Math.min(max, factor * Math.pow(2, Math.min(retries, 62)));
        long whole = (long) Math.floor(countdown);
        if (jitter) {
            whole = random.nextLong(whole + 1);
        }
        return Duration.ofSeconds(Math.max(0, whole));
    }
}
