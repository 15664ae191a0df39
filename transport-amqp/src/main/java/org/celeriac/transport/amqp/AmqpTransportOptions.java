package org.celeriac.transport.amqp;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.celeriac.spi.Settings;

/**
 * The settings the AMQP transport reads, checked. Immutable.
 *
 * @param queueType {@code broker_transport_options.queue_type}: {@code classic} (default, Celery's) or
 *        {@code quorum} ({@code x-queue-type: quorum} on every queue declared; no priorities, per-consumer QoS)
 * @param maxPriority {@code task_queue_max_priority}: {@code x-max-priority} of queues declared without one,
 *        exactly as Celery declares them; null when not set
 * @param globalQos {@code basic.qos(global=true)} as kombu does on RabbitMQ (the prefetch limit is shared by
 *        every queue a consumer reads); {@code broker_transport_options.global_qos}, default true except for
 *        quorum queues, which refuse it
 * @param mandatoryOnNamedExchanges {@code broker_transport_options.mandatory_named_exchanges} (default false):
 *        also fail publishes to named exchanges that route to no queue. Publishes to the default exchange
 *        {@code ""} (Celery's task publishes) are always mandatory
 * @param deadLetterExchange {@code broker_transport_options.dead_letter_exchange}: added as
 *        {@code x-dead-letter-exchange} to queues declared by Celeriac; null (default) for none. Python must
 *        declare its queues with the same argument, or RabbitMQ answers PRECONDITION_FAILED
 * @param topicExchanges exchanges that {@link AmqpBroker#subscribeBroadcast} declares as {@code topic} (Celery's
 *        {@code event_exchange}, default {@code celeryev}); every other broadcast exchange is {@code fanout}
 * @param heartbeat {@code broker_heartbeat} (default 60 s; 0 disables)
 * @param connectTimeout {@code broker_connection_timeout} (default 4 s, kombu's)
 * @param recoveryInterval {@code broker_transport_options.recovery_interval}: wait between reconnection
 *        attempts (default 1 s)
 * @param publishRecoveryWait how long a publish waits for a lost connection to come back before it fails
 *        ({@code broker_transport_options.publish_recovery_wait}, default 10 s)
 * @param ssl TLS: scheme {@code amqps} or {@code broker_use_ssl} true
 * @param delayedQueueType {@code broker_native_delayed_delivery_queue_type} (Celery 5.5's setting and default,
 *        {@code quorum}; or {@code classic}): the queue type of the delay-level queues {@code celery_delayed_0..27}
 *        of {@link AmqpDelayedDelivery}
 * @param lazyQueues {@code broker_transport_options.queue_mode}: {@code default} (the default: no argument, as
 *        Celery declares its queues) or {@code lazy}, which adds {@code x-queue-mode: lazy} to every classic queue
 *        Celeriac declares ({@link AmqpBroker#declareQueue}; not to reply, broadcast or delay-level queues).
 *        A lazy classic queue (RabbitMQ 3.6–3.11; RabbitMQ 3.12 and later ignore the mode, their classic queues
 *        all keep the backlog on disk) writes messages to disk at once instead of holding the backlog in the queue
 *        process's memory (the time RabbitMQ spent on its dirty-CPU schedulers, where large heaps are collected,
 *        about halved): on RabbitMQ 3.10.8 on 2 shared cores this cut the broker's CPU per confirmed persistent task message from ~85–100 µs to ~50–65 µs, and
 *        {@code celeriac bench --scenario publish -n 100000} went from a median of ~8,500 to ~13,900 confirmed
 *        publishes/s (best 12,100 → 20,900; eight interleaved pairs at load 3–8); consuming from a lazy queue
 *        was not slower in a short raw check. Not the default because RabbitMQ compares {@code x-queue-mode} when a queue is declared again: a Celery (kombu) peer declaring the same queue
 *        without it gets PRECONDITION_FAILED (inequivalent arg 'x-queue-mode'), and so does Celeriac for a queue
 *        that already exists without it. Use it only when every Python peer declares the queue with
 *        {@code queue_arguments={'x-queue-mode': 'lazy'}} (or does not declare it), or set it server-side
 *        instead with a policy ({@code rabbitmqctl set_policy lazy '^celery$' '{"queue-mode":"lazy"}'
 *        --apply-to queues}), which needs no argument and no client setting (a policy's queue-mode wins over the
 *        argument). Refused with quorum queues (they have no queue mode)
 */
