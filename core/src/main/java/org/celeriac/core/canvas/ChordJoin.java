package org.celeriac.core.canvas;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.internal.Exceptions;
import org.celeriac.spi.backend.ExceptionInfo;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's side of a chord (Celery's {@code on_chord_part_return}): called once a header task's final
 * state is stored; the call that completes the header sends the body with the header results in header order,
 * or stores {@code ChordError} on the body's id (and sends its {@code link_error} callbacks with the body's id)
 * when a header task failed. Backends with a {@linkplain ResultBackend#nativeChordJoin() native join} (Redis:
 * Celery's {@code .j/.s/.t} keys, so Python and Java workers can share a chord) do the counting; others count
 * with {@link ResultBackend#incrementChordCounter} against the header group the client saved. Thread-safe;
 * blocks for the backend round trips and the body's publish. {@link #onPartReturn} and {@link #complete} never
 * throw: failures are logged and stored.
 */
public final class ChordJoin {
    private static final Logger LOG = LoggerFactory.getLogger(ChordJoin.class);
    private final Celeriac app;
    private final ResultBackend backend;
    private final Canvas canvas;

    /** A join through {@code app}'s result backend; {@code backend} null makes every call a logged no-op. */
    public ChordJoin(Celeriac app, ResultBackend backend) {
        this.app = Objects.requireNonNull(app, "app");
        this.backend = backend;
        this.canvas = new Canvas(app);
    }

    /**
     * Records one finished header task.
     *
     * @param groupId the header's group id (the message's {@code group} header)
     * @param taskId the header task's id
     * @param groupIndex its index; nullable
     * @param rootId the root id to give the body; nullable
     * @param body the body signature ({@code embed.chord})
     * @param state the header task's final state
     * @param result its return value, or the exception dict
     */
    public void onPartReturn(String groupId, String taskId, Integer groupIndex, String rootId, Map<String, Object> body,
                             TaskState state, Object result) {
        String bodyId = body.get("options") instanceof Map<?, ?> o && o.get("task_id") instanceof String s ? s : null;
        if (backend == null) {
            LOG.error("Chord {}: task {} finished but this worker has no result backend to join the chord in; "
                    + "set result_backend", groupId, taskId);
            return;
        }
        try {
            List<List<Object>> parts = backend.nativeChordJoin()
                    ? backend.onChordPartReturn(groupId, taskId, groupIndex, state.name(), result)
                    : countedJoin(groupId);
            if (parts == null) {
                return;
            }
            complete(groupId, parts, body, taskId, rootId);
        } catch (RuntimeException e) {
            LOG.error("Chord {} raised: {}", groupId, e.toString(), e);
            fail(body, bodyId, taskId, rootId, "Join error: " + e);
        }
    }

    /**
     * Finishes a chord whose header parts are all in: sends the body with the values in order, or stores
     * {@code ChordError} on the body (and sends its errbacks) when a part failed or was revoked.
     *
     * @param parts {@code [task_id, state, result]} per header task, in header order
     * @param parentId the parent id to give the body; nullable
     */
    public void complete(String groupId, List<List<Object>> parts, Map<String, Object> body, String parentId,
                         String rootId) {
        String bodyId = body.get("options") instanceof Map<?, ?> o && o.get("task_id") instanceof String s ? s : null;
        String taskId = parentId;
        try {
            List<Object> values = new ArrayList<>();
            for (List<Object> p : parts) {
                TaskState st = TaskState.of(String.valueOf(p.get(1)));
                if (st.equals(TaskState.FAILURE) || st.equals(TaskState.REVOKED)) {
                    String why = ExceptionInfo.fromValue(p.get(2)).map(Exceptions::shortRepr)
                            .orElse(String.valueOf(p.get(2)));
                    fail(body, bodyId, taskId, rootId, "Dependency " + p.get(0) + " raised " + why);
                    return;
                }
                values.add(p.get(2));
            }
            canvas.applyCallback(body, values, taskId, rootId, null);
            LOG.debug("Chord {} complete: body {}[{}] sent", groupId, body.get("task"), bodyId);
        } catch (RuntimeException e) {
            LOG.error("Chord {} raised: {}", groupId, e.toString(), e);
            fail(body, bodyId, parentId, rootId, "Callback error: " + e);
        }
    }

    /**
     * Finishes a chord for {@code celery.chord_unlock} once every header task is ready: as {@link #complete}, but
     * on a backend without native join only if the header tasks' counting (which the Celeriac client's saved
     * group enables) has not done it already: the unlock adds {@link Canvas#UNLOCK_CLAIM} to the chord counter
     * and completes only when it was the first to claim and the counter had not reached the header size, so the
     * body is sent once whichever of the two gets there first.
     *
     * @param parts {@code [task_id, state, result]} per header task, in header order
     * @return whether this call sent the body (or stored the ChordError)
     * @throws IllegalStateException when this worker has no result backend
     * @throws org.celeriac.spi.backend.ResultBackendException when the chord counter cannot be updated
     */
    public boolean unlock(String groupId, List<List<Object>> parts, Map<String, Object> body, String parentId,
                          String rootId) {
        if (backend == null) {
            throw new IllegalStateException("celery.chord_unlock needs a result backend: set result_backend");
        }
        if (!backend.nativeChordJoin()) {
            long v = backend.incrementChordCounter(groupId, Canvas.UNLOCK_CLAIM);
            if (v < Canvas.UNLOCK_CLAIM || v >= Canvas.UNLOCK_CLAIM + parts.size()) {
                LOG.debug("Chord {}: already joined by its header tasks (counter {})", groupId, v);
                return false;
            }
        }
        complete(groupId, parts, body, parentId, rootId);
        return true;
    }

    /** Non-native join: null until this part makes the counter reach the saved group's size. */
    private List<List<Object>> countedJoin(String groupId) {
        Optional<GroupMeta> group = backend.restoreGroup(groupId);
        if (group.isEmpty()) {
            // a Python client on this backend saves no group: the celery.chord_unlock task it sent joins instead
            LOG.debug("Chord {}: no saved header group; leaving the join to celery.chord_unlock", groupId);
            return null;
        }
        long n = backend.incrementChordCounter(groupId, 1);
        List<String> ids = group.get().taskIds();
        if (n != ids.size()) {
            return null;
        }
        List<List<Object>> parts = new ArrayList<>();
        for (String id : ids) {
            TaskMeta m = backend.get(id).orElseThrow(() -> new IllegalStateException(
                    "header task " + id + " of chord " + groupId + " has no stored result (expired or ignored?)"));
            List<Object> p = new ArrayList<>();
            p.add(id);
            p.add(m.state().name());
            p.add(m.result());
            parts.add(p);
        }
        return parts;
    }

    private void fail(Map<String, Object> body, String bodyId, String parentId, String rootId, String message) {
        LOG.error("Chord body {}[{}] fails: ChordError({})", body.get("task"), bodyId, message);
        ExceptionInfo info = new ExceptionInfo("ChordError", List.of(message), "celery.exceptions");
        if (bodyId != null) {
            try {
                backend.store(new TaskMeta(bodyId, TaskState.FAILURE, info.toMap(), null, List.of(), Instant.now(),
                        null, null, null));
            } catch (RuntimeException e) {
                LOG.error("Cannot store the ChordError of {}: {}", bodyId, e.toString(), e);
            }
        }
        Object opts = body.get("options");
        List<Map<String, Object>> errbacks = opts instanceof Map<?, ?> o ? Canvas.maps(o.get("link_error")) : null;
        if (errbacks == null) {
            return;
        }
        for (Map<String, Object> eb : errbacks) {
            try {
                canvas.applyCallback(eb, bodyId, bodyId, rootId, null);
            } catch (RuntimeException e) {
                LOG.error("Cannot send errback {} of chord body {}: {}", eb.get("task"), bodyId, e.toString(), e);
            }
        }
    }
}
