package org.celeriac.core.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.canvas.Canvas;
import org.celeriac.core.canvas.ChordJoin;
import org.celeriac.core.canvas.Signature;
import org.celeriac.core.protocol.TaskMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a finished task sends on (Celery's {@code celery/app/trace.py}): link callbacks and the next chain step,
 * errbacks, and the chord join. Failures to send are logged with the task's name and id, never thrown. Thread-safe.
 */
final class FollowUps {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.worker");

    private final Canvas canvas;
    private final ChordJoin chordJoin;

    FollowUps(Celeriac app, ChordJoin chordJoin) {
        this.canvas = new Canvas(app);
        this.chordJoin = chordJoin;
    }

    /**
     * Celery's {@code _call_task_errbacks} for errbacks sent as tasks: each {@code link_error} signature is sent
     * with the failed task's id prepended (unless immutable), parent = the failed task.
     */
    void errbacks(TaskMessage msg) {
        if (msg.errbacks().isEmpty()) {
            return;
        }
        for (Map<String, Object> eb : msg.errbacks()) {
            try {
                canvas.send(Signature.fromMap(eb), msg.id(), true, msg.id(),
                        msg.rootId() != null ? msg.rootId() : msg.id(), null, null, null, null);
            } catch (RuntimeException e) {
                LOG.error("Task {}[{}]: cannot send its errback {}: {}", msg.displayName(), msg.id(), eb.get("task"),
                        e.toString());
            }
        }
    }

    /** Celery's {@code on_chord_part_return}: joins a finished chord header task (after its state is stored). */
    void chordPart(TaskMessage msg, TaskState state, Object result) {
        if (msg.chord() != null && msg.group() != null) {
            chordJoin.onPartReturn(msg.group(), msg.id(), msg.groupIndex(), msg.rootId(), msg.chord(), state, result);
        }
    }

    /** Sends link callbacks and the next chain step of a task that succeeded; returns the children tuples. */
    List<Object> callbacks(TaskMessage msg, Object value) {
        List<Object> children = new ArrayList<>();
        List<Map<String, Object>> toSend = new ArrayList<>(msg.callbacks());
        List<Map<String, Object>> remaining = null;
        if (!msg.chain().isEmpty()) {
            List<Map<String, Object>> chain = new ArrayList<>(msg.chain());
            toSend.add(chain.remove(chain.size() - 1));
            remaining = chain;
        }
        for (int i = 0; i < toSend.size(); i++) {
            Map<String, Object> sig = toSend.get(i);
            boolean isChainStep = remaining != null && i == toSend.size() - 1;
            try {
                children.add(Canvas.asTuple(canvas.applyCallback(sig, value, msg.id(),
                        msg.rootId(), isChainStep ? remaining : null)));
            } catch (RuntimeException e) {
                LOG.error("Task {}[{}]: cannot send its callback {}: {}", msg.displayName(), msg.id(), sig.get("task"),
                        e.getMessage());
            }
        }
        return children;
    }
}
