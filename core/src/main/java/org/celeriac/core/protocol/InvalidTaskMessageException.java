package org.celeriac.core.protocol;

import org.celeriac.api.CeleriacException;

/**
 * A message that cannot be turned into a task request (Celery's {@code InvalidTaskError} /
 * {@code ContentDisallowed} / {@code DecodeError}): it is rejected without requeue and logged.
 * Carries the task id and name when they could be read.
 */
public class InvalidTaskMessageException extends CeleriacException {
    private static final long serialVersionUID = 1L;
    private final String taskId;
    private final String taskName;

    public InvalidTaskMessageException(String message, String taskId, String taskName, Throwable cause) {
        super(message, cause);
        this.taskId = taskId;
        this.taskName = taskName;
    }

    /** Nullable. */
    public String taskId() {
        return taskId;
    }

    /** Nullable. */
    public String taskName() {
        return taskName;
    }
}
