package org.celeriac.transport.sql;

import java.util.LinkedHashMap;
import java.util.Map;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.serializer.Serializer;

/**
 * Encodes a message's headers and properties into the {@code headers} / {@code properties} columns with
 * the JSON serializer of the provider context; the body is stored untouched. Properties use kombu's
 * snake_case names ({@code content_type}, {@code correlation_id}, …); unmodelled ones go under
 * {@code extra}. Immutable and thread-safe; CPU-only.
 */
final class MessageCodec {
    private final Serializer json;

    MessageCodec(Serializer json) {
        this.json = json;
    }

    byte[] encodeHeaders(Map<String, Object> headers) {
        return json.encode(headers);
    }

    byte[] encodeProperties(MessageProperties p) {
        Map<String, Object> m = new LinkedHashMap<>();
        put(m, "content_type", p.contentType());
        put(m, "content_encoding", p.contentEncoding());
        put(m, "correlation_id", p.correlationId());
        put(m, "reply_to", p.replyTo());
        put(m, "priority", p.priority());
        put(m, "delivery_mode", p.deliveryMode());
        put(m, "expiration", p.expiration());
        if (!p.extra().isEmpty()) {
            m.put("extra", p.extra());
        }
        return json.encode(m);
    }

    Map<String, Object> decodeHeaders(byte[] data) {
        return asMap(json.decode(data), "headers");
    }

    MessageProperties decodeProperties(byte[] data) {
        Map<String, Object> m = asMap(json.decode(data), "properties");
        MessageProperties.Builder b = MessageProperties.builder()
                .contentType(str(m.get("content_type"))).contentEncoding(str(m.get("content_encoding")))
                .correlationId(str(m.get("correlation_id"))).replyTo(str(m.get("reply_to")))
                .priority(integer(m.get("priority"))).deliveryMode(integer(m.get("delivery_mode")))
                .expiration(str(m.get("expiration")));
        if (m.get("extra") instanceof Map<?, ?> extra) {
            extra.forEach((k, v) -> b.extra(String.valueOf(k), v));
        }
        return b.build();
    }

    private static void put(Map<String, Object> m, String k, Object v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    private static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    private static Integer integer(Object o) {
        return o instanceof Number n ? n.intValue() : o == null ? null : Integer.valueOf(String.valueOf(o));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o, String what) {
        if (o == null) {
            return Map.of();
        }
        if (o instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new SerializationException("celeriac_message." + what + " does not hold a JSON object but a "
                + o.getClass().getSimpleName() + "; the row was not written by celeriac-transport-sql");
    }
}
