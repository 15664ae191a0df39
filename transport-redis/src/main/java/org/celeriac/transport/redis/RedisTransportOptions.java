package org.celeriac.transport.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.celeriac.api.Durations;

/**
 * kombu's Redis {@code broker_transport_options}, parsed and checked. Immutable.
 *
 * @param visibilityTimeout how long a delivery may stay unacknowledged before any consumer's restore gives it
 *        back to its queue ({@code visibility_timeout}, default 3600 s, kombu's default)
 * @param prioritySteps the priority buckets, ascending, starting at 0 ({@code priority_steps}, default
 *        {@code [0, 3, 6, 9]})
 * @param sep the separator of priority list names and binding members ({@code sep}, default {@code \x06\x16})
 * @param roundRobin {@code queue_order_strategy}: true for {@code round_robin} (default), false for
 *        {@code priority} (always the first queue first); {@code sorted} is treated as {@code priority}
 * @param keyPrefix {@code global_keyprefix}: prefixed to every key and pub/sub channel; empty by default
 * @param unackedKey {@code unacked_key}, default {@code unacked}
 * @param unackedIndexKey {@code unacked_index_key}, default {@code unacked_index}
 * @param unackedMutexKey {@code unacked_mutex_key}, default {@code unacked_mutex}
 * @param unackedMutexExpire {@code unacked_mutex_expire}, default 300 s
 * @param unackedRestoreLimit {@code unacked_restore_limit}: at most this many restored per pass; 0 = no limit
 * @param fanoutPrefix {@code fanout_prefix} (default true): the db number is in broadcast channel names
 * @param fanoutPatterns {@code fanout_patterns} (default true): the routing key is in broadcast channel names
 * @param masterName {@code master_name} for Sentinel URLs; nullable
 */
public record RedisTransportOptions(Duration visibilityTimeout, List<Integer> prioritySteps, String sep,
                                    boolean roundRobin, String keyPrefix, String unackedKey, String unackedIndexKey,
                                    String unackedMutexKey, Duration unackedMutexExpire, int unackedRestoreLimit,
                                    boolean fanoutPrefix, boolean fanoutPatterns, String masterName) {

    /** kombu's default separator, the two bytes 0x06 0x16. */
    public static final String DEFAULT_SEP = "\u0006\u0016";

    public RedisTransportOptions {
        prioritySteps = List.copyOf(prioritySteps);
    }

    /** kombu's defaults. */
    public static RedisTransportOptions defaults() {
        return parse(Map.of());
    }

    /**
     * Parses {@code broker_transport_options}; unknown keys are ignored (kombu ignores them too).
     *
     * @throws IllegalArgumentException naming the option when a value is invalid
     */
    public static RedisTransportOptions parse(Map<String, Object> o) {
        Duration vt = duration(o, "visibility_timeout", Duration.ofHours(1));
        if (vt.isZero() || vt.isNegative()) {
            throw new IllegalArgumentException("broker_transport_options.visibility_timeout must be positive, was " + vt);
        }
        List<Integer> steps = steps(o.get("priority_steps"));
        String strategy = str(o, "queue_order_strategy", "round_robin").toLowerCase(Locale.ROOT);
        if (!List.of("round_robin", "priority", "sorted").contains(strategy)) {
            throw new IllegalArgumentException("broker_transport_options.queue_order_strategy '" + strategy
                    + "' is not one of round_robin, priority, sorted");
        }
        int limit = (int) number(o, "unacked_restore_limit", 0);
        return new RedisTransportOptions(vt, steps, str(o, "sep", DEFAULT_SEP), strategy.equals("round_robin"),
                str(o, "global_keyprefix", ""), str(o, "unacked_key", "unacked"),
                str(o, "unacked_index_key", "unacked_index"), str(o, "unacked_mutex_key", "unacked_mutex"),
                duration(o, "unacked_mutex_expire", Duration.ofSeconds(300)), Math.max(0, limit),
                bool(o, "fanout_prefix", true), bool(o, "fanout_patterns", true),
                o.get("master_name") == null ? null : String.valueOf(o.get("master_name")));
    }

    /** kombu's {@code priority(n)}: the largest step not above {@code n} (n clamped to 0..9). */
    public int step(Integer priority) {
        int p = priority == null ? 0 : Math.max(0, Math.min(9, priority));
        int s = prioritySteps.get(0);
        for (int step : prioritySteps) {
            if (step <= p) {
                s = step;
            }
        }
        return s;
    }

    private static List<Integer> steps(Object v) {
        if (v == null) {
            return List.of(0, 3, 6, 9);
        }
        List<Integer> out = new ArrayList<>();
        Iterable<?> items;
        if (v instanceof Iterable<?> it) {
            items = it;
        } else {
            String s = String.valueOf(v).trim().replaceAll("^[\\[(]|[\\])]$", "");
            items = List.of(s.split(","));
        }
        for (Object x : items) {
            try {
                out.add(x instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(x).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("broker_transport_options.priority_steps: '" + x
                        + "' is not an integer; expected e.g. [0, 3, 6, 9]");
            }
        }
        if (out.isEmpty() || out.get(0) != 0) {
            throw new IllegalArgumentException("broker_transport_options.priority_steps must start with 0, was " + out);
        }
        for (int i = 1; i < out.size(); i++) {
            if (out.get(i) <= out.get(i - 1)) {
                throw new IllegalArgumentException("broker_transport_options.priority_steps must be ascending, was " + out);
            }
        }
        return out;
    }

    private static String str(Map<String, Object> o, String k, String def) {
        Object v = o.get(k);
        return v == null ? def : String.valueOf(v);
    }

    private static Duration duration(Map<String, Object> o, String k, Duration def) {
        Object v = o.get(k);
        if (v == null) {
            return def;
        }
        if (v instanceof Number n) {
            return Durations.ofSeconds(n.doubleValue());
        }
        return Durations.parse("broker_transport_options." + k, String.valueOf(v).trim());
    }

    private static double number(Map<String, Object> o, String k, double def) {
        Object v = o.get(k);
        if (v == null) {
            return def;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(String.valueOf(v).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("broker_transport_options." + k + ": '" + v + "' is not a number");
        }
    }

    private static boolean bool(Map<String, Object> o, String k, boolean def) {
        Object v = o.get(k);
        if (v == null) {
            return def;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        return switch (String.valueOf(v).trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new IllegalArgumentException("broker_transport_options." + k + ": '" + v + "' is not a boolean");
        };
    }
}
