package org.celeriac.api;

/** Base of Celeriac's unchecked exceptions. */
public class CeleriacException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CeleriacException(String message) {
        super(message);
    }

    public CeleriacException(String message, Throwable cause) {
        super(message, cause);
    }
}
