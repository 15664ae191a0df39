package org.celeriac.core.control;

import java.util.Map;

/**
 * One remote-control command of a node (a function of {@code celery/worker/control.py Panel}). Called on
 * the control server's own thread, one request at a time.
 */
@FunctionalInterface
public interface ControlHandler {
    /**
     * Runs the command.
     *
     * @param arguments the request's {@code arguments} (never null, possibly empty)
     * @return the reply value (a value of the serializer's model), or null (no reply value, as Python's None)
     * @throws Exception any failure: the client gets {@code {"error": "<Python-style repr>"}}, see
     *         {@link ControlException}
     */
    Object handle(Map<String, Object> arguments) throws Exception;
}
