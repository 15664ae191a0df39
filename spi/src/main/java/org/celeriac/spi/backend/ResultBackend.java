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

    /**
     * Removes a task's meta (Celery {@code forget}); missing ids are ignored.
     *
     * @throws ResultBackendException when the store fails
     */
    void forget(String taskId);

    /**
     * Saves a group result (Celery {@code GroupResult.save()}).
     *
     * @throws ResultBackendException when the store fails
     */
    void saveGroup(GroupMeta group);

    /**
     * Reads a saved group (Celery {@code GroupResult.restore()}); empty when missing.
     *
     * @throws ResultBackendException when the read fails
     */
    Optional<GroupMeta> restoreGroup(String groupId);

    /** Removes a saved group; missing ids are ignored. */
    void forgetGroup(String groupId);

    /**
     * Atomically adds {@code delta} to the chord counter of {@code groupId} and returns the new value
     * (the chord join: the body runs when the counter reaches the chord size). Concurrent calls from
     * many processes never lose an increment. Blocks for one round trip.
     *
     * @throws ResultBackendException when the store fails
     */
    long incrementChordCounter(String groupId, long delta);

    /**
     * Whether this backend joins chords natively (Celery's {@code on_chord_part_return} of the Redis
     * backend), through {@link #setChordSize} and {@link #onChordPartReturn}. The default is false: callers
     * then join with {@link #incrementChordCounter} and a saved group. Never blocks.
     */
    default boolean nativeChordJoin() {
        return false;
    }

    /**
     * Records the number of header tasks of chord {@code groupId} (Celery's {@code set_chord_size}, Redis
     * key {@code celery-taskset-meta-<gid>.s}), before the header is sent. The default does nothing.
     *
     * @throws ResultBackendException when the store fails
     */
    default void setChordSize(String groupId, long size) {
    }

    /**
     * Records the completion of a chord header task (Celery's {@code RedisBackend.on_chord_part_return}) and,
     * when it was the last part, returns every part in {@code group_index} order and deletes the join keys.
     *
     * @param groupId the chord's group id
     * @param taskId the header task's id
     * @param groupIndex its position in the header; null sorts last
     * @param state its final state name ({@code SUCCESS}, {@code FAILURE}, ...)
     * @param result its return value, or the exception dict for exception states (value model)
     * @return null while parts are missing (or no size was recorded); else the parts as
     *         {@code [task_id, state, result]} lists in header order
     * @throws UnsupportedOperationException when {@link #nativeChordJoin()} is false
     * @throws ResultBackendException when the backend fails
     */
    default java.util.List<java.util.List<Object>> onChordPartReturn(String groupId, String taskId, Integer groupIndex,
                                                                     String state, Object result) {
        throw new UnsupportedOperationException(getClass().getName() + " has no native chord join; "
                + "use incrementChordCounter");
    }

    /**
     * Removes results older than {@code result_expires} for backends without native expiry
     * (Celery's {@code backend_cleanup}); returns how many were removed, 0 where expiry is native.
     */
    long cleanup();

    /**
     * The {@code reply_to} this backend needs on the task messages its app sends, when it receives results through
     * a queue of the caller's own (Celery's {@code rpc://}: its {@code oid} queue, {@code celery/backends/rpc.py}
     * {@code RPCBackend.oid}). Core sets it on every task message that has none; with the default (empty) core sets
     * the app's oid, as Celery's {@code send_task} does ({@code reply_to or self.thread_oid}). Non-blocking,
     * thread-safe; the value never changes for one backend.
     *
     * @return the queue name (a non-empty string), or empty when this backend needs no particular {@code reply_to};
     *         never null. Throws nothing.
     */
    default Optional<String> replyTo() {
        return Optional.empty();
    }

    /** Leases, counters and key/value with TTL in this backend, when it offers them. */
    default Optional<Coordination> coordination() {
        return Optional.empty();
    }

    /** Releases connections; pending {@link #whenReady} futures complete exceptionally. Idempotent. */
    @Override
    void close();
}
