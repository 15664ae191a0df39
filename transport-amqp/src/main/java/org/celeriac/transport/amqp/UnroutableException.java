package org.celeriac.transport.amqp;

import org.celeriac.spi.broker.BrokerException;

/**
 * A mandatory publish that RabbitMQ returned ({@code basic.return}, 312 NO_ROUTE): no queue is bound to the exchange
 * with that routing key. What a publish future fails with in that case, so callers tell it from a nack or a lost
 * connection without reading the message.
 */
final class UnroutableException extends BrokerException {
    private static final long serialVersionUID = 1L;

    UnroutableException(String message) {
        super(message);
    }
}
