package org.celeriac.core.control;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.celeriac.core.Celeriac;
import org.celeriac.core.config.CeleriacConfig;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.spi.serializer.Serializer;

/**
 * The names and the message encoding of Celery's mailbox ({@code kombu/pidbox.py Mailbox}, created by
 * {@code celery/app/control.py Control} with {@code control_exchange}): the fanout exchange
 * {@code <ns>.pidbox} requests go to, the direct exchange {@code reply.<ns>.pidbox} replies go to, and the
 * client's reply queue {@code <oid>.reply.<ns>.pidbox} bound to it with the client's id. Bodies are written
 * with the app's {@code task_serializer} and read with the serializer of their content type, if
 * {@code accept_content} allows it. Immutable and thread-safe.
 */
public final class Mailbox {
    private final String namespace;
    private final Serializer serializer;
    private final Function<String, Serializer> serializers;
    private final List<String> accepted;
    private final Duration queueTtl;
    private final Duration queueExpires;

    /**
     * @param namespace {@code control_exchange} ({@code celery})
     * @param serializer writes requests and replies (the app's task serializer)
     * @param serializers finds the serializer of a content type; returns null when none is on the class path
     * @param accepted content types that may be read ({@code accept_content})
     * @param queueTtl {@code control_queue_ttl}; nullable
     * @param queueExpires {@code control_queue_expires}; nullable
     */
    public Mailbox(String namespace, Serializer serializer, Function<String, Serializer> serializers,
                   List<String> accepted, Duration queueTtl, Duration queueExpires) {
        this.namespace = namespace;
        this.serializer = serializer;
        this.serializers = serializers;
        this.accepted = List.copyOf(accepted);
        this.queueTtl = queueTtl;
        this.queueExpires = queueExpires;
    }

    /** The mailbox of an app: {@code control_exchange}, {@code task_serializer}, {@code accept_content}. */
    public static Mailbox of(Celeriac app) {
        Settings s = app.settings();
        List<String> accepted = s instanceof CeleriacConfig c ? c.acceptContentTypes() : List.of("application/json");
        return new Mailbox(s.string("control_exchange", "celery"), app.taskSerializer(),
                app.components()::serializerOrNull, accepted,
                s.duration("control_queue_ttl", Duration.ofSeconds(300)),
                s.duration("control_queue_expires", Duration.ofSeconds(10)));
    }

    /** {@code control_exchange}, e.g. {@code celery}. */
    public String namespace() {
        return namespace;
    }

    /** The fanout exchange requests are broadcast on: {@code celery.pidbox}. */
    public String exchange() {
        return namespace + ".pidbox";
    }

    /** The direct exchange replies are sent to: {@code reply.celery.pidbox}. */
    public String replyExchange() {
        return "reply." + namespace + ".pidbox";
    }

    /** A node's own queue on AMQP: {@code <nodename>.celery.pidbox}. */
    public String nodeQueue(String nodeName) {
        return nodeName + "." + namespace + ".pidbox";
    }

    /**
     * A client's reply queue ({@code Mailbox.get_reply_queue}): {@code <oid>.reply.celery.pidbox}, bound to
     * {@link #replyExchange()} with the oid, not durable, with {@code x-message-ttl}/{@code x-expires} from
     * {@code control_queue_ttl}/{@code control_queue_expires} (ignored by transports without them).
     */
    public QueueSpec replyQueue(String oid) {
        Map<String, Object> args = new LinkedHashMap<>();
        if (queueTtl != null) {
            args.put("x-message-ttl", queueTtl.toMillis());
        }
        if (queueExpires != null) {
            args.put("x-expires", queueExpires.toMillis());
        }
        return new QueueSpec(oid + "." + replyExchange(), replyExchange(), oid, false, null, args);
    }

    /**
     * Encodes a request ({@code Mailbox._publish}): headers {@code clock} and {@code expires} (unix seconds,
     * 0 without a timeout), delivery mode 2 as Celery sends it.
     */
    public Message request(Map<String, Object> body, long clock, double expires) {
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("clock", clock);
        headers.put("expires", expires);
        return new Message(headers, properties(2), serializer.encode(body));
    }

    /** Encodes a reply ({@code Mailbox._publish_reply}): body {@code {node: value}}, headers ticket and clock. */
    public Message reply(String nodeName, Object value, String ticket, long clock) {
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("ticket", ticket);
        headers.put("clock", clock);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put(nodeName, value);
        return new Message(headers, properties(1), serializer.encode(body));
    }

    private MessageProperties properties(int deliveryMode) {
        return MessageProperties.builder().contentType(serializer.contentType())
                .contentEncoding(serializer.contentEncoding()).deliveryMode(deliveryMode).build();
    }

    /**
     * Decodes a request or reply body.
     *
     * @throws SerializationException when the content type is not accepted, has no serializer, or the body is
     *         not valid for it
     */
    public Object decode(Message m) {
        String ct = m.properties().contentType() == null ? "application/data"
                : m.properties().contentType().toLowerCase(Locale.ROOT);
        if (!accepted.contains(ct)) {
            throw new SerializationException("content type '" + ct + "' is not in accept_content " + accepted
                    + "; refusing a remote-control message");
        }
        if (ct.equals("text/plain") || ct.equals("application/text")) {
            return new String(m.body(), StandardCharsets.UTF_8);
        }
        Serializer s = serializers.apply(ct);
        if (s == null) {
            throw new SerializationException("no serializer for '" + ct + "' on the class path");
        }
        return s.decode(m.body());
    }
}
