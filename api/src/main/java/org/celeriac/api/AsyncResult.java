package org.celeriac.api;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A handle on a task's result (Celery's {@code celery.result.AsyncResult}). Thread-safe. Reads go to
 * the result backend; {@link #get} blocks until the task is ready or the timeout passes.
 *
 * @param <T> the expected result type; values are converted from the decoded wire value
 *           (Python-like model) when read
 */
public interface AsyncResult<T> {

    /** The task id. */
    String id();

    /** The current state; PENDING when the backend knows nothing of the id. Blocks for one backend read. */
    TaskState state();

    /** True in SUCCESS, FAILURE or REVOKED. */
    default boolean ready() {
        return state().isReady();
    }

    /** True in SUCCESS. */
    default boolean successful() {
        return TaskState.SUCCESS.equals(state());
    }

    /** True in FAILURE. */
    default boolean failed() {
        return TaskState.FAILURE.equals(state());
    }

    /**
     * Waits for the result and returns it; re-throws a failure (Celery {@code get(propagate=True)}).
     *
     * @param timeout how long to wait at most; null waits forever
     * @throws TaskFailedException when the task ended in FAILURE or REVOKED
     * @throws ResultTimeoutException when the timeout passed first
     * @throws CeleriacException when the result backend cannot be read, or there is none
     *         ({@code result_backend} is not configured); or when interrupted (the interrupt flag is kept)
     */
    T get(Duration timeout);

    /**
     * Like {@link #get(Duration)}; with {@code propagate = false} a failed task's exception info is
     * returned as the value (a {@code Map} with {@code exc_type}, {@code exc_message}, {@code exc_module})
     * instead of thrown.
     */
    T get(Duration timeout, boolean propagate);

    /** The value stored now, without waiting: the return value, exception info, or meta of a custom state; nullable. */
    Object result();

    /** The remote traceback of a failed task; nullable. */
    String traceback();

    /** Removes the result from the backend (Celery {@code forget()}). */
    void forget();

    /**
     * A future that completes with the result, or exceptionally with {@link TaskFailedException}.
     * Completing it needs no caller thread; cancelling it stops the wait, not the task.
     */
    CompletableFuture<T> toCompletableFuture();
}
