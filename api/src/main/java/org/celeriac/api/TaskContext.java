package org.celeriac.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The request a task is running for (Celery's {@code self.request}) and the verbs a running task
 * may use ({@code self.retry}, {@code self.update_state}). One instance per execution; use it only
 * from the thread that runs the task.
 */
public interface TaskContext {

    /** The task id (protocol v2 header {@code id}). */
    String id();

    /** The task's registered name. */
    String name();

    /** Positional arguments as received (unmodifiable). */
    List<Object> args();

    /** Keyword arguments as received (unmodifiable). */
    Map<String, Object> kwargs();

    /** How many times this task was retried before this run (0 on the first run). */
    int retries();

    /** Id of the first task of the workflow; equals {@link #id()} for a top-level call. Nullable for protocol v1. */
    String rootId();

    /** Id of the task that sent this one; nullable. */
    String parentId();

    /** Group id when the task is part of a group or chord header; nullable. */
    String groupId();

    /** The worker's node name, e.g. {@code celery@host}. */
    String hostname();

    /** The ETA the message carried; nullable. */
    Instant eta();

    /** The queue (routing key) the message was delivered from; nullable in eager mode. */
    String deliveryQueue();

    /** All protocol headers of the message, including unknown ones (unmodifiable). */
    Map<String, Object> headers();

    /** True when the task runs in the caller's thread ({@code task_always_eager} or {@code apply}). */
    boolean isEager();

    /** The maximum number of retries in force for this task. */
    int maxRetries();

    /**
     * Asks for this task to be retried after {@code countdown} (Celery {@code self.retry(countdown=…)}):
     * build the exception and throw it — {@code throw ctx.retry(Duration.ofSeconds(5));}.
     *
     * @param countdown delay before the retry runs; null means the task's {@code default_retry_delay}
     * @return the exception to throw
     * @throws MaxRetriesExceededException (returned, not thrown, so the caller's {@code throw} raises
     *         it) when {@link #retries()} already reached {@link #maxRetries()}
     */
    RuntimeException retry(Duration countdown);

    /**
     * Like {@link #retry(Duration)}, recording {@code cause} as the reason (stored with state RETRY).
     * When the maximum is exceeded the returned exception is {@code cause} itself when it is
     * unchecked, as Celery re-raises {@code exc}, and a {@link MaxRetriesExceededException} wrapping
     * it otherwise.
     *
     * @param cause the reason for the retry; nullable
     * @param countdown delay; null means the task's default
     * @param maxRetries overrides the maximum for this call; null keeps the task's
     */
    RuntimeException retry(Throwable cause, Duration countdown, Integer maxRetries);

    /**
     * Stores a state for this task in the result backend (Celery {@code self.update_state}), e.g.
     * {@code ctx.updateState("PROGRESS", Map.of("current", 5, "total", 10))}. Blocks until stored.
     *
     * @param state any state name; custom states are allowed
     * @param meta the result stored with the state; nullable
     */
    void updateState(String state, Map<String, Object> meta);

    /**
     * The object an instance {@code @Task} method runs on, from the worker's
     * {@link TaskInstanceFactory}. Thread-safe.
     */
    <T> T taskInstance(Class<T> type);

    /**
     * Throws when this execution was cancelled: its soft time limit passed or it was revoked with
     * {@code terminate=True}. Long computations that never block should call it now and then; blocking calls see
     * the same cancellation as an interruption. The default checks the thread's interrupt flag.
     *
     * @throws SoftTimeLimitExceededException when cancelled
     */
    default void checkCancelled() {
        if (Thread.currentThread().isInterrupted()) {
            throw new SoftTimeLimitExceededException("SoftTimeLimitExceeded()");
        }
    }
}
