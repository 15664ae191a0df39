package org.celeriac.spi.broker;

/**
 * A running subscription to one or more queues, created by {@link Broker#consume}. At most
 * {@code prefetch} deliveries are outstanding (delivered, not yet settled) at any time. Thread-safe:
 * deliveries may be settled from any thread.
 */
public interface Consumer extends AutoCloseable {

    /**
     * Acknowledges a delivery: the broker forgets the message. Non-blocking: may be batched with other
     * acks (kombu's ack). Acking a delivery twice, or one from another consumer, is ignored with a
     * warning log.
     *
     * @throws BrokerException when the consumer is closed
     */
    void ack(Delivery delivery);

    /**
     * Rejects a delivery. With {@code requeue} the message becomes available again (to any
     * consumer) with {@code redelivered = true}; without, it is dropped or dead-lettered where the
     * transport supports dead-lettering ({@link BrokerCapabilities#deadLetter()}). Non-blocking.
     *
     * @throws BrokerException when the consumer is closed
     */
    void reject(Delivery delivery, boolean requeue);

    /**
     * Changes the prefetch limit (AMQP {@code basic.qos}); 0 means unlimited. The worker raises it
     * while it holds ETA messages, as Celery does. Non-blocking.
     */
    void setPrefetch(int prefetch);

    /** The current prefetch limit; 0 means unlimited. */
    int prefetch();

    /**
     * Stops consuming cleanly: no new deliveries after it returns; deliveries not yet settled are
     * given back to the queue at once (as kombu's Redis transport restores on a clean close).
     * Blocks until done. Idempotent.
     */
    @Override
    void close();
}
