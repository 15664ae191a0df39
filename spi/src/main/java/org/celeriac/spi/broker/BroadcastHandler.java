package org.celeriac.spi.broker;

/**
 * Receives broadcast messages (remote control, events). Called on the transport's thread; must not
 * block for long or throw (exceptions are logged and ignored).
 */
@FunctionalInterface
public interface BroadcastHandler {
    /**
     * @param routingKey the routing key it was published with
     * @param message the message
     */
    void onMessage(String routingKey, Message message);
}
