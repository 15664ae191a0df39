package org.celeriac.core.control;

import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Where a remote-control command goes and how long to wait for replies ({@code Control.broadcast}'s keyword
 * arguments). Immutable; the {@code with*} methods return copies.
 *
 * @param destination node names to address; null or empty means every node
 * @param pattern a node name pattern (used when no destination is given); nullable
 * @param matcher {@code glob} (default) or {@code pcre}; nullable
 * @param timeout how long to collect replies, counted from sending; not null
 * @param limit stop after this many replies; null means {@code destination.size()} when a destination is
 *        given, else no limit
 * @param callback called with {@code (node, reply)} as each reply arrives, on the collecting thread; nullable
 */
public record ControlOptions(List<String> destination, String pattern, String matcher, Duration timeout,
                             Integer limit, BiConsumer<String, Object> callback) {

    /** Celery's default reply timeout: 1 second. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

    public ControlOptions {
        destination = destination == null ? List.of() : List.copyOf(destination);
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("the reply timeout must not be negative, got " + timeout);
        }
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("the reply limit must be at least 1, got " + limit);
        }
    }

    /** Every node, 1 second, no limit. */
    public static ControlOptions defaults() {
        return new ControlOptions(List.of(), null, null, DEFAULT_TIMEOUT, null, null);
    }

    public ControlOptions withDestination(List<String> nodes) {
        return new ControlOptions(nodes, pattern, matcher, timeout, limit, callback);
    }

    public ControlOptions withPattern(String p, String m) {
        return new ControlOptions(destination, p, m == null ? "glob" : m, timeout, limit, callback);
    }

    public ControlOptions withTimeout(Duration t) {
        return new ControlOptions(destination, pattern, matcher, t, limit, callback);
    }

    public ControlOptions withLimit(Integer l) {
        return new ControlOptions(destination, pattern, matcher, timeout, l, callback);
    }

    public ControlOptions withCallback(BiConsumer<String, Object> c) {
        return new ControlOptions(destination, pattern, matcher, timeout, limit, c);
    }

    /** The number of replies to wait for at most, or 0 for no limit. */
    int effectiveLimit() {
        if (limit != null) {
            return limit;
        }
        return destination.isEmpty() ? 0 : destination.size();
    }
}
