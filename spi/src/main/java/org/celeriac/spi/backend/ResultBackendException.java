package org.celeriac.spi.backend;

import org.celeriac.api.CeleriacException;

/** The result backend failed. Messages never include the backend URL's password. */
public class ResultBackendException extends CeleriacException {
    private static final long serialVersionUID = 1L;

    public ResultBackendException(String message) {
        super(message);
    }

    public ResultBackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
