package org.celeriac.core.protocol;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A task message to send, before encoding (the arguments of Celery's {@code as_task_v2}). Immutable.
 * Nullable fields are omitted or written as null as Python does.
 */
public record OutgoingTask(String id, String name, List<?> args, Map<String, ?> kwargs,
                           Instant eta, Instant expires, int retries, Duration timeLimit, Duration softTimeLimit,
                           String rootId, String parentId, String group, Integer groupIndex, String shadow,
                           String origin, boolean ignoreResult, String replyTo, Integer priority,
                           Map<String, Object> extraHeaders,
                           List<Map<String, Object>> callbacks, List<Map<String, Object>> errbacks,
                           List<Map<String, Object>> chain, Map<String, Object> chord) {

    /** A plain top-level call: root id = id, no parent, no canvas. */
    public static OutgoingTask simple(String id, String name, List<?> args, Map<String, ?> kwargs, String origin) {
        return new OutgoingTask(id, name, args, kwargs, null, null, 0, null, null, id, null, null, null, null,
                origin, false, null, null, Map.of(), null, null, null, null);
    }
}
