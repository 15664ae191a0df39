package org.celeriac.api;

import java.util.List;
import java.util.Map;

/**
 * Celery's client verbs: call a task by name ({@code send_task}, {@code delay}, {@code apply_async}) and
 * look up results. Implemented by {@code org.celeriac.core.Celeriac}. Thread-safe: one instance is
 * meant to be shared by the whole application; {@link #close()} releases its connections.
 */
public interface Client extends AutoCloseable {

    /**
     * Sends a task by name, for tasks that may live in another program (a Python worker):
     * Celery's {@code app.send_task(name, args, kwargs, **options)}. Returns once the message is
     * handed to the broker connection; the result's future tracks the broker's acknowledgement.
     *
     * @param name task name; must not be empty
     * @param args positional arguments (JSON-like values); null means none
     * @param kwargs keyword arguments; null means none
     * @param options call options; null means {@link ApplyOptions#NONE}
     * @return a handle on the result
     * @throws CeleriacException when the message cannot be encoded or published
     */
    AsyncResult<Object> sendTask(String name, List<?> args, Map<String, ?> kwargs, ApplyOptions options);

    /** A caller for the named task whose results are converted to {@code resultType}. */
    <R> TaskCall<R> task(String name, Class<R> resultType);

    /** A caller for the named task returning the decoded wire value. */
    default TaskCall<Object> task(String name) {
        return task(name, Object.class);
    }

    /** A handle on an existing task id (Celery {@code AsyncResult(id)}). */
    AsyncResult<Object> asyncResult(String taskId);

    /** Releases connections and threads. Idempotent. */
    @Override
    void close();
}
