package org.celeriac.spi.backend;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.celeriac.spi.coordination.Coordination;

/**
 * Stores and reads task results (Celery's result backend, {@code celery/backends/base.py}). Values in
 * {@link TaskMeta} use the serializer value model; a backend encodes them with
 * {@link TaskMetaCodec} and the {@code result_serializer} it got from its
 * {@link org.celeriac.spi.ProviderContext}. Thread-safe; methods block for the round trips they
 * need unless they return a future.
 */
public interface ResultBackend extends AutoCloseable {

    /** What this backend can do. Never blocks. */
    ResultBackendCapabilities capabilities();

    /**
     * Stores a task's meta, expiring it after {@code result_expires}. Never overwrites a stored
     * SUCCESS (Celery's rule); otherwise the last write wins.
     *
     * @throws ResultBackendException when the store fails
     */
    void store(TaskMeta meta);

    /**
     * Stores a task's meta for a request a worker is running: like {@link #store(TaskMeta)}, with what the
     * message said about its caller. The default ignores {@code request}; the {@code rpc://} backend
     * overrides it to reply to {@code request.replyTo()}.
     *
     * @throws ResultBackendException when the store fails
     */
    default void store(TaskMeta meta, TaskRequestInfo request) {
        store(meta);
    }

    /**
     * Reads a task's meta.
     *
     * @return empty when nothing is stored (the task is PENDING for callers)
     * @throws ResultBackendException when the read fails or the stored value cannot be decoded
     */
    Optional<TaskMeta> get(String taskId);

    /**
     * A future completing with the meta once the task is in a ready state (SUCCESS, FAILURE, REVOKED).
     * Push where the backend can (Redis pub/sub), polling with back-off elsewhere. Never blocks the caller;
     * cancelling the future stops the wait. The future completes exceptionally with
     * {@link ResultBackendException} when the backend fails for good.
     *
     * @param taskId the task id
     * @param pollInterval the polling interval for backends without push; ignored by push backends
     */
    CompletableFuture<TaskMeta> whenReady(String taskId, Duration pollInterval);

    /** Removes a task's meta (Celery {@code forget}); missing ids are ignored. */
    void forget(String taskId);

    /** Saves a group result (Celery {@code GroupResult.save()}). */
    void saveGroup(GroupMeta group);

    /** Reads a saved group (Celery {@code GroupResult.restore()}); empty when missing. */
    Optional<GroupMeta> restoreGroup(String groupId);

    /** Removes a saved group; missing ids are ignored. */
    void forgetGroup(String groupId);

    /**
     * Atomically adds {@code delta} to the chord counter of {@code groupId} and returns the new value
     * (the chord join: the body runs when the counter reaches the chord size). Concurrent calls from
     * many processes never lose an increment.
     */
    long incrementChordCounter(String groupId, long delta);

    /**
     * Removes results older than {@code result_expires} for backends without native expiry
     * (Celery's {@code backend_cleanup}); returns how many were removed, 0 where expiry is native.
     */
    long cleanup();

    /** Leases, counters and key/value with TTL in this backend, when it offers them. */
    default Optional<Coordination> coordination() {
        return Optional.empty();
    }

    /** Releases connections; pending {@link #whenReady} futures complete exceptionally. Idempotent. */
    @Override
    void close();
}
