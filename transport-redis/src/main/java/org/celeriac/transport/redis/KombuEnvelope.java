package org.celeriac.transport.redis;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.celeriac.spi.RandomIds;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.serializer.Serializer;

/**
 * kombu's Redis message envelope ({@code kombu/transport/virtual/base.py Message} +
 * {@code Channel._inplace_augment_message}), written through the JSON serializer so the bytes are the ones
 * Python writes:
 * <pre>{"body": "&lt;base64&gt;", "content-encoding": "utf-8", "content-type": "application/json",
 *  "headers": {...}, "properties": {"correlation_id": ..., "reply_to": ..., "delivery_mode": 2,
 *  "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64",
 *  "delivery_tag": "&lt;uuid4&gt;"}}</pre>
 * Stateless and thread-safe (the serializer is).
 */
final class KombuEnvelope {
    private static final Set<String> RESERVED = Set.of("correlation_id", "reply_to", "delivery_mode", "expiration",
            "delivery_info", "priority", "body_encoding", "delivery_tag");

    private final Serializer json;

    /** A decoded envelope: the message and what kombu added to it. */
    record Decoded(Message message, String exchange, String routingKey, boolean redelivered, String deliveryTag) {
    }

    KombuEnvelope(Serializer json) {
        this.json = json;
    }

    /**
     * Encodes a message as kombu does for {@code basic_publish}, with a fresh UUID4 delivery tag
     * ({@link RandomIds}).
     *
     * @throws SerializationException when a header value cannot be written as JSON
     */
    byte[] encode(String exchange, String routingKey, Message m) {
        return json.encode(toMap(exchange, routingKey, m, RandomIds.next()));
    }

    Map<String, Object> toMap(String exchange, String routingKey, Message m, String deliveryTag) {
        MessageProperties p = m.properties();
        Map<String, Object> props = new LinkedHashMap<>();
        if (p.correlationId() != null) {
            props.put("correlation_id", p.correlationId());
        }
        if (p.replyTo() != null) {
            props.put("reply_to", p.replyTo());
        }
        props.put("delivery_mode", p.deliveryMode() == null ? 2 : p.deliveryMode());
        if (p.expiration() != null) {
            props.put("expiration", p.expiration());
        }
        p.extra().forEach((k, v) -> {
            if (!RESERVED.contains(k)) {
                props.put(k, v);
            }
        });
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("exchange", exchange);
        info.put("routing_key", routingKey);
        props.put("delivery_info", info);
        props.put("priority", p.priority() == null ? 0 : p.priority());
        props.put("body_encoding", "base64");
        props.put("delivery_tag", deliveryTag);
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("body", Base64.getEncoder().encodeToString(m.body()));
        env.put("content-encoding", p.contentEncoding());
        env.put("content-type", p.contentType());
        env.put("headers", m.headers());
        env.put("properties", props);
        return env;
    }

    /**
     * Decodes an envelope as Python or Celeriac wrote it.
     *
     * @throws SerializationException when the bytes are not a kombu envelope (not JSON, no properties,
     *         bad base64); the message says what is missing
     */
    Decoded decode(byte[] raw) {
        Map<String, Object> env = asMap(raw);
        Object props0 = env.get("properties");
        if (!(props0 instanceof Map<?, ?> props)) {
            throw new SerializationException("not a kombu envelope: no 'properties' object (keys " + env.keySet() + ")");
        }
        Object body0 = env.get("body");
        byte[] body;
        if (body0 == null) {
            body = new byte[0];
        } else if (!(body0 instanceof String s)) {
            throw new SerializationException("not a kombu envelope: 'body' is a " + body0.getClass().getSimpleName()
                    + ", expected a string");
        } else if ("base64".equals(props.get("body_encoding"))) {
            try {
                body = Base64.getMimeDecoder().decode(s);
            } catch (IllegalArgumentException e) {
                throw new SerializationException("kombu envelope: 'body' is not valid base64: " + e.getMessage(), e);
            }
        } else {
            body = s.getBytes(StandardCharsets.UTF_8);
        }
        Map<String, Object> headers;
        if (env.get("headers") instanceof Map<?, ?> h) {
            headers = LinkedHashMap.newLinkedHashMap(h.size());
            h.forEach((k, v) -> headers.put(String.valueOf(k), v));
        } else {
            headers = new LinkedHashMap<>();
        }
        MessageProperties.Builder b = MessageProperties.builder()
                .contentType(str(env.get("content-type")))
                .contentEncoding(str(env.get("content-encoding")))
                .correlationId(str(props.get("correlation_id")))
                .replyTo(str(props.get("reply_to")))
                .priority(integer(props.get("priority")))
                .deliveryMode(integer(props.get("delivery_mode")))
                .expiration(str(props.get("expiration")));
        props.forEach((k, v) -> {
            if (!RESERVED.contains(String.valueOf(k))) {
                b.extra(String.valueOf(k), v);
            }
        });
        String exchange = null;
        String routingKey = null;
        boolean redelivered = Boolean.TRUE.equals(headers.get("redelivered"));
        if (props.get("delivery_info") instanceof Map<?, ?> info) {
            exchange = str(info.get("exchange"));
            routingKey = str(info.get("routing_key"));
            redelivered |= Boolean.TRUE.equals(info.get("redelivered"));
        }
        return new Decoded(Message.adopting(headers, b.build(), body), exchange, routingKey, redelivered,
                str(props.get("delivery_tag")));
    }

    /**
     * The same envelope with kombu's restore marks: {@code headers.redelivered = true} and
     * {@code properties.delivery_info.redelivered = true} ({@code Channel._do_restore_message}).
     */
    @SuppressWarnings("unchecked")
    byte[] markRedelivered(byte[] raw) {
        Map<String, Object> env = new LinkedHashMap<>(asMap(raw));
        if (env.get("headers") instanceof Map<?, ?> h && env.get("properties") instanceof Map<?, ?> p
                && p.get("delivery_info") instanceof Map<?, ?> di) {
            Map<String, Object> headers = new LinkedHashMap<>((Map<String, Object>) h);
            headers.put("redelivered", true);
            Map<String, Object> info = new LinkedHashMap<>((Map<String, Object>) di);
            info.put("redelivered", true);
            Map<String, Object> props = new LinkedHashMap<>((Map<String, Object>) p);
            props.put("delivery_info", info);
            env.put("headers", headers);
            env.put("properties", props);
            return json.encode(env);
        }
        return raw; // kombu ignores the KeyError and restores the message unchanged
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> asMap(byte[] raw) {
        Object v = json.decode(raw);
        if (!(v instanceof Map<?, ?> m)) {
            throw new SerializationException("not a kombu envelope: a JSON "
                    + (v == null ? "null" : v.getClass().getSimpleName()) + " instead of an object");
        }
        return (Map<String, Object>) m;
    }

    private static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    private static Integer integer(Object o) {
        if (o instanceof Number n) {
            return n.intValue();
        }
        if (o instanceof String s) {
            try {
                return Integer.valueOf(s.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }
}
