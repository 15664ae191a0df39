package org.celeriac.spi.backend;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.celeriac.api.TaskState;

/**
 * What a result backend stores for a task: Celery's task meta ({@code celery/backends/base.py
 * _get_result_meta}). Immutable; collections are not copied (pass unmodifiable ones).
 *
 * @param taskId the task id
 * @param state the state
 * @param result the return value (SUCCESS), {@link ExceptionInfo#toMap()} (FAILURE, RETRY, REVOKED),
 *        {@code {"pid", "hostname"}} (STARTED) or a custom state's meta; nullable
 * @param traceback the traceback text of exception states; nullable
 * @param children result tuples of tasks this task sent ({@code [[id, null], null]}); never null
 * @param dateDone when it became ready (UTC); null for unready states
 * @param groupId the group it belongs to; nullable
 * @param parentId the task that sent it; nullable
 * @param extended {@code result_extended} fields: name, args, kwargs, worker, retries, queue; nullable
 */
public record TaskMeta(String taskId, TaskState state, Object result, String traceback, List<Object> children,
                       Instant dateDone, String groupId, String parentId, Extended extended) {

    public TaskMeta {
        if (taskId == null || state == null) {
            throw new NullPointerException("taskId and state are required");
        }
        children = children == null ? List.of() : children;
    }

    /** The meta of a task nothing is known about: PENDING, no result. */
    public static TaskMeta pending(String taskId) {
        return new TaskMeta(taskId, TaskState.PENDING, null, null, List.of(), null, null, null, null);
    }

    /** A ready/unready meta with just a state and result, stamped now when the state is ready. */
    public static TaskMeta of(String taskId, TaskState state, Object result, String traceback) {
        return new TaskMeta(taskId, state, result, traceback, List.of(), state.isReady() ? Instant.now() : null,
                null, null, null);
    }

    /** The exception info when the state is an exception state and the result encodes one. */
    public java.util.Optional<ExceptionInfo> exception() {
        return ExceptionInfo.fromValue(result);
    }

    /**
     * Celery's {@code result_extended} fields. Immutable.
     *
     * @param name task name; nullable
     * @param args positional arguments; nullable
     * @param kwargs keyword arguments; nullable
     * @param worker node name; nullable
     * @param retries retry count; nullable
     * @param queue delivery routing key; nullable
     */
    public record Extended(String name, List<Object> args, Map<String, Object> kwargs, String worker,
                           Integer retries, String queue) {
    }
}
