package org.celeriac.spi.broker;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AMQP-style message properties as Celery sets them. Immutable and thread-safe.
 *
 * @param contentType e.g. {@code application/json}; nullable (treated as {@code application/data})
 * @param contentEncoding e.g. {@code utf-8}; nullable
 * @param correlationId the task id for task messages; nullable
 * @param replyTo the client's reply queue ({@code rpc://}); nullable
 * @param priority 0..255; null when not given
 * @param deliveryMode 2 = persistent (Celery's default), 1 = transient; null when not given
 * @param expiration milliseconds as a string, AMQP style ({@code "60000"}); nullable
 * @param extra properties Celeriac does not model, kept so they round-trip; unmodifiable
 */
public record MessageProperties(String contentType, String contentEncoding, String correlationId,
                                String replyTo, Integer priority, Integer deliveryMode, String expiration,
                                Map<String, Object> extra) {

    public MessageProperties {
        extra = extra == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().contentType(contentType).contentEncoding(contentEncoding).correlationId(correlationId)
                .replyTo(replyTo).priority(priority).deliveryMode(deliveryMode).expiration(expiration).extra(extra);
    }

    /** Builds {@link MessageProperties}; not thread-safe. */
    public static final class Builder {
        private String contentType;
        private String contentEncoding;
        private String correlationId;
        private String replyTo;
        private Integer priority;
        private Integer deliveryMode;
        private String expiration;
        private final Map<String, Object> extra = new LinkedHashMap<>();

        public Builder contentType(String v) { contentType = v; return this; }
        public Builder contentEncoding(String v) { contentEncoding = v; return this; }
        public Builder correlationId(String v) { correlationId = v; return this; }
        public Builder replyTo(String v) { replyTo = v; return this; }
        public Builder priority(Integer v) { priority = v; return this; }
        public Builder deliveryMode(Integer v) { deliveryMode = v; return this; }
        public Builder expiration(String v) { expiration = v; return this; }
        public Builder extra(Map<String, Object> v) { if (v != null) { extra.putAll(v); } return this; }
        public Builder extra(String k, Object v) { extra.put(k, v); return this; }

        public MessageProperties build() {
            return new MessageProperties(contentType, contentEncoding, correlationId, replyTo, priority,
                    deliveryMode, expiration, extra);
        }
    }
}
