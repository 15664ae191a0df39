package org.celeriac.spi.broker;

import java.util.Map;

/**
 * A queue to declare, kombu's {@code Queue(name, Exchange(exchange), routing_key)}: declaring it also
 * declares the direct exchange and binds the queue with the routing key. Celery's default queue is
 * {@code QueueSpec.of("celery")}: exchange {@code celery}, routing key {@code celery}. Every queue is
 * also reachable through the default exchange {@code ""} with its own name as routing key.
 *
 * @param name queue name
 * @param exchange direct exchange name; nullable (then the queue's name)
 * @param routingKey binding key; nullable (then the queue's name)
 * @param durable survives a broker restart
 * @param maxPriority AMQP {@code x-max-priority}; null when the queue has no priorities
 * @param arguments other queue arguments (AMQP {@code x-*}); unmodifiable
 */
public record QueueSpec(String name, String exchange, String routingKey, boolean durable, Integer maxPriority,
                        Map<String, Object> arguments) {

    public QueueSpec {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a queue needs a non-empty name");
        }
        exchange = exchange == null ? name : exchange;
        routingKey = routingKey == null ? name : routingKey;
        arguments = arguments == null ? Map.of() : Map.copyOf(arguments);
    }

    /** A durable queue bound to a direct exchange of its own name with its own name as key (Celery's default). */
    public static QueueSpec of(String name) {
        return new QueueSpec(name, name, name, true, null, Map.of());
    }
}
