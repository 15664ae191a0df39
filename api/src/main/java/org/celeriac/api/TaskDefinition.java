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

    /**
     * What a task does, as a lambda: {@link #run}'s contract (same arguments, return value and exceptions).
     * Implementations must be thread-safe.
     */
    @FunctionalInterface
    interface Body {
        /** See {@link TaskDefinition#run}. */
        Object run(TaskContext context, List<Object> args, Map<String, Object> kwargs) throws Exception;
    }

    /**
     * A task from a lambda, for apps that register tasks in code ({@code TaskRegistry.of(...)}) rather than through
     * {@link Task @Task} and {@code ServiceLoader} (it has no no-argument constructor, so it cannot be listed in
     * {@code META-INF/services}). Its {@link #declaringClass()} is the class whose code holds the lambda (for
     * {@code celeriac worker -A}). Immutable; as thread-safe as {@code body}.
     *
     * @param name the registered name, e.g. {@code "tasks.add"}; not null
     * @param options the options; not null ({@link TaskOptions#DEFAULTS} for none)
     * @param body what the task does; not null
     * @return a new definition; never null
     * @throws NullPointerException when an argument is null
     */
    static TaskDefinition of(String name, TaskOptions options, Body body) {
        return of(name, options, RetryPolicy.NONE, body);
    }

    /**
     * {@link #of(String, TaskOptions, Body)} with automatic retry options ({@code autoretry_for}, …).
     *
     * @param name the registered name, e.g. {@code "tasks.add"}; not null
     * @param options the options; not null ({@link TaskOptions#DEFAULTS} for none)
     * @param retryPolicy the retry options; not null ({@link RetryPolicy#NONE} for none)
     * @param body what the task does; not null
     * @return a new definition; never null
     * @throws NullPointerException when an argument is null
     */
    static TaskDefinition of(String name, TaskOptions options, RetryPolicy retryPolicy, Body body) {
        java.util.Objects.requireNonNull(name, "name");
        java.util.Objects.requireNonNull(options, "options");
        java.util.Objects.requireNonNull(retryPolicy, "retryPolicy");
        java.util.Objects.requireNonNull(body, "body");
        return new TaskDefinition() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public TaskOptions options() {
                return options;
            }

            @Override
            public Object run(TaskContext context, List<Object> args, Map<String, Object> kwargs) throws Exception {
                return body.run(context, args, kwargs);
            }

            @Override
            public Class<?> declaringClass() {
                return body.getClass().getNestHost(); // a lambda's hidden class is nested in the class that wrote it
            }

            @Override
            public RetryPolicy retryPolicy() {
                return retryPolicy;
            }

            @Override
            public String toString() {
                return "TaskDefinition[" + name + "]";
            }
        };
    }
}
