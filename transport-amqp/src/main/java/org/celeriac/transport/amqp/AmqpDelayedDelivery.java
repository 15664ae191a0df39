package org.celeriac.transport.amqp;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Durable delayed delivery without plugins and without holding messages unacknowledged in a consumer (which
 * RabbitMQ's {@code consumer_timeout} punishes, celery#6760): Celery 5.5's <em>native delayed delivery</em>
 * topology ({@code kombu/transport/native_delayed_delivery.py}), declared exactly as kombu declares it so Celery
 * 5.5 peers share it. Thread-safe.
 *
 * <p>28 levels {@code L = 27..0}: a topic exchange {@code celery_delayed_L} and a queue {@code celery_delayed_L}
 * with {@code x-message-ttl = 2^L s}, {@code x-overflow: reject-publish}, {@code x-queue-type} (quorum by default,
 * with {@code x-dead-letter-strategy: at-least-once}) and {@code x-dead-letter-exchange} =
 * {@code celery_delayed_(L-1)} ({@code celery_delayed_delivery} for level 0). The delay in whole seconds (rounded
 * up) is written as 28 binary digits in front of the routing key: {@code 0.0.….1.0.1.<routing key>}; queue
 * {@code celery_delayed_L} is bound with bit L = 1, exchange {@code celery_delayed_(L-1)} to exchange
 * {@code celery_delayed_L} with bit L = 0. A message is published to {@code celery_delayed_27}, waits 2^L s in the
 * queue of every set bit, falls through the others, and reaches the topic exchange {@code celery_delayed_delivery}
 * with its routing key unchanged. There the target is bound with {@code #.<routing key>}: for a publish to the
 * default exchange (a Celery task publish) the queue named by the routing key itself; for a named exchange every
 * queue this broker declared on that exchange and routing key (kombu binds topic exchanges instead).
 *
 * <p>The message sits in a durable queue of RabbitMQ, not in a worker: any worker (Python's included) gets it when
 * it is due; a restart of RabbitMQ keeps it (quorum queues also dead-letter at least once). Precision: the delay
 * is rounded up to whole seconds, plus the hops, so a message comes at most about one second late
 * ({@link #PRECISION}); never early.
 */
final class AmqpDelayedDelivery {
    /** kombu's {@code MAX_NUMBER_OF_BITS_TO_USE}: delays up to 2^28 - 1 s (8.5 years). */
    static final int BITS = 28;
    static final String DELIVERY_EXCHANGE = "celery_delayed_delivery";
    /** The latest a delayed message comes after its instant (whole-second rounding + hops + expiry timers). */
    static final Duration PRECISION = Duration.ofMillis(1500);

    private final AmqpBroker broker;
    private final Set<String> boundQueues = ConcurrentHashMap.newKeySet();
    private volatile boolean declared;

    AmqpDelayedDelivery(AmqpBroker broker) {
        this.broker = broker;
    }

    static String level(int level) {
        return "celery_delayed_" + level;
    }

    /** The exchange a delayed message is published to. */
    static String firstExchange() {
        return level(BITS - 1);
    }

    /**
     * Whole seconds from now until {@code notBefore}, rounded up; 0 when it is due already.
     *
     * @throws IllegalArgumentException beyond 2^28 - 1 s
     */
    static long delaySeconds(Instant notBefore, Instant now) {
        long ms = Duration.between(now, notBefore).toMillis();
        if (ms <= 0) {
            return 0;
        }
        long s = (ms + 999) / 1000;
        if (s >= 1L << BITS) {
            throw new IllegalArgumentException("notBefore " + notBefore + " is " + s + " s away; RabbitMQ delayed delivery "
                    + "reaches at most 2^28 - 1 s (about 8.5 years)");
        }
        return s;
    }

    /** kombu's {@code calculate_routing_key}: 28 binary digits of {@code seconds}, dot-separated, then the key. */
    static String routingKey(long seconds, String routingKey) {
        StringBuilder b = new StringBuilder(BITS * 2 + routingKey.length());
        for (int bit = BITS - 1; bit >= 0; bit--) {
            b.append((seconds >>> bit) & 1).append('.');
        }
        return b.append(routingKey).toString();
    }

    /** Queue arguments of level {@code level}, exactly as kombu declares them. */
    Map<String, Object> levelArguments(int level) {
        Map<String, Object> args = new HashMap<>();
        String type = broker.options().delayedQueueType();
        args.put("x-queue-type", type);
        args.put("x-overflow", "reject-publish");
        long ttl = (1L << level) * 1000L; // an int while it fits, as py-amqp writes it (I), else a long
        args.put("x-message-ttl", ttl <= Integer.MAX_VALUE ? (Object) (int) ttl : (Object) ttl);
        args.put("x-dead-letter-exchange", level > 0 ? level(level - 1) : DELIVERY_EXCHANGE);
        if (type.equals("quorum")) {
            args.put("x-dead-letter-strategy", "at-least-once");
        }
        return args;
    }

    /** Declares the levels once per broker (kombu's {@code declare_native_delayed_delivery_exchanges_and_queues}). */
    void ensureDeclared() {
        if (declared) {
            return;
        }
        synchronized (this) {
            if (declared) {
                return;
            }
            broker.admin("declaring the delayed-delivery levels celery_delayed_27..0 (broker_native_delayed_delivery_"
                    + "queue_type " + broker.options().delayedQueueType() + ")", ch -> {
                String key = "1.#";
                for (int l = BITS - 1; l >= 0; l--) {
                    ch.exchangeDeclare(level(l), "topic", true, false, null);
                    ch.queueDeclare(level(l), true, false, false, levelArguments(l));
                    ch.queueBind(level(l), level(l), key);
                    key = "*." + key;
                }
                key = "0.#";
                for (int l = BITS - 1; l > 0; l--) {
                    ch.exchangeBind(level(l - 1), level(l), key);
                    key = "*." + key;
                }
                ch.exchangeDeclare(DELIVERY_EXCHANGE, "topic", true, false, null);
                ch.exchangeBind(DELIVERY_EXCHANGE, level(0), key);
                return null;
            });
            declared = true;
        }
    }

    /** Binds {@code queue} to {@code celery_delayed_delivery} with {@code #.<routingKey>}, once. */
    void bindTarget(String queue, String routingKey) {
        String id = queue + "\u0000" + routingKey;
        if (boundQueues.contains(id)) {
            return;
        }
        broker.admin("binding queue '" + queue + "' to " + DELIVERY_EXCHANGE + " for delayed delivery",
                ch -> ch.queueBind(queue, DELIVERY_EXCHANGE, "#." + routingKey));
        boundQueues.add(id);
    }
}
