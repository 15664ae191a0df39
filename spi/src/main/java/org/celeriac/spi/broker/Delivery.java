package org.celeriac.spi.broker;

/**
 * A message handed to a consumer, with what the broker assigned ({@code delivery_info}). Settle it
 * exactly once with {@link Consumer#ack} or {@link Consumer#reject}. Immutable and thread-safe.
 *
 * @param message the message
 * @param queue the queue it was consumed from
 * @param exchange the exchange it was published to ({@code ""} for the default exchange); nullable when unknown
 * @param routingKey the routing key it was published with; nullable when unknown
 * @param redelivered true when this message may have been delivered before (requeue, restore, crash)
 * @param deliveryTag the transport's opaque tag for this delivery (a number on AMQP, a UUID on Redis)
 */
public record Delivery(Message message, String queue, String exchange, String routingKey,
                       boolean redelivered, String deliveryTag) {
}
