package org.celeriac.spi.backend;

/**
 * What a result backend may need to know about the request whose state it stores, beyond the meta:
 * Celery's {@code rpc://} backend sends the result to the caller's {@code reply_to} queue with the
 * task's {@code correlation_id} ({@code celery/backends/rpc.py store_result(…, request=…)}). Immutable.
 *
 * @param replyTo the {@code reply_to} property of the task message; nullable
 * @param correlationId the {@code correlation_id} property (the task id for Celery clients); nullable
 * @param priority the message priority; nullable
 */
public record TaskRequestInfo(String replyTo, String correlationId, Integer priority) {
    /** Nothing known (eager mode, stores outside a worker). */
    public static final TaskRequestInfo NONE = new TaskRequestInfo(null, null, null);
}
