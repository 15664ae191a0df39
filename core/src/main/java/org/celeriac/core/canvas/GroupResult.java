package org.celeriac.core.canvas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.ResultTimeoutException;
import org.celeriac.core.Celeriac;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;

/**
 * The results of a group (Celery's {@code GroupResult}): the group id and its members' results in order.
 * {@link #save()} and {@link #restore} use the backend's {@code celery-taskset-meta-<id>} record, which Python's
 * {@code GroupResult.restore(id)} reads too. Immutable; thread-safe; {@link #get} blocks.
 */
public final class GroupResult {
    private final Celeriac app;
    private final String id;
    private final List<String> ids;

    GroupResult(Celeriac app, String id, List<String> ids) {
        this.app = Objects.requireNonNull(app, "app");
        this.id = Objects.requireNonNull(id, "id");
        this.ids = List.copyOf(ids);
    }

    /** The group id. */
    public String id() {
        return id;
    }

    /** The members' task ids, in group order. */
    public List<String> taskIds() {
        return ids;
    }

    /** The members' result handles, in group order. */
    public List<AsyncResult<Object>> results() {
        List<AsyncResult<Object>> out = new ArrayList<>();
        for (String t : ids) {
            out.add(app.asyncResult(t));
        }
        return out;
    }

    /** Whether every member is in a ready state (one backend read per member). */
    public boolean ready() {
        return results().stream().allMatch(AsyncResult::ready);
    }

    /**
     * Waits for every member and returns their results in group order (Celery's {@code GroupResult.get()}).
     *
     * @param timeout the total time to wait
     * @throws ResultTimeoutException when some member is not ready in time
     * @throws org.celeriac.api.TaskFailedException when a member failed (the first in group order)
     */
    public List<Object> get(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Object> out = new ArrayList<>();
        for (AsyncResult<Object> r : results()) {
            long left = Math.max(1, deadline - System.nanoTime());
            out.add(r.get(Duration.ofNanos(left)));
        }
        return out;
    }

    /**
     * Stores this group in the result backend (Celery's {@code save()}).
     *
     * @throws IllegalStateException when the app has no result backend
     */
    public GroupResult save() {
        backend(app).saveGroup(new GroupMeta(id, ids, null));
        return this;
    }

    /**
     * Reads a saved group (Celery's {@code GroupResult.restore(id)}).
     *
     * @return empty when no group {@code groupId} is stored
     * @throws IllegalStateException when the app has no result backend
     */
    public static Optional<GroupResult> restore(Celeriac app, String groupId) {
        return backend(app).restoreGroup(groupId).map(g -> new GroupResult(app, g.groupId(), g.taskIds()));
    }

    private static ResultBackend backend(Celeriac app) {
        return app.resultBackend().orElseThrow(() -> new IllegalStateException(
                "group results need a result backend: set result_backend (e.g. redis://host:6379/0)"));
    }

    @Override
    public String toString() {
        return id + " " + ids;
    }
}
