package org.celeriac.api;

import java.time.Duration;

/**
 * A task's options, Celery's names ({@code celery/app/task.py}). Every field is nullable: null
 * means "use the app's setting" ({@code task_acks_late}, {@code task_time_limit}, …).
 * Immutable and thread-safe.
 *
 * @param queue default queue for calls that name none
 * @param rateLimit Celery rate limit string ({@code "10/m"})
 * @param maxRetries {@code max_retries} (Celery default 3)
 * @param defaultRetryDelay {@code default_retry_delay} (Celery default 180 s)
 * @param acksLate {@code acks_late}
 * @param ignoreResult {@code ignore_result}
 * @param timeLimit hard time limit
 * @param softTimeLimit soft time limit
 * @param serializer serializer name for messages of this task ({@code "json"})
 * @param trackStarted {@code track_started}
 */
public record TaskOptions(
        String queue,
        String rateLimit,
        Integer maxRetries,
        Duration defaultRetryDelay,
        Boolean acksLate,
        Boolean ignoreResult,
        Duration timeLimit,
        Duration softTimeLimit,
        String serializer,
        Boolean trackStarted) {

    /** No option set: everything comes from the app's settings. */
    public static final TaskOptions DEFAULTS =
            new TaskOptions(null, null, null, null, null, null, null, null, null, null);

    /**
     * The options an {@link Task @Task} annotation declares (defaults become null).
     *
     * @throws IllegalArgumentException when a duration or rate limit string is malformed; the
     *         message names the option and the accepted forms
     */
    public static TaskOptions of(Task task) {
        return new TaskOptions(
                emptyToNull(task.queue()),
                emptyToNull(RateLimit.validate(task.rateLimit())),
                task.maxRetries() < 0 ? null : task.maxRetries(),
                Durations.parseOrNull("defaultRetryDelay", task.defaultRetryDelay()),
                task.acksLate() ? Boolean.TRUE : null,
                task.ignoreResult() ? Boolean.TRUE : null,
                Durations.parseOrNull("timeLimit", task.timeLimit()),
                Durations.parseOrNull("softTimeLimit", task.softTimeLimit()),
                emptyToNull(task.serializer()),
                task.trackStarted() ? Boolean.TRUE : null);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
