package org.celeriac.api;

import java.util.List;
import java.util.Map;

/**
 * Hooks for Celery's task signals ({@code celery/signals.py}): {@code task_prerun},
 * {@code task_postrun}, {@code task_success}, {@code task_failure}, {@code task_retry}. Every method
 * has an empty default. Called on the thread that runs the task, so implementations must be
 * thread-safe and quick; an exception thrown by a listener is logged and otherwise ignored.
 */
public interface TaskListener {

    /** Before the task runs ({@code task_prerun}). */
    default void taskPrerun(String taskId, String taskName, List<Object> args, Map<String, Object> kwargs) {
    }

    /** After the task ran, whatever the outcome ({@code task_postrun}); {@code state} is the final state. */
    default void taskPostrun(String taskId, String taskName, Object returnValue, TaskState state) {
    }

    /** The task returned ({@code task_success}). */
    default void taskSuccess(String taskId, String taskName, Object result) {
    }

    /** The task raised ({@code task_failure}); {@code traceback} is the stored text. */
    default void taskFailure(String taskId, String taskName, Throwable exception, String traceback) {
    }

    /** The task asked to be retried ({@code task_retry}). */
    default void taskRetry(String taskId, String taskName, Throwable reason) {
    }
}
