package org.celeriac.transport.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;

/**
 * Converts between Celeriac's {@link Message} and AMQP 0-9-1 properties and field tables, the way py-amqp
 * (Python Celery's client) writes and reads them. Stateless and thread-safe.
 *
 * <p>Field values: py-amqp writes integers as {@code I} (signed 32-bit) when they fit, else {@code L} (signed
 * 64-bit), {@code V} for {@code None}, {@code S} for strings, {@code d} for floats, {@code t} for booleans,
 * {@code A} for lists and {@code F} for dicts ({@code amqp/serialization.py _write_item}). Celeriac writes
 * integers that fit in 32 bits as {@code I} too; larger ones go out as {@code l} (the only 64-bit integer type the
 * RabbitMQ Java client writes), which py-amqp reads as <em>unsigned</em>: a header integer below -2<sup>31</sup>
 * therefore reaches a Python peer wrong (Celery never sends one). Big integers beyond 64 bits are sent as their
 * decimal text. On the way in, {@link LongString}s become {@link String}s, every integer width becomes
 * {@link Long}, floats become {@link Double}, decimals become {@link Long} or {@link Double}, timestamps become
 * Unix seconds ({@link Long}).
 *
 * <p>AMQP has a fixed set of message properties. {@link MessageProperties#extra()} entries named like an AMQP
 * property ({@code message_id}, {@code type}, {@code user_id}, {@code app_id}, {@code cluster_id},
 * {@code timestamp} in Unix seconds) are sent as that property; any others travel in the application header
 * {@value #EXTRA_HEADER} and are taken out of the headers again on delivery.
 */
final class AmqpHeaders {
    /** The header that carries {@link MessageProperties#extra()} entries AMQP has no property for. */
    static final String EXTRA_HEADER = "x-celeriac-properties";

    private AmqpHeaders() {
    }

    /**
     * The AMQP properties (with the application headers) of {@code m}. When every header value already has the
     * type the client writes as py-amqp does (see {@link #clientReady}; true of every task message
     * {@code TaskProtocol} builds), the message's own unmodifiable header map is handed to the client as is,
     * without a converted copy (the client copies it into a {@code HashMap} of its own in any case; AMQP tables
     * are unordered).
     */
    static AMQP.BasicProperties toAmqp(Message m) {
        MessageProperties p = m.properties();
        AMQP.BasicProperties.Builder b = new AMQP.BasicProperties.Builder()
                .contentType(p.contentType()).contentEncoding(p.contentEncoding()).correlationId(p.correlationId())
                .replyTo(p.replyTo()).priority(p.priority()).deliveryMode(p.deliveryMode()).expiration(p.expiration());
        Map<String, Object> rest = p.extra().isEmpty() ? Map.of() : new LinkedHashMap<>();
        p.extra().forEach((k, v) -> {
            switch (k) {
                case "message_id" -> b.messageId(v == null ? null : String.valueOf(v));
                case "type" -> b.type(v == null ? null : String.valueOf(v));
                case "user_id" -> b.userId(v == null ? null : String.valueOf(v));
                case "app_id" -> b.appId(v == null ? null : String.valueOf(v));
                case "cluster_id" -> b.clusterId(v == null ? null : String.valueOf(v));
                case "timestamp" -> {
                    if (v instanceof Number n) {
                        b.timestamp(new Date(Math.round(n.doubleValue() * 1000)));
                    } else {
                        rest.put(k, v);
                    }
                }
                default -> rest.put(k, v);
            }
        });
        Map<String, Object> headers;
        if (rest.isEmpty() && clientReady(m.headers(), 0)) {
            headers = m.headers();
        } else {
            headers = table(m.headers());
            if (!rest.isEmpty()) {
                headers.put(EXTRA_HEADER, table(rest));
            }
        }
        return b.headers(headers.isEmpty() ? null : headers).build();
    }

    /**
     * True when the RabbitMQ client writes {@code table} exactly as {@link #table} would convert it: string keys and
     * values that are null, {@link String}, {@link Integer}, {@link Boolean}, {@link Double}, {@code byte[]}, or
     * lists and maps of those (a {@link Long} must become an {@code I} when it fits, other numbers and collections
     * need converting). Deeply nested values (beyond 32 levels) are left to {@link #table}.
     */
    static boolean clientReady(Map<?, ?> table, int depth) {
        if (depth > 32) {
            return false;
        }
        for (Map.Entry<?, ?> e : table.entrySet()) {
            if (!(e.getKey() instanceof String) || !clientReady(e.getValue(), depth)) {
                return false;
            }
        }
        return true;
    }

