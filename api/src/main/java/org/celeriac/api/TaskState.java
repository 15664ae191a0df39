package org.celeriac.api;

import java.util.Objects;

/**
 * A task state, as Celery names them ({@code celery/states.py}). The set is open: Celery lets a task
 * store custom states ({@code update_state(state="PROGRESS")}), so any non-empty string is a state;
 * the built-in ones are constants. Immutable and thread-safe; compare with {@code equals}.
 *
 * @param name the state's wire name, e.g. {@code "SUCCESS"}
 */
public record TaskState(String name) {
    /** Unknown id, or not run yet. Never stored. */
    public static final TaskState PENDING = new TaskState("PENDING");
    /** A worker received the message (events only). */
    public static final TaskState RECEIVED = new TaskState("RECEIVED");
    /** Started; stored only with {@code task_track_started}. */
    public static final TaskState STARTED = new TaskState("STARTED");
    /** Finished; the result is the return value. */
    public static final TaskState SUCCESS = new TaskState("SUCCESS");
    /** Raised; the result is the exception info. */
    public static final TaskState FAILURE = new TaskState("FAILURE");
    /** Will be retried; the result is the exception that caused the retry. */
    public static final TaskState RETRY = new TaskState("RETRY");
    /** Revoked or expired. */
    public static final TaskState REVOKED = new TaskState("REVOKED");

    /**
     * @throws NullPointerException when name is null
     * @throws IllegalArgumentException when name is empty
     */
    public TaskState {
        Objects.requireNonNull(name, "state name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a task state name must not be empty");
        }
    }

    /** The state named {@code name}; the built-in constants are returned for their names. */
    public static TaskState of(String name) {
        return switch (name) {
            case "PENDING" -> PENDING;
            case "RECEIVED" -> RECEIVED;
            case "STARTED" -> STARTED;
            case "SUCCESS" -> SUCCESS;
            case "FAILURE" -> FAILURE;
            case "RETRY" -> RETRY;
            case "REVOKED" -> REVOKED;
            default -> new TaskState(name);
        };
    }

    /** Celery {@code READY_STATES}: SUCCESS, FAILURE, REVOKED. */
    public boolean isReady() {
        return equals(SUCCESS) || equals(FAILURE) || equals(REVOKED);
    }

    /** Celery {@code EXCEPTION_STATES}: RETRY, FAILURE, REVOKED (the result is an exception). */
    public boolean isException() {
        return equals(RETRY) || equals(FAILURE) || equals(REVOKED);
    }

    /** Celery {@code PROPAGATE_STATES}: FAILURE, REVOKED ({@code get()} raises). */
    public boolean propagates() {
        return equals(FAILURE) || equals(REVOKED);
    }

    /**
     * Celery's precedence ({@code states.precedence}): higher wins when two writers race.
     * SUCCESS 8, FAILURE 7, custom states 6, REVOKED 5, STARTED 4, RECEIVED 3, REJECTED 2, RETRY 1, PENDING 0.
     */
    public int precedence() {
        return switch (name) {
            case "SUCCESS" -> 8;
            case "FAILURE" -> 7;
            case "REVOKED" -> 5;
            case "STARTED" -> 4;
            case "RECEIVED" -> 3;
            case "REJECTED" -> 2;
            case "RETRY" -> 1;
            case "PENDING" -> 0;
            default -> 6;
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
