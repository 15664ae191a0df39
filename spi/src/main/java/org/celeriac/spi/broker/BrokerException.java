package org.celeriac.spi.broker;

import org.celeriac.api.CeleriacException;

/**
 * The transport failed: connection lost, the server refused, the consumer is closed. Messages never
 * include the password of the broker URL.
 */
public class BrokerException extends CeleriacException {
    private static final long serialVersionUID = 1L;

    public BrokerException(String message) {
        super(message);
    }

    public BrokerException(String message, Throwable cause) {
        super(message, cause);
    }
}
