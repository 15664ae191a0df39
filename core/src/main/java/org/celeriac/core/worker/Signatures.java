package org.celeriac.core.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.celeriac.core.protocol.OutgoingTask;
import org.celeriac.spi.backend.TaskMetaCodec;

/**
 * Celery signatures ({@code celery/canvas.py Signature}) as they arrive in {@code embed}: turning one
 * into the next message of a chain or a link callback. Stateless.
 */
final class Signatures {
    private Signatures() {
    }

    /**
     * The message for {@code sig}, with {@code parentResult} prepended to its args unless it is immutable.
     *
     * @param remainingChain the chain still to run after this one (Celery's reversed order); nullable
     */
    @SuppressWarnings("unchecked")
    static OutgoingTask toOutgoing(Map<String, Object> sig, Object parentResult, boolean prepend, String parentId,
                                   String rootId, String origin, List<Map<String, Object>> remainingChain) {
        Object name = sig.get("task");
        if (!(name instanceof String task) || task.isEmpty()) {
            throw new IllegalArgumentException("signature has no 'task' name: keys " + sig.keySet());
        }
        if (sig.get("subtask_type") != null) {
            throw new IllegalArgumentException("canvas type '" + sig.get("subtask_type") + "' (" + task
                    + ") is not supported by this worker yet; chains of plain tasks and link callbacks are");
        }
        Map<String, Object> options = sig.get("options") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        List<Object> args = new ArrayList<>();
        boolean immutable = Boolean.TRUE.equals(sig.get("immutable"));
        if (prepend && !immutable) {
            args.add(parentResult);
        }
        if (sig.get("args") instanceof List<?> a) {
            args.addAll(a);
        }
        Map<String, Object> kwargs = sig.get("kwargs") instanceof Map<?, ?> k ? (Map<String, Object>) k : Map.of();
        String id = options.get("task_id") instanceof String s ? s : UUID.randomUUID().toString();
        List<Map<String, Object>> chain = remainingChain == null || remainingChain.isEmpty() ? null : remainingChain;
        return new OutgoingTask(id, task, args, kwargs, null, null, 0, null, null, rootId, parentId,
                options.get("group_id") instanceof String g ? g : null, null, null, origin, false,
                options.get("reply_to") instanceof String r ? r : null,
                options.get("priority") instanceof Number p ? p.intValue() : null, Map.of(),
                list(options.get("link")), list(options.get("link_error")), chain, null);
    }

    /** The queue a signature asks for, or null. */
    static String queue(Map<String, Object> sig) {
        if (sig.get("options") instanceof Map<?, ?> o) {
            Object q = o.get("queue");
            if (q instanceof String s) {
                return s;
            }
            Object rk = o.get("routing_key");
            if (rk instanceof String s) {
                return s;
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object v) {
        if (v instanceof Map<?, ?> m) {
            return List.of((Map<String, Object>) m);
        }
        if (v instanceof List<?> l && !l.isEmpty()) {
            return (List<Map<String, Object>>) l;
        }
        return null;
    }

    /** The children tuple of a sent task ({@code [[id, null], null]}). */
    static List<Object> child(String id) {
        return TaskMetaCodec.resultTuple(id);
    }
}
