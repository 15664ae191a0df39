package org.celeriac.core.routing;

import java.util.Map;

/**
 * Where a task message goes (the dict a Celery router returns). Every field is nullable: a missing
 * {@code exchange} means the default exchange ({@code ""}, as Celery publishes to a queue of the same name), a
 * missing {@code routingKey} the queue's name. Immutable.
 *
 * @param queue the queue name
 * @param exchange the exchange name
 * @param routingKey the routing key
 * @param priority the message priority 0..255
 */
public record Route(String queue, String exchange, String routingKey, Integer priority) {

    /** A route to {@code queue} (Celery's {@code 'tasks.add': 'low-priority'}). */
    public static Route toQueue(String queue) {
        return new Route(queue, null, null, null);
    }

    /**
     * A route from a router's value: a queue name, or a dict with {@code queue}, {@code exchange},
     * {@code routing_key}, {@code priority}.
     *
     * @param where the setting being read, for the message
     * @throws IllegalArgumentException naming {@code where} and the accepted forms
     */
    public static Route of(String where, Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Route r) {
            return r;
        }
        if (value instanceof CharSequence s) {
            if (s.toString().isBlank()) {
                throw new IllegalArgumentException(where + ": an empty queue name; use 'queue-name' or {'queue': ..., "
                        + "'exchange': ..., 'routing_key': ...}");
            }
            return toQueue(s.toString());
        }
        if (value instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (!java.util.Set.of("queue", "exchange", "routing_key", "priority", "exchange_type").contains(
                        String.valueOf(k))) {
                    throw new IllegalArgumentException(where + ": unknown key '" + k + "'; a route is a queue name or a"
                            + " dict with queue, exchange, routing_key, priority");
                }
            }
            Object p = m.get("priority");
            Integer priority = null;
            if (p instanceof Number n) {
                priority = n.intValue();
            } else if (p != null) {
                try {
                    priority = Integer.parseInt(String.valueOf(p).trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + ": priority '" + p + "' is not a number 0..255");
                }
            }
            Route r = new Route(str(m.get("queue")), str(m.get("exchange")), str(m.get("routing_key")), priority);
            if (r.queue == null && r.exchange == null && r.routingKey == null) {
                throw new IllegalArgumentException(where + ": " + m + " names no queue, exchange or routing_key");
            }
            return r;
        }
        throw new IllegalArgumentException(where + ": " + value + " (" + value.getClass().getSimpleName()
                + ") is not a route; use a queue name or a dict with queue, exchange, routing_key, priority");
    }

    private static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }
}