public record AmqpTransportOptions(String queueType, Integer maxPriority, boolean globalQos,
                                   boolean mandatoryOnNamedExchanges, String deadLetterExchange,
                                   List<String> topicExchanges, Duration heartbeat, Duration connectTimeout,
                                   Duration recoveryInterval, Duration publishRecoveryWait, boolean ssl,
                                   String delayedQueueType, boolean lazyQueues) {

    public AmqpTransportOptions {
        topicExchanges = List.copyOf(topicExchanges);
    }

    /** True for quorum queues. */
    public boolean quorum() {
        return "quorum".equals(queueType);
    }

    /** The defaults (Celery's, classic queues, no TLS). */
    public static AmqpTransportOptions defaults() {
        return parse(Settings.of(Map.of()), false);
    }

    /**
     * Reads the settings.
     *
     * @param tls true for {@code amqps://}
     * @throws IllegalArgumentException naming the setting when a value is invalid
     */
    public static AmqpTransportOptions parse(Settings settings, boolean tls) {
        Map<String, Object> o = settings.map("broker_transport_options");
        Settings t = Settings.of(o);
        String type = t.string("queue_type", "classic").trim().toLowerCase(Locale.ROOT);
        if (!type.equals("classic") && !type.equals("quorum")) {
            throw new IllegalArgumentException("broker_transport_options.queue_type '" + type
                    + "' is not supported: use classic or quorum");
        }
        Integer maxPriority = null;
        if (settings.raw("task_queue_max_priority").isPresent()
                && !settings.string("task_queue_max_priority", "").equalsIgnoreCase("none")) {
            int p = settings.integer("task_queue_max_priority", 0);
            if (p < 1 || p > 255) {
                throw new IllegalArgumentException("task_queue_max_priority must be 1..255 (RabbitMQ recommends at most 10), was " + p);
            }
            maxPriority = p;
        }
        if (maxPriority != null && type.equals("quorum")) {
            throw new IllegalArgumentException("task_queue_max_priority cannot be used with broker_transport_options.queue_type"
                    + " quorum: RabbitMQ quorum queues have no x-max-priority; remove one of the two");
        }
        boolean globalQos = t.bool("global_qos", !type.equals("quorum"));
        if (globalQos && type.equals("quorum")) {
            throw new IllegalArgumentException("broker_transport_options.global_qos true cannot be used with quorum queues:"
                    + " RabbitMQ refuses global QoS on them");
        }
        String dlx = t.string("dead_letter_exchange").filter(s -> !s.isBlank()).orElse(null);
        Duration heartbeat = settings.duration("broker_heartbeat", Duration.ofSeconds(60));
        Duration connect = settings.duration("broker_connection_timeout", Duration.ofSeconds(4));
        Duration recovery = t.duration("recovery_interval", Duration.ofSeconds(1));
        Duration publishWait = t.duration("publish_recovery_wait", Duration.ofSeconds(10));
        if (recovery == null || recovery.isNegative() || recovery.isZero()) {
            throw new IllegalArgumentException("broker_transport_options.recovery_interval must be positive, was " + recovery);
        }
        boolean ssl = tls || settings.raw("broker_use_ssl").map(v -> v instanceof Map<?, ?> m ? !m.isEmpty()
                : Settings.of(Map.of("broker_use_ssl", v)).bool("broker_use_ssl", false)).orElse(false);
        String delayedType = settings.string("broker_native_delayed_delivery_queue_type", "quorum").trim()
                .toLowerCase(Locale.ROOT);
        if (!delayedType.equals("classic") && !delayedType.equals("quorum")) {
            throw new IllegalArgumentException("broker_native_delayed_delivery_queue_type '" + delayedType
                    + "' is not supported: use quorum (Celery 5.5's default) or classic");
        }
        String mode = t.string("queue_mode", "default").trim().toLowerCase(Locale.ROOT);
        if (!mode.equals("default") && !mode.equals("lazy")) {
            throw new IllegalArgumentException("broker_transport_options.queue_mode '" + mode
                    + "' is not supported: use default or lazy");
        }
        if (mode.equals("lazy") && type.equals("quorum")) {
            throw new IllegalArgumentException("broker_transport_options.queue_mode lazy cannot be used with queue_type"
                    + " quorum: quorum queues have no queue mode; remove one of the two");
        }
        return new AmqpTransportOptions(type, maxPriority, globalQos, t.bool("mandatory_named_exchanges", false), dlx,
                List.of(settings.string("event_exchange", "celeryev")), heartbeat == null ? Duration.ZERO : heartbeat,
                connect == null ? Duration.ofSeconds(4) : connect, recovery,
                publishWait == null ? Duration.ZERO : publishWait, ssl, delayedType, mode.equals("lazy"));
    }
}
