package org.celeriac.spi.broker;

/** An optional feature was used that the transport or backend does not have; the message names the capability. */
public class UnsupportedCapabilityException extends BrokerException {
    private static final long serialVersionUID = 1L;

    public UnsupportedCapabilityException(String message) {
        super(message);
    }
}
