package org.celeriac.core.protocol;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A task request decoded from a message of any protocol version: what the worker needs
 * ({@code celery/worker/request.py Request}). Immutable.
 *
 * @param id task id
 * @param task task name (dispatch key)
 * @param args positional arguments
 * @param kwargs keyword arguments
 * @param callbacks {@code embed.callbacks} (link) signatures; never null
 * @param errbacks {@code embed.errbacks} (link_error) signatures; never null
 * @param chain {@code embed.chain} in Celery's reversed order (next = last); never null
 * @param chord {@code embed.chord} body signature; nullable
 * @param eta earliest run time; nullable
 * @param expires revoke after; nullable
 * @param retries retry count
 * @param timeLimit hard time limit; nullable
 * @param softTimeLimit soft time limit; nullable
 * @param rootId root id; nullable
 * @param parentId parent id; nullable
 * @param group group id; nullable
 * @param groupIndex position in the group; nullable
 * @param shadow display name; nullable
 * @param origin sender node; nullable
 * @param ignoreResult whether to skip storing the result
 * @param replyTo {@code reply_to} property; nullable
 * @param headers all headers as received (v2), or the v1 body's fields
 * @param protocol 1 or 2
 */
public record TaskMessage(String id, String task, List<Object> args, Map<String, Object> kwargs,
                          List<Map<String, Object>> callbacks, List<Map<String, Object>> errbacks,
                          List<Map<String, Object>> chain, Map<String, Object> chord,
                          Instant eta, Instant expires, int retries, Duration timeLimit, Duration softTimeLimit,
                          String rootId, String parentId, String group, Integer groupIndex, String shadow,
                          String origin, boolean ignoreResult, String replyTo, Map<String, Object> headers,
                          int protocol) {

    /** The name used in logs and events: {@code shadow or task}. */
    public String displayName() {
        return shadow != null && !shadow.isEmpty() ? shadow : task;
    }
}
