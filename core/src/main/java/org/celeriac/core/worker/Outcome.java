package org.celeriac.core.worker;

import org.celeriac.api.RetryException;
import org.celeriac.spi.backend.ExceptionInfo;

/**
 * What one execution of a task produced. Immutable.
 *
 * @param value the return value (success)
 * @param error the exception (failure or retry); nullable
 * @param info its Celery encoding; nullable
 * @param traceback its traceback text; nullable
 * @param retry the retry request when the task asked for one; nullable
 * @param runtimeNanos how long the task ran
 */
record Outcome(Object value, Throwable error, ExceptionInfo info, String traceback, RetryException retry,
               long runtimeNanos) {
    boolean succeeded() {
        return error == null;
    }
}
