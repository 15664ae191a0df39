package org.celeriac.api;

/** {@code get(timeout)} ran out of time before the task was ready (Celery's {@code TimeoutError}). */
public class ResultTimeoutException extends CeleriacException {
    private static final long serialVersionUID = 1L;

    public ResultTimeoutException(String message) {
        super(message);
    }
}
