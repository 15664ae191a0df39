package org.celeriac.api;

/**
 * The task ran past its soft time limit (Celery's {@code celery.exceptions.SoftTimeLimitExceeded}), or was
 * revoked with {@code terminate=True}. The JVM cannot stop a thread, so the worker interrupts the task's thread:
 * the task sees this exception at its next {@link TaskContext#checkCancelled()}, or an
 * {@link InterruptedException} from its next blocking call, which the worker reports as this exception. A task
 * may catch it to clean up and return (then it succeeds, as in Celery). Stored as
 * {@code exc_type SoftTimeLimitExceeded}, {@code exc_module celery.exceptions}.
 */
public class SoftTimeLimitExceededException extends CeleriacException {
    private static final long serialVersionUID = 1L;

    /** @param message e.g. {@code "SoftTimeLimitExceeded(1.0,)"}; nullable */
    public SoftTimeLimitExceededException(String message) {
        super(message);
    }

    /**
     * @param message nullable
     * @param cause the interruption the task saw; nullable
     */
    public SoftTimeLimitExceededException(String message, Throwable cause) {
        super(message, cause);
    }
}
