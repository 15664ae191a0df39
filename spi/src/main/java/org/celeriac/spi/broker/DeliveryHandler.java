package org.celeriac.spi.broker;

/**
 * Receives deliveries from a {@link Consumer}. Called by the transport's own thread(s), possibly
 * concurrently; must not block for long (hand the work to a pool) and must not throw — an exception
 * is logged by the transport and the delivery is rejected with requeue.
 */
@FunctionalInterface
public interface DeliveryHandler {
    void onDelivery(Delivery delivery);
}
