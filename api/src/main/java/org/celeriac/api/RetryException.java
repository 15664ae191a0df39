package org.celeriac.api;

import java.time.Duration;

/**
 * Thrown by a task to be retried (Celery's {@code celery.exceptions.Retry}); build it with
 * {@link TaskContext#retry}. The worker publishes the same task id again with {@code retries + 1}
 * and an ETA of now + {@link #countdown()}, and stores state RETRY.
 */
public class RetryException extends CeleriacException {
    private static final long serialVersionUID = 1L;
    private final transient Duration countdown;

    /**
     * @param countdown delay before the retry runs; never null
     * @param cause the reason; nullable
     */
    public RetryException(Duration countdown, Throwable cause) {
        super("Retry in " + Durations.toSeconds(countdown) + "s" + (cause == null ? "" : ": " + cause), cause);
        this.countdown = countdown;
    }

    /** Delay before the retry runs. */
    public Duration countdown() {
        return countdown;
    }
}
