package org.celeriac.api;

/**
 * The task ran past its hard time limit (Celery's {@code celery.exceptions.TimeLimitExceeded}). The worker
 * stores it as the task's FAILURE at once ({@code exc_type TimeLimitExceeded}, {@code exc_module
 * celery.exceptions}, the limit in seconds as its argument), abandons the thread and replaces it; a task never
 * sees this exception itself.
 */
public class TimeLimitExceededException extends CeleriacException {
    private static final long serialVersionUID = 1L;
    private final double seconds;

    /** @param seconds the hard limit that was exceeded, in seconds */
    public TimeLimitExceededException(double seconds) {
        super("TimeLimitExceeded(" + seconds + ")");
        this.seconds = seconds;
    }

    /** The hard limit that was exceeded, in seconds. */
    public double seconds() {
        return seconds;
    }
}
