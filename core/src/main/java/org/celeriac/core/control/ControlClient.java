package org.celeriac.core.control;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.celeriac.core.Celeriac;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.UnsupportedCapabilityException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of remote control ({@code celery/app/control.py Control} + {@code kombu/pidbox.py
 * Mailbox._broadcast/_collect}): broadcasts a command on {@code celery.pidbox} and, for calls, collects the
 * replies that come back to this client's reply queue {@code <oid>.reply.celery.pidbox} until the timeout or
 * the limit. Works against Python and Java workers alike.
 *
 * <p>Thread-safe: several calls may run at once (replies are told apart by their ticket). Calls block for up
 * to the timeout. The reply queue is declared and consumed on the first call and kept until {@link #close()}.
 * Deviation from kombu: the timeout counts from sending, not from the last reply, so a call never takes longer
 * than its timeout.
 */
public final class ControlClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlClient.class);

    private final Broker broker;
    private final Mailbox mailbox;
    private final LamportClock clock;
    private final String oid = UUID.randomUUID().toString();
    private final Map<String, BlockingQueue<Message>> waiting = new ConcurrentHashMap<>();
    private volatile Consumer replyConsumer;
    private volatile boolean closed;

    /** A client on the app's broker, with its own Lamport clock. Nothing is sent until the first call. */
    public ControlClient(Celeriac app) {
        this(app.broker(), Mailbox.of(app), new LamportClock());
    }

    /**
     * @param broker the transport; must support broadcast
     * @param mailbox names and encoding
     * @param clock the sender's Lamport clock
     */
    public ControlClient(Broker broker, Mailbox mailbox, LamportClock clock) {
        this.broker = broker;
        this.mailbox = mailbox;
        this.clock = clock;
    }

    /** This client's id: the routing key of its reply queue. */
    public String oid() {
        return oid;
    }

    /**
     * Sends a command and collects the replies ({@code Control.broadcast(..., reply=True)}).
     *
     * @param method the command, e.g. {@code ping}, {@code stats}, {@code rate_limit}
     * @param arguments the command's keyword arguments; nullable
     * @param options destination, timeout, limit; nullable for {@link ControlOptions#defaults()}
     * @return node name to reply value, in arrival order (a node answering twice keeps its last reply, with a
     *         warning, as Celery's {@code flatten_reply}); empty when nobody answered in time
     * @throws UnsupportedCapabilityException when the transport has no broadcast (e.g. the SQL transport)
     * @throws org.celeriac.spi.broker.BrokerException when the broker cannot be reached
     */
    public Map<String, Object> call(String method, Map<String, ?> arguments, ControlOptions options) {
        return collect(method, arguments, options, false).replies();
    }

    /**
     * The outcome of {@link #callUntilAllReplied}.
     *
     * @param replies node name to reply value, in arrival order, as {@link #call} returns them; not null
     * @param receivers how many subscribers the transport handed the command to
     *        ({@link Broker#publishBroadcastCounted}); empty when the transport cannot tell
     * @param allReplied true when the call ended because as many nodes had replied as there were receivers
     *        (at once for zero receivers), false when it ended on the timeout, the limit, or an interrupt
     * @param elapsed from just before sending to the end of the collection; not null
     */
    public record Replies(Map<String, Object> replies, OptionalInt receivers, boolean allReplied, Duration elapsed) {
    }

    /**
     * {@link #call}, but also ends as soon as as many nodes have replied as the transport reported receivers of the
     * command, instead of always waiting out the timeout; with zero receivers it returns right after sending. When
     * the transport cannot count receivers (see {@link Broker#publishBroadcastCounted}: Redis counts them, RabbitMQ
     * tells only zero) or a receiver does not reply, the timeout and limit bound the call as for {@link #call}. Not in
     * Celery: kombu's {@code Mailbox._collect} always waits the timeout unless a limit is given. Suited to commands
     * every receiver answers (e.g. {@code hello}, {@code ping}) and sent to every node: a receiver outside the destination or
     * pattern does not reply, so the call then waits the timeout. Blocking, for at most the timeout. Thread-safe.
     *
     * @param method the command, e.g. {@code hello}
     * @param arguments the command's keyword arguments; nullable
     * @param options destination, timeout, limit; nullable for {@link ControlOptions#defaults()}
     * @return the replies, the receiver count and why the collection ended; never null
     * @throws UnsupportedCapabilityException when the transport has no broadcast (e.g. the SQL transport)
     * @throws org.celeriac.spi.broker.BrokerException when the broker cannot be reached
     */
    public Replies callUntilAllReplied(String method, Map<String, ?> arguments, ControlOptions options) {
        return collect(method, arguments, options, true);
    }

    private Replies collect(String method, Map<String, ?> arguments, ControlOptions options, boolean untilAll) {
        ControlOptions o = options == null ? ControlOptions.defaults() : options;
        ensureBroadcast();
        ensureReplyQueue();
        String ticket = UUID.randomUUID().toString();
        BlockingQueue<Message> replies = new LinkedBlockingQueue<>();
        waiting.put(ticket, replies);
        Map<String, Object> out = new LinkedHashMap<>();
        long start = System.nanoTime();
        OptionalInt receivers = OptionalInt.empty();
        boolean allReplied = false;
        try {
            receivers = send(method, arguments, o, ticket);
            int expected = untilAll && receivers.isPresent() ? receivers.getAsInt() : -1;
            int limit = o.effectiveLimit();
            long deadline = start + o.timeout().toNanos();
            while (limit == 0 || out.size() < limit) {
                if (expected >= 0 && out.size() >= expected) {
                    allReplied = true;
                    break;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                Message m;
                try {
                    m = replies.poll(left, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (m == null) {
                    break;
                }
                accept(m, out, o);
            }
            if (!allReplied && expected >= 0 && out.size() >= expected) {
                allReplied = true; // the limit and the count were reached by the same reply
            }
            if (allReplied) {
                // replies already here count too (several nodes behind one counted subscription), without waiting
                for (Message m; (limit == 0 || out.size() < limit) && (m = replies.poll()) != null; ) {
                    accept(m, out, o);
                }
            }
        } finally {
            waiting.remove(ticket);
        }
        return new Replies(out, receivers, allReplied, Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * Sends a command without waiting for replies ({@code Control.broadcast(..., reply=False)}: no ticket, no
     * {@code reply_to}). Non-blocking beyond handing the message to the transport.
     *
     * @throws UnsupportedCapabilityException when the transport has no broadcast
     */
    public void cast(String method, Map<String, ?> arguments, ControlOptions options) {
        ensureBroadcast();
        send(method, arguments, options == null ? ControlOptions.defaults() : options, null);
    }

    /** {@code inspect ping}: the nodes that answered, each with {@code {"ok": "pong"}}. */
    public Map<String, Object> ping(ControlOptions options) {
        return call("ping", Map.of(), options);
    }

    private void accept(Message m, Map<String, Object> out, ControlOptions o) {
        Object body;
        try {
            body = mailbox.decode(m);
        } catch (RuntimeException e) {
            LOG.warn("ignoring a remote-control reply that cannot be read: {}", e.getMessage());
            return;
        }
        if (!(body instanceof Map<?, ?> map)) {
            LOG.warn("ignoring a remote-control reply that is not a mapping: {}", body);
            return;
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String node = String.valueOf(e.getKey());
            if (out.containsKey(node)) {
                LOG.warn("Received multiple replies from node name: {}. Please make sure you give each node a unique "
                        + "nodename using the worker -n option.", node);
            }
            out.put(node, e.getValue());
            if (o.callback() != null) {
                try {
                    o.callback().accept(node, e.getValue());
                } catch (RuntimeException ex) {
                    LOG.warn("a remote-control reply callback failed: {}", ex.toString(), ex);
                }
            }
        }
    }

    /** Publishes the command; returns the number of receivers where the transport tells it. */
    private OptionalInt send(String method, Map<String, ?> arguments, ControlOptions o, String ticket) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("method", method);
        body.put("arguments", arguments == null ? Map.of() : new LinkedHashMap<>(arguments));
        body.put("destination", o.destination().isEmpty() ? null : new ArrayList<>(o.destination()));
        body.put("pattern", o.pattern());
        body.put("matcher", o.matcher());
        if (ticket != null) {
            body.put("ticket", ticket);
            Map<String, Object> replyTo = new LinkedHashMap<>();
            replyTo.put("exchange", mailbox.replyExchange());
            replyTo.put("routing_key", oid);
            body.put("reply_to", replyTo);
        }
        double expires = o.timeout().isZero() ? 0 : System.currentTimeMillis() / 1000d + o.timeout().toNanos() / 1e9;
        return broker.publishBroadcastCounted(mailbox.exchange(), "", mailbox.request(body, clock.forward(), expires))
                .join();
    }

    private void ensureBroadcast() {
        if (closed) {
            throw new IllegalStateException("this control client is closed");
        }
        if (!broker.capabilities().broadcast()) {
            throw new UnsupportedCapabilityException("remote control needs a transport with broadcast (Redis, "
                    + "RabbitMQ, memory://); " + broker.getClass().getSimpleName() + " has none "
                    + "(BrokerCapabilities.broadcast is false)");
        }
    }

    private synchronized void ensureReplyQueue() {
        if (replyConsumer != null) {
            return;
        }
        var q = mailbox.replyQueue(oid);
        broker.declareQueue(q);
        replyConsumer = broker.consume(List.of(q.name()), 0, this::onReply);
    }

    private void onReply(Delivery d) {
        Consumer c = replyConsumer;
        try {
            Message m = d.message();
            clock.adjust(LamportClock.headerValue(m.headers().get("clock")));
            Object expires = m.headers().get("expires");
            if (expires instanceof Number n && n.doubleValue() > 0 && System.currentTimeMillis() / 1000d > n.doubleValue()) {
                return;
            }
            Object ticket = m.headers().get("ticket");
            BlockingQueue<Message> q = ticket == null ? null : waiting.get(String.valueOf(ticket));
            if (q != null) {
                q.add(m);
            } else {
                LOG.debug("dropping a remote-control reply for ticket {} nobody waits for", ticket);
            }
        } finally {
            if (c != null) {
                try {
                    c.ack(d);
                } catch (RuntimeException e) {
                    LOG.debug("cannot ack a remote-control reply: {}", e.toString());
                }
            }
        }
    }

    /**
     * Stops consuming the reply queue. Idempotent. The queue's binding stays on transports without queue
     * deletion (the SPI has none yet); it is not durable and expires on AMQP.
     */
    @Override
    public synchronized void close() {
        closed = true;
        Consumer c = replyConsumer;
        replyConsumer = null;
        if (c != null) {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the reply consumer failed: {}", e.toString());
            }
        }
    }
}
