package org.celeriac.core.protocol;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.celeriac.api.Durations;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.backend.TaskMetaCodec;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.serializer.Serializer;

/**
 * Encodes task messages in Celery protocol v2 and decodes v2, v1 and hybrid messages
 * ({@code celery/app/amqp.py as_task_v2}, {@code celery/worker/strategy.py proto1_to_proto2}).
 * Immutable and thread-safe.
 */
public final class TaskProtocol {
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss", Locale.ROOT);
    private static final Set<String> ALWAYS_ACCEPTED = Set.of("application/data", "application/text");
    /** The embed of a task outside any canvas: callbacks, errbacks, chain and chord all None, in Celery's order. */
    private static final Map<String, Object> NO_CANVAS;

    static {
        Map<String, Object> m = LinkedHashMap.newLinkedHashMap(4);
        m.put("callbacks", null);
        m.put("errbacks", null);
        m.put("chain", null);
        m.put("chord", null);
        NO_CANVAS = Collections.unmodifiableMap(m);
    }

    private final Function<String, Serializer> serializers;
    private final Set<String> accepted;

    /**
     * @param serializers finds the serializer for a content type; returns null when none is on the class path
     * @param acceptedContentTypes {@code accept_content} as content types
     */
    public TaskProtocol(Function<String, Serializer> serializers, Set<String> acceptedContentTypes) {
        this.serializers = serializers;
        this.accepted = Set.copyOf(acceptedContentTypes);
    }

    // ------------------------------------------------------------------------------------------ encode

    /**
     * Builds a protocol v2 message.
     *
     * @param compression a {@code compression} header value (zlib/gzip) or null
     * @throws SerializationException when the arguments cannot be encoded
     */
    public Message encode(OutgoingTask t, Serializer serializer, String compression) {
        Map<String, Object> extra = t.extraHeaders();
        // 19 headers, the extra ones and compression: sized once, never rehashed
        Map<String, Object> h = LinkedHashMap.newLinkedHashMap(20 + (extra == null ? 0 : extra.size()));
        h.put("lang", "py");
        h.put("task", t.name());
        h.put("id", t.id());
        h.put("shadow", t.shadow());
        h.put("eta", t.eta() == null ? null : formatAware(t.eta()));
        h.put("expires", t.expires() == null ? null : formatAware(t.expires()));
        h.put("group", t.group());
        h.put("group_index", t.groupIndex());
        h.put("retries", t.retries());
        List<Object> timelimit = new ArrayList<>(2);
        timelimit.add(t.timeLimit() == null ? null : Durations.toSeconds(t.timeLimit()));
        timelimit.add(t.softTimeLimit() == null ? null : Durations.toSeconds(t.softTimeLimit()));
        h.put("timelimit", timelimit);
        h.put("root_id", t.rootId() == null ? t.id() : t.rootId());
        h.put("parent_id", t.parentId());
        List<?> args = t.args() == null ? List.of() : t.args();
        Map<String, ?> kwargs = t.kwargs() == null ? Map.of() : t.kwargs();
        h.put("argsrepr", PyRepr.argsRepr(args, PyRepr.MAX_LENGTH));
        h.put("kwargsrepr", PyRepr.repr(kwargs, PyRepr.MAX_LENGTH));
        h.put("origin", t.origin());
        h.put("ignore_result", t.ignoreResult());
        if (extra != null) {
            h.putAll(extra);
        }
        Map<String, Object> embed;
        if (t.callbacks() == null && t.errbacks() == null && t.chain() == null && t.chord() == null) {
            embed = NO_CANVAS;
        } else {
            embed = LinkedHashMap.newLinkedHashMap(4);
            embed.put("callbacks", t.callbacks());
            embed.put("errbacks", t.errbacks());
            embed.put("chain", t.chain());
            embed.put("chord", t.chord());
        }
        byte[] bytes = serializer.encode(Arrays.asList(args, kwargs, embed));
        if (compression != null && !compression.isEmpty()) {
            bytes = Compression.compress(compression, bytes);
            h.put("compression", Compression.ZLIB);
        }
        MessageProperties.Builder p = MessageProperties.builder()
                .correlationId(t.id())
                .replyTo(t.replyTo())
                .contentType(serializer.contentType())
                .contentEncoding(serializer.contentEncoding())
                .deliveryMode(2)
                .priority(t.priority() == null ? 0 : t.priority());
        if (t.expires() != null) {
            long ms = Math.max(0, Instant.now().until(t.expires(), ChronoUnit.MILLIS));
            p.expiration(Long.toString(ms));
        }
        return Message.adopting(h, p.build(), bytes);
    }

