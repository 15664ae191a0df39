package org.celeriac.core.canvas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.ResultTimeoutException;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;

/**
 * The results of a group (Celery's {@code GroupResult}): the group id and its members' results in order (a member
 * that is a chain is represented by its last step, a chord by its body). It is an {@link AsyncResult} whose value
 * is the list of the members' values, so any canvas applies to one; {@link #state()} sums the members up.
 * {@link #save()} and {@link #restore} use the backend's {@code celery-taskset-meta-<id>} record, which Python's
 * {@code GroupResult.restore(id)} reads too. Immutable; thread-safe; {@link #get} blocks.
 */
public final class GroupResult implements AsyncResult<Object> {
    private final Celeriac app;
    private final String id;
    private final List<AsyncResult<Object>> results;

    GroupResult(Celeriac app, String id, List<AsyncResult<Object>> results) {
        this.app = Objects.requireNonNull(app, "app");
        this.id = Objects.requireNonNull(id, "id");
        this.results = List.copyOf(results);
    }

    private static GroupResult ofIds(Celeriac app, String id, List<String> ids) {
        List<AsyncResult<Object>> rs = new ArrayList<>();
        for (String t : ids) {
            rs.add(app.asyncResult(t));
        }
        return new GroupResult(app, id, rs);
    }

    /** The group id. */
    @Override
    public String id() {
        return id;
    }

    /** The members' task ids, in group order. */
    public List<String> taskIds() {
        List<String> ids = new ArrayList<>();
        for (AsyncResult<Object> r : results) {
            ids.add(r.id());
        }
        return ids;
    }

    /** The members' result handles, in group order. */
    public List<AsyncResult<Object>> results() {
        return results;
    }

    /**
     * A summary of the members' states (Celery's {@code GroupResult} has none): FAILURE when one failed, else
     * REVOKED when one was revoked, SUCCESS when all succeeded, else PENDING. One backend read per member.
     */
    @Override
    public TaskState state() {
        boolean all = true;
        boolean revoked = false;
        for (AsyncResult<Object> r : results) {
            TaskState s = r.state();
            if (TaskState.FAILURE.equals(s)) {
                return TaskState.FAILURE;
            }
            revoked |= TaskState.REVOKED.equals(s);
            all &= TaskState.SUCCESS.equals(s);
        }
        return revoked ? TaskState.REVOKED : all ? TaskState.SUCCESS : TaskState.PENDING;
    }

    /** Whether every member is in a ready state (Celery's {@code ready()}; one backend read per member). */
    @Override
    public boolean ready() {
        return results.stream().allMatch(AsyncResult::ready);
    }

    /**
     * Waits for every member and returns their results in group order (Celery's {@code GroupResult.get()}).
     *
     * @param timeout the total time to wait; null waits forever
     * @throws ResultTimeoutException when some member is not ready in time
     * @throws TaskFailedException when a member failed (the first in group order)
     */
    @Override
    public List<Object> get(Duration timeout) {
        return get(timeout, true);
    }

    /**
     * Like {@link #get(Duration)}; with {@code propagate = false} a failed member's exception info is its value.
     *
     * @throws ResultTimeoutException when some member is not ready in time
     */
    @Override
    public List<Object> get(Duration timeout, boolean propagate) {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        List<Object> out = new ArrayList<>();
        for (AsyncResult<Object> r : results) {
            Duration left = timeout == null ? null : Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
            out.add(r.get(left, propagate));
        }
        return out;
    }

    /** The members' stored values now (Celery's {@code results} values), in group order. */
    @Override
    public Object result() {
        List<Object> out = new ArrayList<>();
        for (AsyncResult<Object> r : results) {
            out.add(r.result());
        }
        return out;
    }

    /** The traceback of the first failed member, or null. */
    @Override
    public String traceback() {
        for (AsyncResult<Object> r : results) {
            if (r.failed()) {
                return r.traceback();
            }
        }
        return null;
    }

    /**
     * Forgets every member's result and the saved group (Celery's {@code GroupResult.forget()}).
     *
     * @throws IllegalStateException when the app has no result backend
     */
    @Override
    public void forget() {
        for (AsyncResult<Object> r : results) {
            r.forget();
        }
        backend(app).forgetGroup(id);
    }

    /** Completes with the members' values in group order, or exceptionally with the first failure. */
    @Override
    public CompletableFuture<Object> toCompletableFuture() {
        List<CompletableFuture<Object>> fs = new ArrayList<>();
        for (AsyncResult<Object> r : results) {
            fs.add(r.toCompletableFuture());
        }
        return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<Object> out = new ArrayList<>();
            for (CompletableFuture<Object> f : fs) {
                out.add(f.join());
            }
            return out;
        });
    }

    /**
     * Stores this group in the result backend (Celery's {@code save()}).
     *
     * @throws IllegalStateException when the app has no result backend
     */
    public GroupResult save() {
        backend(app).saveGroup(new GroupMeta(id, taskIds(), null));
        return this;
    }

    /**
     * Reads a saved group (Celery's {@code GroupResult.restore(id)}).
     *
     * @return empty when no group {@code groupId} is stored
     * @throws IllegalStateException when the app has no result backend
     */
    public static Optional<GroupResult> restore(Celeriac app, String groupId) {
        return backend(app).restoreGroup(groupId).map(g -> ofIds(app, g.groupId(), g.taskIds()));
    }

    private static ResultBackend backend(Celeriac app) {
        return app.resultBackend().orElseThrow(() -> new IllegalStateException(
                "group results need a result backend: set result_backend (e.g. redis://host:6379/0)"));
    }

    @Override
    public String toString() {
        return id + " " + taskIds();
    }
}
