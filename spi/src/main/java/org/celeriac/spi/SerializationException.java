package org.celeriac.spi;

import org.celeriac.api.CeleriacException;

/**
 * A value cannot be encoded, or bytes cannot be decoded (Celery's {@code EncodeError} /
 * {@code DecodeError}), or a content type is not accepted ({@code ContentDisallowed}). The message
 * says which and why, without echoing the whole payload.
 */
public class SerializationException extends CeleriacException {
    private static final long serialVersionUID = 1L;

    public SerializationException(String message) {
        super(message);
    }

    public SerializationException(String message, Throwable cause) {
        super(message, cause);
    }
}
