package org.celeriac.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method as a Celery task. The method may be static or an instance method (instances come
 * from the worker's {@link TaskInstanceFactory}); its parameters bind like a Python function's:
 * positional {@code args} first, then {@code kwargs} by parameter name, then
 * {@link DefaultValue @DefaultValue} for what is still missing. A method may take a
 * {@link TaskContext} as its first parameter; it is not counted as an argument.
 *
 * <p>Celeriac's annotation processor (in this jar) turns every {@code @Task} method into a
 * {@link TaskDefinition} registered in {@code META-INF/services/org.celeriac.api.TaskDefinition}
 * at build time. On JDK 23 and later javac only runs it when asked: compile with
 * {@code -proc:full} or list {@code celeriac-api} in {@code annotationProcessorPaths}.
 *
 * <p>Options mirror Celery's task options ({@code celery/app/task.py}); an option left at its
 * default falls back to the app's setting ({@code task_acks_late}, {@code task_ignore_result}, …).
 * Durations are strings: a plain number is seconds as in Celery ({@code "30"}, {@code "1.5"}), or a
 * number with a unit {@code ms}, {@code s}, {@code m}, {@code h}, {@code d} ({@code "30s"}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Task {
    /** The task name shared with Python peers, e.g. {@code "tasks.add"}. Empty: {@code <class name>.<method name>}. */
    String name() default "";

    /** Default queue for calls that name none (Celery {@code queue}). Empty: the router's / {@code task_default_queue}. */
    String queue() default "";

    /** Celery rate limit: {@code "10/s"}, {@code "10/m"}, {@code "100/h"} or a bare number (per second). Empty: none. */
    String rateLimit() default "";

    /** Celery {@code max_retries}; negative means the default (3). */
    int maxRetries() default -1;

    /** Celery {@code default_retry_delay}; empty means the default (180 s). */
    String defaultRetryDelay() default "";

    /** Celery {@code acks_late}: true acknowledges after the task ran; false uses {@code task_acks_late}. */
    boolean acksLate() default false;

    /** Celery {@code ignore_result}: true stores no result; false uses {@code task_ignore_result}. */
    boolean ignoreResult() default false;

    /** Hard time limit (Celery {@code time_limit}); empty: {@code task_time_limit}. */
    String timeLimit() default "";

    /** Soft time limit (Celery {@code soft_time_limit}); empty: {@code task_soft_time_limit}. */
    String softTimeLimit() default "";

    /** Celery {@code serializer} for this task's messages; empty: {@code task_serializer}. */
    String serializer() default "";

    /** Celery {@code track_started}: true stores STARTED; false uses {@code task_track_started}. */
    boolean trackStarted() default false;

    /**
     * Celery {@code autoretry_for}: exception class names (fully qualified or simple; {@code "Exception"} for
     * all) for which the task is retried automatically, up to {@code maxRetries}. Empty: none.
     */
    String[] autoretryFor() default {};

    /**
     * Celery {@code retry_backoff} for automatic retries: {@code "true"} (1 s, doubled at each retry), a
     * number of seconds as the first countdown, or empty/{@code "false"} for {@code defaultRetryDelay}.
     */
    String retryBackoff() default "";

    /** Celery {@code retry_backoff_max}: the largest back-off countdown; empty means 600 s. */
    String retryBackoffMax() default "";

    /** Celery {@code retry_jitter}: randomize back-off countdowns in {@code [0, countdown]}. */
    boolean retryJitter() default true;
}
