package org.celeriac.transport.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.celeriac.api.Durations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kombu 5.2.4's Redis {@code broker_transport_options} ({@code kombu/transport/redis.py Channel.from_transport_options},
 * {@code SentinelChannel}), parsed and checked. Immutable and thread-safe.
 *
 * @param visibilityTimeout how long a delivery may stay unacknowledged before any consumer's restore gives it
 *        back to its queue ({@code visibility_timeout}, default 3600 s, kombu's default)
 * @param prioritySteps the priority buckets, ascending, starting at 0 ({@code priority_steps}, default
 *        {@code [0, 3, 6, 9]})
 * @param sep the separator of priority list names and binding members ({@code sep}, default {@code \x06\x16})
 * @param queueOrder {@code queue_order_strategy}: {@code round_robin} (default), {@code priority}, {@code sorted}
 * @param keyPrefix {@code global_keyprefix}: prefixed to every key and pub/sub channel; empty by default
 * @param unackedKey {@code unacked_key}, default {@code unacked}
 * @param unackedIndexKey {@code unacked_index_key}, default {@code unacked_index}
 * @param unackedMutexKey {@code unacked_mutex_key}, default {@code unacked_mutex}
 * @param unackedMutexExpire {@code unacked_mutex_expire}, default 300 s
 * @param unackedRestoreLimit {@code unacked_restore_limit}: at most this many restored per pass; 0 = no limit
 * @param fanoutPrefix the broadcast channel prefix before the exchange name, with {@code {db}} replaced by the
 *        database number: {@code fanout_prefix} true (default) gives {@code /{db}.}, false gives {@code ""}, a
 *        string is used as given (kombu: "must include a leading slash and a trailing dot")
 * @param fanoutPatterns {@code fanout_patterns} (default true): the routing key is in broadcast channel names
 * @param masterName {@code master_name} for Sentinel URLs; nullable
 * @param sentinelPassword the {@code password} of {@code sentinel_kwargs}: authenticates to the Sentinels
 *        (the URL's password authenticates to the master); nullable
 * @param socketTimeout {@code socket_timeout}: how long a command may wait for its reply (blocking peeks get
 *        their own wait on top); null (kombu's default, "no timeout") means 30 s here
 * @param socketConnectTimeout {@code socket_connect_timeout}: TCP connect timeout; null means 10 s
 * @param socketKeepalive {@code socket_keepalive}: TCP keep-alive on every connection (default true here;
 *        redis-py leaves it off)
 * @param healthCheckInterval {@code health_check_interval} (kombu's default 25 s): how often the command and
 *        pub/sub connections are checked with {@code PING}; zero disables
 * @param maxConnections {@code max_connections}: the most connections one broker opens (command, pub/sub and
 *        wake-up connections); 0 = no bound (the default: kombu's pool default of 10 does not fit this
 *        transport's one-connection-per-watched-list wake-up, see the README)
 */
public record RedisTransportOptions(Duration visibilityTimeout, List<Integer> prioritySteps, String sep,
                                    QueueOrder queueOrder, String keyPrefix, String unackedKey, String unackedIndexKey,
                                    String unackedMutexKey, Duration unackedMutexExpire, int unackedRestoreLimit,
                                    String fanoutPrefix, boolean fanoutPatterns, String masterName,
                                    String sentinelPassword, Duration socketTimeout, Duration socketConnectTimeout,
                                    boolean socketKeepalive, Duration healthCheckInterval, int maxConnections) {
    private static final Logger LOG = LoggerFactory.getLogger(RedisTransportOptions.class);

    /** kombu's default separator, the two bytes 0x06 0x16. */
    public static final String DEFAULT_SEP = "\u0006\u0016";
    /** The command timeout used when {@code socket_timeout} is not set. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(30);
    /** The connect timeout used when {@code socket_connect_timeout} is not set. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** kombu's {@code DEFAULT_HEALTH_CHECK_INTERVAL}. */
    public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = Duration.ofSeconds(25);

    /** The options this transport implements (all of kombu 5.2.4's that make sense here). */
    static final Set<String> SUPPORTED = Set.of("visibility_timeout", "priority_steps", "sep", "queue_order_strategy",
            "global_keyprefix", "unacked_key", "unacked_index_key", "unacked_mutex_key", "unacked_mutex_expire",
            "unacked_restore_limit", "fanout_prefix", "fanout_patterns", "master_name", "sentinel_kwargs",
            "socket_timeout", "socket_connect_timeout", "socket_keepalive", "health_check_interval",
            "max_connections", "ack_emulation", "body_encoding",
            // read by core at start: the broker_connection_retry_on_startup schedule (kombu's names)
            "interval_start", "interval_step", "interval_max");

    /** kombu options (or kombu {@code Connection} options read from the same map) that this transport does not honour. */
    private static final Map<String, String> UNSUPPORTED = Map.ofEntries(
            Map.entry("socket_keepalive_options", "TCP keep-alive tuning is not exposed; socket_keepalive switches it on or off"),
            Map.entry("retry_on_timeout", "a timed-out command is not re-sent; lettuce reconnects and re-sends what it had "
                    + "buffered, and consumers retry their claims by themselves"),
            Map.entry("min_other_sentinels", "the master address of the first Sentinel that answers is used"),
            Map.entry("deadletter_queue", "a message routed to no queue is dropped (DEBUG log)"),
            Map.entry("polling_interval", "consumers never poll: they wait with a blocking peek"),
            Map.entry("max_retries", "the transport reconnects by itself, without a retry limit; at start "
                    + "broker_connection_max_retries bounds the attempts"));

    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    /** {@code queue_order_strategy}: the order in which one consumer's queues are tried ({@code kombu.utils.scheduling}). */
    public enum QueueOrder {
        /** {@code round_robin}: the starting queue rotates after each claim, so every queue gets its turn. */
        ROUND_ROBIN,
        /** {@code priority}: always in the order given; a busy first queue starves the others. */
        PRIORITY,
        /** {@code sorted}: always in alphabetical order; a busy first queue starves the others. */
        SORTED
    }

    public RedisTransportOptions {
        prioritySteps = List.copyOf(prioritySteps);
    }

    /** kombu's defaults. */
    public static RedisTransportOptions defaults() {
        return parse(Map.of());
    }

    /**
     * Parses {@code broker_transport_options}. Options this transport does not honour (see {@link #problems})
     * are logged at WARN once per process and option name, and otherwise ignored, as kombu ignores unknown keys.
     *
     * @throws IllegalArgumentException naming the option when a value is invalid
     */
    public static RedisTransportOptions parse(Map<String, Object> o) {
        problems(o).forEach((name, why) -> {
            if (WARNED.add(name)) {
                LOG.warn("broker_transport_options.{}: {}", name, why);
            }
        });
        Duration vt = duration(o, "visibility_timeout", Duration.ofHours(1));
        if (vt == null || vt.isZero() || vt.isNegative()) {
            throw new IllegalArgumentException("broker_transport_options.visibility_timeout must be positive, was " + vt);
        }
        List<Integer> steps = steps(o.get("priority_steps"));
        String strategy = str(o, "queue_order_strategy", "round_robin").toLowerCase(Locale.ROOT);
        QueueOrder order = switch (strategy) {
            case "round_robin" -> QueueOrder.ROUND_ROBIN;
            case "priority" -> QueueOrder.PRIORITY;
            case "sorted" -> QueueOrder.SORTED;
            default -> throw new IllegalArgumentException("broker_transport_options.queue_order_strategy '" + strategy
                    + "' is not one of round_robin, priority, sorted");
        };
        String sep = str(o, "sep", DEFAULT_SEP);
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("broker_transport_options.sep must not be empty");
        }
        int limit = (int) number(o, "unacked_restore_limit", 0);
        Duration socketTimeout = positiveOrNull(o, "socket_timeout");
        Duration connectTimeout = positiveOrNull(o, "socket_connect_timeout");
        Duration health = duration(o, "health_check_interval", DEFAULT_HEALTH_CHECK_INTERVAL);
        if (health == null || health.isNegative()) {
            health = Duration.ZERO;
        }
        int maxConnections = (int) number(o, "max_connections", 0);
        if (maxConnections < 0) {
            throw new IllegalArgumentException("broker_transport_options.max_connections must be >= 0, was "
                    + maxConnections);
        }
        if (maxConnections == 1) {
            throw new IllegalArgumentException("broker_transport_options.max_connections must be 0 (no bound) or at "
                    + "least 2 (one command connection, one wake-up connection), was 1");
        }
        return new RedisTransportOptions(vt, steps, sep, order, str(o, "global_keyprefix", ""),
                str(o, "unacked_key", "unacked"), str(o, "unacked_index_key", "unacked_index"),
                str(o, "unacked_mutex_key", "unacked_mutex"),
                duration(o, "unacked_mutex_expire", Duration.ofSeconds(300)), Math.max(0, limit),
                fanoutPrefix(o.get("fanout_prefix")), bool(o, "fanout_patterns", true),
                o.get("master_name") == null ? null : String.valueOf(o.get("master_name")), sentinelPassword(o),
                socketTimeout, connectTimeout, bool(o, "socket_keepalive", true), health, maxConnections);
    }

    /**
     * The options in {@code o} that this transport does not honour, each with the reason: kombu options it does
     * not implement, values it does not support ({@code ack_emulation: false}, a {@code body_encoding} other than
     * base64, {@code sentinel_kwargs} other than {@code password}), and names that are no kombu Redis option at all.
     *
     * @return option name → why it is ignored, in the order of {@code o}; empty when everything is honoured
     */
    public static Map<String, String> problems(Map<String, Object> o) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : o.entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            if (UNSUPPORTED.containsKey(k)) {
                out.put(k, "not supported by the Celeriac Redis transport, ignored: " + UNSUPPORTED.get(k));
            } else if (k.equals("ack_emulation") && v != null && !truthy(v)) {
                out.put(k, "ack_emulation=False is not supported, ignored: deliveries are always recorded in "
                        + "unacked and restored after visibility_timeout");
            } else if (k.equals("body_encoding") && v != null && !String.valueOf(v).equalsIgnoreCase("base64")) {
                out.put(k, "'" + v + "' is not supported, ignored: bodies are written base64 (any encoding is read)");
            } else if (k.equals("sentinel_kwargs") && v instanceof Map<?, ?> m) {
                for (Object sk : m.keySet()) {
                    if (!"password".equals(sk)) {
                        out.put(k + "." + sk, "not supported, ignored: only sentinel_kwargs.password is used");
                    }
                }
            } else if (!SUPPORTED.contains(k)) {
                out.put(k, "not a kombu Redis transport option that Celeriac knows, ignored (supported: "
                        + String.join(", ", new java.util.TreeSet<>(SUPPORTED)) + ")");
            }
        }
        return out;
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

    /** The command timeout: {@code socket_timeout}, or {@link #DEFAULT_COMMAND_TIMEOUT}. */
    public Duration commandTimeout() {
        return socketTimeout != null ? socketTimeout : DEFAULT_COMMAND_TIMEOUT;
    }

    /** The TCP connect timeout: {@code socket_connect_timeout}, or {@link #DEFAULT_CONNECT_TIMEOUT}. */
    public Duration connectTimeout() {
        return socketConnectTimeout != null ? socketConnectTimeout : DEFAULT_CONNECT_TIMEOUT;
    }

    private static String fanoutPrefix(Object v) {
        if (v == null || v instanceof Boolean) {
            return v == null || (Boolean) v ? "/{db}." : "";
        }
        String s = String.valueOf(v).trim();
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> "/{db}.";
            case "false", "no", "0", "off", "" -> "";
            default -> s;
        };
    }

    private static String sentinelPassword(Map<String, Object> o) {
        Object kw = o.get("sentinel_kwargs");
        if (kw == null) {
            return null;
        }
        if (!(kw instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("broker_transport_options.sentinel_kwargs must be a map such as "
                    + "{\"password\": \"...\"}");
        }
        Object p = m.get("password");
        return p == null ? null : String.valueOf(p);
    }

    private static boolean truthy(Object v) {
        if (v instanceof Boolean b) {
            return b;
        }
        return !List.of("false", "no", "0", "off", "none", "").contains(String.valueOf(v).trim().toLowerCase(Locale.ROOT));
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
                throw new IllegalArgumentException("broker_transport_options.priority_steps: '"
                        + String.valueOf(x).trim() + "' is not an integer; expected e.g. [0, 3, 6, 9]");
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

    private static Duration positiveOrNull(Map<String, Object> o, String k) {
        Duration d = duration(o, k, null);
        if (d != null && (d.isZero() || d.isNegative())) {
            throw new IllegalArgumentException("broker_transport_options." + k + " must be positive (or None), was "
                    + Durations.toSeconds(d) + " s");
        }
        return d;
    }

    private static Duration duration(Map<String, Object> o, String k, Duration def) {
        Object v = o.get(k);
        if (v == null) {
            return def;
        }
        if (v instanceof Number n) {
            return Durations.ofSeconds(n.doubleValue());
        }
        String s = String.valueOf(v).trim();
        if (s.equalsIgnoreCase("none") || s.equalsIgnoreCase("null")) {
            return null;
        }
        return Durations.parse("broker_transport_options." + k, s);
    }

    private static double number(Map<String, Object> o, String k, double def) {
        Object v = o.get(k);
        if (v == null) {
            return def;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        String s = String.valueOf(v).trim();
        if (s.equalsIgnoreCase("none") || s.equalsIgnoreCase("null")) {
            return def;
        }
        try {
            return Double.parseDouble(s);
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
