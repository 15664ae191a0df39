package org.celeriac.tck;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;

/** Messages the broker rules publish, and value comparison that ignores integer widths. Stateless. */
final class TckMessages {
    private TckMessages() {
    }

    /** A Celery-like task message whose header {@code id} is {@code id}. */
    static Message message(String id) {
        return message(id, null);
    }

    static Message message(String id, Integer priority) {
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("lang", "py");
        headers.put("task", "tck.echo");
        headers.put("id", id);
        headers.put("eta", null);
        headers.put("retries", 0L);
        headers.put("timelimit", Arrays.asList(null, 30.5));
        headers.put("argsrepr", "('caf\u00e9', 1)");
        MessageProperties p = MessageProperties.builder().contentType("application/json").contentEncoding("utf-8")
                .correlationId(id).replyTo("tck-reply-" + id).priority(priority).deliveryMode(2).build();
        return new Message(headers, p, ("[[\"" + id + "\"], {}, {\"callbacks\": null}]").getBytes(StandardCharsets.UTF_8));
    }

    static Object idOf(Delivery d) {
        return d.message().headers().get("id");
    }

    /** Integers of every width as {@link Long} (or {@link BigInteger}), floats as doubles, containers recursively. */
    static Object normalize(Object v) {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger b && b.bitLength() < 64) {
            return b.longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(k, normalize(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(normalize(x)));
            return out;
        }
        return v;
    }

    /** Null when equal (ignoring integer widths), else where the first difference is. */
    static String difference(String path, Object expected, Object actual) {
        Object e = normalize(expected);
        Object a = normalize(actual);
        if (e instanceof Map<?, ?> em && a instanceof Map<?, ?> am) {
            if (!em.keySet().equals(am.keySet())) {
                return path + ": keys " + em.keySet() + " expected, " + am.keySet() + " found";
            }
            for (Object k : em.keySet()) {
                String d = difference(path + "." + k, em.get(k), am.get(k));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (e instanceof List<?> el && a instanceof List<?> al) {
            if (el.size() != al.size()) {
                return path + ": " + el.size() + " elements expected, " + al.size() + " found";
            }
            for (int i = 0; i < el.size(); i++) {
                String d = difference(path + "[" + i + "]", el.get(i), al.get(i));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (e instanceof Double ed && a instanceof Double ad) {
            return Double.doubleToLongBits(ed) == Double.doubleToLongBits(ad) ? null
                    : path + ": " + ed + " expected, " + ad + " found";
        }
        if (e instanceof byte[] eb && a instanceof byte[] ab) {
            return Arrays.equals(eb, ab) ? null : path + ": byte arrays differ";
        }
        if (Objects.equals(e, a)) {
            return null;
        }
        return path + ": " + show(e) + " expected, " + show(a) + " found";
    }

    static String show(Object v) {
        if (v == null) {
            return "null";
        }
        String s = v instanceof String str ? "\"" + str + "\"" : String.valueOf(v);
        if (s.length() > 120) {
            s = s.substring(0, 117) + "...";
        }
        return s + " (" + v.getClass().getSimpleName() + ")";
    }

    /**
     * Null when the messages are equal (headers ignoring integer widths, every property, body bytes). Two
     * Celery conventions are not differences: a {@code redelivered} header that the transport added (kombu
     * adds {@code "redelivered": true} when it restores or requeues a message) and a missing priority
     * delivered as 0 (kombu writes priority 0 when none is given).
     */
    static String messageDifference(Message expected, Message actual) {
        java.util.Map<String, Object> actualHeaders = actual.headers();
        if (!expected.headers().containsKey("redelivered") && actualHeaders.containsKey("redelivered")) {
            actualHeaders = new java.util.LinkedHashMap<>(actualHeaders);
            actualHeaders.remove("redelivered");
        }
        String d = difference("headers", expected.headers(), actualHeaders);
        if (d != null) {
            return d;
        }
        MessageProperties e = expected.properties();
        MessageProperties a = actual.properties();
        d = firstNonNull(
                difference("properties.contentType", e.contentType(), a.contentType()),
                difference("properties.contentEncoding", e.contentEncoding(), a.contentEncoding()),
                difference("properties.correlationId", e.correlationId(), a.correlationId()),
                difference("properties.replyTo", e.replyTo(), a.replyTo()),
                difference("properties.priority", e.priority() == null ? 0 : e.priority(),
                        a.priority() == null ? 0 : a.priority()),
                difference("properties.deliveryMode", e.deliveryMode(), a.deliveryMode()),
                difference("properties.expiration", e.expiration(), a.expiration()),
                difference("properties.extra", e.extra(), a.extra()));
        if (d != null) {
            return d;
        }
        byte[] eb = expected.body();
        byte[] ab = actual.body();
        if (!Arrays.equals(eb, ab)) {
            int i = Arrays.mismatch(eb, ab);
            return "body: " + eb.length + " bytes expected, " + ab.length + " bytes found, first difference at byte " + i;
        }
        return null;
    }

    private static String firstNonNull(String... s) {
        for (String x : s) {
            if (x != null) {
                return x;
            }
        }
        return null;
    }
}
