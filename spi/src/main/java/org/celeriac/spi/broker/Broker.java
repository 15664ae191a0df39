package org.celeriac.spi.broker;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.celeriac.spi.coordination.Coordination;

/**
 * A transport: one connection (or pool) to a message broker, kombu's {@code Connection} +
 * {@code Channel}. Created by a {@link BrokerProvider}. Thread-safe: every method may be called
 * from any thread.
 *
 * <p>Routing: a message published to exchange {@code ""} goes to the queue named by its routing key
 * (Python Celery publishes tasks that way); a message published to a direct exchange goes to the
 * queues bound to it with that routing key ({@link #declareQueue} binds). A message routed to no
 * queue is dropped, as AMQP does, unless the queue does not exist and the transport creates missing
 * queues (kombu virtual transports do).
 */
public interface Broker extends AutoCloseable {

    /** What this transport can do. Never blocks. */
    BrokerCapabilities capabilities();

    /**
     * Declares a queue, its direct exchange and the binding (kombu {@code queue.declare()}). Idempotent.
     * Blocks until the broker confirmed.
     *
     * @throws BrokerException when the broker refuses (e.g. AMQP PRECONDITION_FAILED on other arguments)
     *         or cannot be reached
     */
    void declareQueue(QueueSpec queue);

    /**
     * Publishes a message. Returns once the message is handed to the connection; the future completes
     * when the broker has it (durably, where {@link BrokerCapabilities#durable()}), or exceptionally
     * with a {@link BrokerException}.
     *
     * @param exchange exchange name; {@code ""} is the default exchange
     * @param routingKey routing key (the queue name for the default exchange)
     * @param message the message
     * @param options optional features; {@link PublishOptions#NONE} for none
     * @throws UnsupportedCapabilityException when {@code options} asks for a capability the transport lacks
     * @throws BrokerException when the message cannot even be handed over (closed)
     */
    CompletableFuture<Void> publish(String exchange, String routingKey, Message message, PublishOptions options);

    /** {@link #publish(String, String, Message, PublishOptions)} without options. */
    default CompletableFuture<Void> publish(String exchange, String routingKey, Message message) {
        return publish(exchange, routingKey, message, PublishOptions.NONE);
    }

    /**
     * Starts consuming from queues. Deliveries go to {@code handler} on the transport's threads, at
     * most {@code prefetch} unsettled at a time. With several queues no queue is starved (kombu's
     * round-robin cycle). Returns once consuming has started.
     *
     * @param queues queue names, already declared; not empty
     * @param prefetch the prefetch limit; 0 means unlimited
     * @throws BrokerException when the broker cannot be reached
     */
    Consumer consume(List<String> queues, int prefetch, DeliveryHandler handler);

    /**
     * Removes every ready message of a queue (not the unacknowledged ones), like {@code celery purge}.
     * Blocks.
     *
     * @return how many messages were removed
     * @throws BrokerException when the broker cannot be reached
     */
    long purge(String queue);

    /**
     * Number of ready messages in a queue, or -1 when the transport cannot tell cheaply. Blocks briefly.
     */
    default long messageCount(String queue) {
        return -1;
    }

    /**
     * Publishes to every subscriber of a fanout exchange (remote control {@code celery.pidbox}, events
     * {@code celeryev}). Nothing is kept for absent subscribers. Non-blocking like {@link #publish}.
     *
     * @throws UnsupportedCapabilityException when {@link BrokerCapabilities#broadcast()} is false
     */
    default CompletableFuture<Void> publishBroadcast(String exchange, String routingKey, Message message) {
        throw new UnsupportedCapabilityException(getClass().getName() + " does not support broadcast "
                + "(BrokerCapabilities.broadcast is false)");
    }

    /**
     * {@link #publishBroadcast}, also telling how many subscribers the broker handed the message to, where the
     * transport can tell. Remote control uses it to stop waiting for replies once every receiver has answered
     * (mingle's {@code hello} at worker start-up) instead of always waiting for its timeout. Celery and kombu have
     * no such call: they always wait the timeout ({@code kombu/pidbox.py Mailbox._collect}).
     *
     * <p>The count is what the broker reports at the moment it routed the message, so it counts exactly the
     * subscribers that got it: one that subscribes later is not counted and never sees the message. It counts the
     * broker's subscriptions (connections), not the handlers behind them: a process that put several handlers for
     * one exchange on one subscription counts once. Redis: the reply of {@code PUBLISH} (receiving clients, pattern
     * subscriptions included, on the server that got it). AMQP: 0 when RabbitMQ returned the mandatory publish (no
     * queue bound), else unknown. Non-blocking like {@link #publish}. Thread-safe.
     *
     * <p>The default delegates to {@link #publishBroadcast} and completes with an empty count (unknown), which
     * callers must treat as "wait the full timeout".
     *
     * @param exchange the fanout exchange, e.g. {@code celery.pidbox}; not null
     * @param routingKey the routing key; {@code ""} for none
     * @param message the message; not null
     * @return completes with the number of receiving subscriptions (≥ 0), or an empty {@link OptionalInt} when the
     *         transport cannot tell; completes exceptionally with a {@link BrokerException} as
     *         {@link #publishBroadcast} does
     * @throws UnsupportedCapabilityException when {@link BrokerCapabilities#broadcast()} is false
     */
    default CompletableFuture<OptionalInt> publishBroadcastCounted(String exchange, String routingKey, Message message) {
        return publishBroadcast(exchange, routingKey, message).thenApply(v -> OptionalInt.empty());
    }

    /**
     * Subscribes to a fanout exchange. Messages published after this returns are delivered.
     *
     * @throws UnsupportedCapabilityException when {@link BrokerCapabilities#broadcast()} is false
     */
    default Subscription subscribeBroadcast(String exchange, BroadcastHandler handler) {
        throw new UnsupportedCapabilityException(getClass().getName() + " does not support broadcast "
                + "(BrokerCapabilities.broadcast is false)");
    }

    /** Leases, counters and key/value with TTL stored in this broker, when it offers them. */
    default Optional<Coordination> coordination() {
        return Optional.empty();
    }

    /** Closes the connection; open consumers are closed as by {@link Consumer#close()}. Idempotent, blocking. */
    @Override
    void close();
}