    /** Python's aware isoformat in UTC: {@code 2026-11-23T00:12:27.701748+00:00}. */
    public static String formatAware(Instant instant) {
        OffsetDateTime t = instant.truncatedTo(ChronoUnit.MICROS).atOffset(ZoneOffset.UTC);
        int micros = t.getNano() / 1000;
        StringBuilder sb = new StringBuilder(32);
        SECONDS.formatTo(t, sb);
        if (micros != 0) {
            String digits = Integer.toString(micros);
            sb.append('.').append("000000", 0, 6 - digits.length()).append(digits);
        }
        return sb.append("+00:00").toString();
    }

    // ------------------------------------------------------------------------------------------ decode

    /**
     * Decodes a delivered task message.
     *
     * @throws InvalidTaskMessageException when the content type is not accepted, the body cannot be
     *         decoded, or required fields are missing or malformed; the message names the problem and
     *         carries the task id/name when known
     */
    public TaskMessage decode(Delivery delivery) {
        Message m = delivery.message();
        Map<String, Object> headers = m.headers();
        String id = str(headers.get("id"));
        String task = str(headers.get("task"));
        if (id == null) {
            id = m.properties().correlationId();
        }
        String contentType = m.properties().contentType() == null ? "application/data"
                : m.properties().contentType().toLowerCase(Locale.ROOT);
        if (!accepted.contains(contentType) && !ALWAYS_ACCEPTED.contains(contentType)) {
            throw new InvalidTaskMessageException("content type '" + contentType + "' is not accepted (ContentDisallowed); "
                    + "accepted: " + accepted + ". Add it to the accept_content setting if this worker should take it",
                    id, task, null);
        }
        Object body;
        try {
            byte[] raw = m.body();
            Object compression = headers.get("compression");
            if (compression != null) {
                raw = Compression.decompress(String.valueOf(compression), raw);
            }
            body = decodeBody(contentType, m.properties().contentEncoding(), raw);
        } catch (RuntimeException e) {
            throw new InvalidTaskMessageException("cannot decode the body of task " + (task == null ? "?" : task)
                    + "[" + id + "] (" + contentType + "): " + e.getMessage(), id, task, e);
        }
        if (task != null) {
            return fromV2(delivery, headers, body, id, task);
        }
        if (body instanceof Map<?, ?> map && map.get("task") != null) {
            return fromV1(delivery, headers, asStringMap(map));
        }
        throw new InvalidTaskMessageException("message is not a Celery task: no 'task' header (protocol 2) and no "
                + "'task' field in the body (protocol 1); headers present: " + headers.keySet(), id, null, null);
    }

    private Object decodeBody(String contentType, String encoding, byte[] raw) {
        if (contentType.equals("application/data")) {
            return raw;
        }
        if (contentType.equals("application/text") || contentType.equals("text/plain")) {
            return new String(raw, StandardCharsets.UTF_8);
        }
        Serializer s = serializers.apply(contentType);
        if (s == null) {
            throw new SerializationException("no serializer for '" + contentType + "' on the class path");
        }
        return s.decode(raw);
    }

    @SuppressWarnings("unchecked")
    private TaskMessage fromV2(Delivery d, Map<String, Object> h, Object body, String id, String task) {
        if (id == null) {
            throw new InvalidTaskMessageException("task " + task + " has no 'id' header", null, task, null);
        }
        List<Object> args;
        Map<String, Object> kwargs;
        Map<String, Object> embed = Map.of();
        if (body instanceof List<?> l && l.size() >= 2 && l.get(0) instanceof List<?> a && l.get(1) instanceof Map<?, ?> k) {
            args = (List<Object>) a;
            kwargs = asStringMap(k);
            if (l.size() >= 3 && l.get(2) instanceof Map<?, ?> e) {
                embed = asStringMap(e);
            }
        } else if (body instanceof Map<?, ?> map && map.containsKey("args")) { // hybrid: v2 headers, v1 body
            Map<String, Object> merged = new LinkedHashMap<>(asStringMap(map));
            merged.putAll(h);
            return fromV1(d, h, merged);
        } else {
            throw new InvalidTaskMessageException("task " + task + "[" + id + "]: body must be [args, kwargs, embed], got "
                    + describe(body), id, task, null);
        }
        try {
            Duration[] limits = timelimit(h.get("timelimit"));
            return new TaskMessage(id, task, Collections.unmodifiableList(args), Collections.unmodifiableMap(kwargs),
                    sigList(embed.get("callbacks")), sigList(embed.get("errbacks")), sigList(embed.get("chain")),
                    embed.get("chord") instanceof Map<?, ?> c ? asStringMap(c) : null,
                    time(h.get("eta")), time(h.get("expires")), intValue(h.get("retries")), limits[0], limits[1],
                    str(h.get("root_id")), str(h.get("parent_id")), str(h.get("group")),
                    h.get("group_index") instanceof Number n ? n.intValue() : null, str(h.get("shadow")),
                    str(h.get("origin")), Boolean.TRUE.equals(h.get("ignore_result")),
                    d.message().properties().replyTo(), h, 2);
        } catch (RuntimeException e) {
            throw new InvalidTaskMessageException("task " + task + "[" + id + "]: " + e.getMessage(), id, task, e);
        }
    }

