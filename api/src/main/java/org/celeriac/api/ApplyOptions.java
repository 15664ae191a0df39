package org.celeriac.api;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Options of {@code apply_async} (Celery {@code celery/app/task.py apply_async}). Immutable and
 * thread-safe; build with {@link #builder()}. Every field is nullable: null means "not given".
 *
 * @param taskId the id to use instead of a new UUID4
 * @param countdown run no earlier than now + countdown (becomes the {@code eta} header)
 * @param eta run no earlier than this instant (UTC on the wire)
 * @param expires revoke if not started by this instant
 * @param queue target queue
 * @param exchange target exchange ("" is the default exchange, as Python publishes)
 * @param routingKey routing key (default: the queue's name)
 * @param priority message priority 0..255
 * @param headers extra headers merged into the message's top-level headers
 * @param serializer serializer name ({@code "json"})
 * @param ignoreResult do not store the result
 * @param timeLimit hard time limit for this call
 * @param softTimeLimit soft time limit for this call
 * @param shadow the display name used in logs and events instead of the task name
 * @param transaction transactional enqueue (the outbox pattern): the caller's open JDBC connection, in a
 *        transaction it has begun ({@code autoCommit} false) on the broker's own database; the task message is
 *        inserted on that connection and becomes visible to workers only when the caller commits, never after a
 *        rollback. The caller keeps owning the connection (Celeriac neither commits, rolls back nor closes it),
 *        and must not share it with another thread during the call. Needs a broker whose
 *        {@code BrokerCapabilities.transactionalPublish()} is true (the SQL transport); elsewhere the call
 *        fails with {@code UnsupportedCapabilityException}. Not a Celery option (Celery has no outbox); ignored
 *        with {@code task_always_eager}, where nothing is published. Never printed by {@link #toString()}.
 */
public record ApplyOptions(
        String taskId,
        Duration countdown,
        Instant eta,
        Instant expires,
        String queue,
        String exchange,
        String routingKey,
        Integer priority,
        Map<String, Object> headers,
        String serializer,
        Boolean ignoreResult,
        Duration timeLimit,
        Duration softTimeLimit,
        String shadow,
        Connection transaction) {

    /** No option given. */
    public static final ApplyOptions NONE = builder().build();

    public ApplyOptions {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        if (priority != null && (priority < 0 || priority > 255)) {
            throw new IllegalArgumentException("priority must be between 0 and 255, got " + priority);
        }
    }

    /** A builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.taskId = taskId;
        b.countdown = countdown;
        b.eta = eta;
        b.expires = expires;
        b.queue = queue;
        b.exchange = exchange;
        b.routingKey = routingKey;
        b.priority = priority;
        b.headers.putAll(headers);
        b.serializer = serializer;
        b.ignoreResult = ignoreResult;
        b.timeLimit = timeLimit;
        b.softTimeLimit = softTimeLimit;
        b.shadow = shadow;
        b.transaction = transaction;
        return b;
    }

    /** The options by name; a transaction is shown by its class only (a connection may print its URL). */
    @Override
    public String toString() {
        return "ApplyOptions[taskId=" + taskId + ", countdown=" + countdown + ", eta=" + eta + ", expires=" + expires
                + ", queue=" + queue + ", exchange=" + exchange + ", routingKey=" + routingKey + ", priority=" + priority
                + ", headers=" + headers + ", serializer=" + serializer + ", ignoreResult=" + ignoreResult
                + ", timeLimit=" + timeLimit + ", softTimeLimit=" + softTimeLimit + ", shadow=" + shadow
                + ", transaction=" + (transaction == null ? null : transaction.getClass().getSimpleName()) + "]";
    }

    /** Builds {@link ApplyOptions}; not thread-safe. */
    public static final class Builder {
        private String taskId;
        private Duration countdown;
        private Instant eta;
        private Instant expires;
        private String queue;
        private String exchange;
        private String routingKey;
        private Integer priority;
        private final Map<String, Object> headers = new LinkedHashMap<>();
        private String serializer;
        private Boolean ignoreResult;
        private Duration timeLimit;
        private Duration softTimeLimit;
        private String shadow;
        private Connection transaction;

        private Builder() {
        }

        public Builder taskId(String v) { taskId = v; return this; }
        public Builder countdown(Duration v) { countdown = v; return this; }
        /** Countdown in seconds, as Celery's {@code countdown=1.5}. */
        public Builder countdown(double seconds) { countdown = Durations.ofSeconds(seconds); return this; }
        public Builder eta(Instant v) { eta = v; return this; }
        public Builder expires(Instant v) { expires = v; return this; }
        /** Expires this long after the call, as Celery's {@code expires=60}. */
        public Builder expiresIn(Duration v) { expires = v == null ? null : Instant.now().plus(v); return this; }
        public Builder queue(String v) { queue = v; return this; }
        public Builder exchange(String v) { exchange = v; return this; }
        public Builder routingKey(String v) { routingKey = v; return this; }
        public Builder priority(Integer v) { priority = v; return this; }
        public Builder header(String k, Object v) { headers.put(k, v); return this; }
        public Builder headers(Map<String, Object> v) { headers.putAll(v); return this; }
        public Builder serializer(String v) { serializer = v; return this; }
        public Builder ignoreResult(Boolean v) { ignoreResult = v; return this; }
        public Builder timeLimit(Duration v) { timeLimit = v; return this; }
        public Builder softTimeLimit(Duration v) { softTimeLimit = v; return this; }
        public Builder shadow(String v) { shadow = v; return this; }

        /**
         * Transactional enqueue: publish on the caller's JDBC connection, inside its open transaction, so the task
         * exists only if that transaction commits (see {@link ApplyOptions#transaction()}). Nullable (none).
         *
         * <pre>{@code
         * try (Connection c = dataSource.getConnection()) {
         *     c.setAutoCommit(false);
         *     insertOrder(c, order);
         *     app.task("orders.ship").applyAsync(List.of(order.id()), null,
         *             ApplyOptions.builder().transaction(c).build());
         *     c.commit(); // the task becomes visible to workers here; a rollback discards it
         * }
         * }</pre>
         */
        public Builder transaction(Connection v) { transaction = v; return this; }

        /** @throws IllegalArgumentException when the priority is out of 0..255 */
        public ApplyOptions build() {
            return new ApplyOptions(taskId, countdown, eta, expires, queue, exchange, routingKey, priority,
                    headers, serializer, ignoreResult, timeLimit, softTimeLimit, shadow, transaction);
        }
    }
}
