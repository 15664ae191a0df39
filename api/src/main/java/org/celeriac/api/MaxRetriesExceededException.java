package org.celeriac.api;

/** A task asked to be retried more often than its {@code max_retries} (Celery's {@code MaxRetriesExceededError}). */
public class MaxRetriesExceededException extends CeleriacException {
    private static final long serialVersionUID = 1L;

    public MaxRetriesExceededException(String message, Throwable cause) {
        super(message, cause);
    }
}
