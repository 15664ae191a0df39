package org.celeriac.api;

import java.util.List;
import java.util.Map;

/**
 * The task contract: a named unit of work with options, found through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/org.celeriac.api.TaskDefinition}).
 * {@link Task @Task} methods become implementations of this interface at build time; a hand-written
 * implementation works the same way. (The simple name {@code Task} is taken by the annotation.)
 *
 * <p>Implementations must be thread-safe: a worker calls {@link #run} from many threads at once.
 * They need a public no-argument constructor to be found by {@code ServiceLoader}.
 *
 * <p>Mirrors {@code celery/app/task.py Task}: {@code name}, the options, and {@code run(*args, **kwargs)}.
 */
public interface TaskDefinition {

    /** The registered name, e.g. {@code "tasks.add"}: the dispatch key of protocol v2's {@code task} header. */
    String name();

    /** The task's options; fields left null fall back to the app's settings. */
    TaskOptions options();

    /**
     * Runs the task once.
     *
     * @param context the running request; never null
     * @param args positional arguments as decoded from the message (the Python-like value model:
     *        null, Boolean, Long, BigInteger, Double, String, List, Map); unmodifiable
     * @param kwargs keyword arguments, likewise; unmodifiable
     * @return the task's return value (anything the configured serializer can encode), or null
     * @throws RetryException when the task asked to be retried ({@link TaskContext#retry})
     * @throws TaskArgumentException when the arguments do not fit the parameters (Python's TypeError)
     * @throws Exception any failure of the task itself; stored as FAILURE with its stack trace
     */
    Object run(TaskContext context, List<Object> args, Map<String, Object> kwargs) throws Exception;

    /**
     * The class that declares this task ({@code celeriac worker -A} narrows the served tasks to one
     * such class). Generated definitions return the class holding the {@code @Task} method.
     */
    default Class<?> declaringClass() {
        return getClass();
    }

    /**
     * The task's automatic retry options ({@code autoretry_for}, {@code retry_backoff}, …). Generated
     * definitions return what {@link Task @Task} declares; the default is {@link RetryPolicy#NONE}.
     */
    default RetryPolicy retryPolicy() {
        return RetryPolicy.NONE;
    }
}