    private static boolean clientReady(Object v, int depth) {
        if (v == null || v instanceof String || v instanceof Integer || v instanceof Boolean || v instanceof Double
                || v instanceof byte[]) {
            return true;
        }
        if (v instanceof Map<?, ?> m) {
            return clientReady(m, depth + 1);
        }
        if (v instanceof List<?> l && v instanceof java.util.RandomAccess) {
            for (int i = 0, n = l.size(); i < n; i++) {
                if (!clientReady(l.get(i), depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /** The message of an AMQP delivery. */
    static Message fromAmqp(AMQP.BasicProperties props, byte[] body) {
        Map<String, Object> amqp = props.getHeaders();
        Map<String, Object> headers = new LinkedHashMap<>(amqp == null ? 4 : amqp.size() * 4 / 3 + 1);
        Map<String, Object> extra = new LinkedHashMap<>();
        if (amqp != null) {
            amqp.forEach((k, v) -> {
                Object value = value(v);
                if (EXTRA_HEADER.equals(k) && value instanceof Map<?, ?> map) {
                    map.forEach((x, y) -> extra.put(String.valueOf(x), y));
                } else {
                    headers.put(k, value);
                }
            });
        }
        putIfSet(extra, "message_id", props.getMessageId());
        putIfSet(extra, "type", props.getType());
        putIfSet(extra, "user_id", props.getUserId());
        putIfSet(extra, "app_id", props.getAppId());
        putIfSet(extra, "cluster_id", props.getClusterId());
        if (props.getTimestamp() != null) {
            extra.put("timestamp", props.getTimestamp().getTime() / 1000);
        }
        MessageProperties p = MessageProperties.builder().contentType(props.getContentType())
                .contentEncoding(props.getContentEncoding()).correlationId(props.getCorrelationId())
                .replyTo(props.getReplyTo()).priority(props.getPriority()).deliveryMode(props.getDeliveryMode())
                .expiration(props.getExpiration()).extra(extra).build();
        return Message.adopting(headers, p, body);
    }

    private static void putIfSet(Map<String, Object> m, String k, String v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    /**
     * A field table for the RabbitMQ client from value-model entries. Strings stay {@link String}s: the client
     * sizes and writes a {@code String} with two small {@code getBytes} calls, whereas a {@link LongString} costs it
     * a stream and a fresh 4 KiB copy buffer per value ({@code ValueWriter.copy}; 43 % of the publishing thread in
     * a JFR profile of 100,000 publishes). Same wire bytes ({@code S}) either way.
     */
    static Map<String, Object> table(Map<?, ?> values) {
        Map<String, Object> out = new LinkedHashMap<>(Math.max(16, values.size() * 4 / 3 + 1));
        values.forEach((k, v) -> out.put(String.valueOf(k), field(v)));
        return out;
    }

    /** One value of the value model as a field value the RabbitMQ client writes as py-amqp would. */
    static Object field(Object v) {
        if (v instanceof String) {
            return v;
        }
        if (v == null || v instanceof Boolean || v instanceof byte[]) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).intValue();
        }
        if (v instanceof Long l) {
            return l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE ? (Object) l.intValue() : l;
        }
        if (v instanceof BigInteger b) {
            return b.bitLength() < 64 ? field(b.longValue()) : b.toString();
        }
        if (v instanceof Double || v instanceof Float) {
            return ((Number) v).doubleValue();
        }
        if (v instanceof BigDecimal d) {
            return d.doubleValue();
        }
        if (v instanceof Map<?, ?> m) {
            return table(m);
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            c.forEach(x -> out.add(field(x)));
            return out;
        }
        if (v instanceof Object[] a) {
            return field(java.util.Arrays.asList(a));
        }
        return String.valueOf(v);
    }

    /** One field value read by the RabbitMQ client as a value of the value model. */
    static Object value(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double
                || v instanceof byte[]) {
            return v;
        }
        if (v instanceof LongString s) {
            return new String(s.getBytes(), StandardCharsets.UTF_8);
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof BigDecimal d) {
            return d.scale() <= 0 && d.precision() - d.scale() < 19 ? (Object) d.longValueExact() : d.doubleValue();
        }
        if (v instanceof Date d) {
            return d.getTime() / 1000;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), value(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(value(x)));
            return out;
        }
        return String.valueOf(v);
    }
}