    @SuppressWarnings("unchecked")
    private TaskMessage fromV1(Delivery d, Map<String, Object> headers, Map<String, Object> b) {
        String id = str(b.get("id"));
        String task = str(b.get("task"));
        if (id == null) {
            throw new InvalidTaskMessageException("protocol 1 task " + task + " has no 'id'", null, task, null);
        }
        try {
            List<Object> args = b.get("args") instanceof List<?> l ? (List<Object>) l : List.of();
            Map<String, Object> kwargs = b.get("kwargs") instanceof Map<?, ?> k ? asStringMap(k) : Map.of();
            boolean utc = !Boolean.FALSE.equals(b.get("utc"));
            Duration[] limits = timelimit(b.get("timelimit"));
            String group = str(b.get("group"));
            if (group == null) {
                group = str(b.get("taskset"));
            }
            Map<String, Object> all = new LinkedHashMap<>(b);
            all.putAll(headers);
            return new TaskMessage(id, task, Collections.unmodifiableList(args), Collections.unmodifiableMap(kwargs),
                    sigList(b.get("callbacks")), sigList(b.get("errbacks")), List.of(),
                    b.get("chord") instanceof Map<?, ?> c ? asStringMap(c) : null,
                    v1Time(b.get("eta"), utc), v1Time(b.get("expires"), utc), intValue(b.get("retries")),
                    limits[0], limits[1], id, null, group,
                    b.get("group_index") instanceof Number n ? n.intValue() : null, null, null, false,
                    d.message().properties().replyTo(), Collections.unmodifiableMap(all), 1);
        } catch (RuntimeException e) {
            throw new InvalidTaskMessageException("protocol 1 task " + task + "[" + id + "]: " + e.getMessage(), id, task, e);
        }
    }

    private static Instant v1Time(Object v, boolean utc) {
        if (v == null) {
            return null;
        }
        String s = String.valueOf(v);
        if (!utc && !s.endsWith("Z") && !s.matches(".*[+-]\\d\\d:?\\d\\d$")) {
            return java.time.LocalDateTime.parse(s.replace(' ', 'T')).atZone(java.time.ZoneId.systemDefault()).toInstant();
        }
        return time(s);
    }

    private static Instant time(Object v) {
        if (v == null) {
            return null;
        }
        try {
            return TaskMetaCodec.parseDateTime(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid eta/expires '" + v + "' (InvalidTaskError): " + e.getMessage());
        }
    }

    private static Duration[] timelimit(Object v) {
        Duration[] r = new Duration[2];
        if (v instanceof List<?> l) {
            for (int i = 0; i < 2 && i < l.size(); i++) {
                if (l.get(i) instanceof Number n) {
                    r[i] = Durations.ofSeconds(n.doubleValue());
                }
            }
        }
        return r;
    }

    private static int intValue(Object v) {
        if (v == null) {
            return 0;
        }
        if (v instanceof Number n) {
            return n.intValue();
        }
        throw new IllegalArgumentException("'retries' must be an integer, got " + describe(v));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> sigList(Object v) {
        if (v == null) {
            return List.of();
        }
        if (v instanceof Map<?, ?> single) {
            return List.of(asStringMap(single));
        }
        if (v instanceof List<?> l) {
            List<Map<String, Object>> out = new ArrayList<>(l.size());
            for (Object o : l) {
                if (!(o instanceof Map<?, ?> m)) {
                    throw new IllegalArgumentException("a signature must be an object, got " + describe(o));
                }
                out.add((Map<String, Object>) m);
            }
            return out;
        }
        throw new IllegalArgumentException("callbacks/errbacks/chain must be a list of signatures, got " + describe(v));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asStringMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    private static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    static String describe(Object o) {
        if (o == null) {
            return "null";
        }
        if (o instanceof byte[] b) {
            return b.length + " raw bytes";
        }
        return o.getClass().getSimpleName();
    }
}
