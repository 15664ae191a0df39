package org.celeriac.core.control;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's mailbox ({@code kombu/pidbox.py Node} as the worker's {@code Pidbox} runs it): subscribes to the
 * fanout exchange {@code <control_exchange>.pidbox}, ignores requests meant for other nodes
 * ({@code destination}, or {@code pattern} with the {@code glob}/{@code pcre} matcher), runs the named
 * {@link ControlHandler} and, when the request has a {@code reply_to}, publishes {@code {node: reply}} to the
 * client's reply exchange with the request's ticket. A handler failure or an unknown command replies
 * {@code {"error": "<repr>"}} (e.g. {@code KeyError('foo')}) as Python does.
 *
 * <p>Requests are handled one at a time on the server's own thread, never on the transport's. Thread-safe;
 * {@link #start()} once, {@link #close()} idempotently.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.worker.control");

    /** Returned by a handler that must not be answered (Celery's {@code shutdown}, which raises SystemExit). */
    public static final Object NO_REPLY = new Object() {
        @Override
        public String toString() {
            return "NO_REPLY";
        }
    };

    private final Broker broker;
    private final Mailbox mailbox;
    private final String nodeName;
    private final LamportClock clock;
    private final Map<String, ControlHandler> handlers;
    private volatile ExecutorService executor;
    private volatile Subscription subscription;

    /**
     * @param broker a broker whose {@code capabilities().broadcast()} is true
     * @param mailbox names and encoding
     * @param nodeName this node, e.g. {@code celery@host}
     * @param clock the node's Lamport clock (adjusted on every request, forwarded on every reply)
     * @param handlers command name to handler; copied
     */
    public ControlServer(Broker broker, Mailbox mailbox, String nodeName, LamportClock clock,
                         Map<String, ControlHandler> handlers) {
        this.broker = broker;
        this.mailbox = mailbox;
        this.nodeName = nodeName;
        this.clock = clock;
        this.handlers = Map.copyOf(handlers);
    }

    /** The command names this server answers. */
    public java.util.Set<String> commands() {
        return handlers.keySet();
    }

    /**
     * Subscribes to the mailbox exchange. Blocks until the subscription is in place.
     *
     * @throws org.celeriac.spi.broker.UnsupportedCapabilityException when the broker has no broadcast
     * @throws org.celeriac.spi.broker.BrokerException when the broker cannot be reached
     */
    public synchronized void start() {
        if (executor != null) {
            throw new IllegalStateException("a control server starts once");
        }
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "celeriac-pidbox");
            t.setDaemon(true);
            return t;
        });
        subscription = broker.subscribeBroadcast(mailbox.exchange(), (rk, m) -> {
            ExecutorService ex = executor;
            try {
                ex.execute(() -> onMessage(m));
            } catch (RejectedExecutionException e) {
                // closing
            }
        });
    }

    private void onMessage(Message m) {
        try {
            handleMessage(m);
        } catch (RuntimeException e) {
            LOG.error("pidbox: cannot handle a remote-control message: {}", e.toString(), e);
        }
    }

    /**
     * Handles one request message: returns what was replied (or would have been, without {@code reply_to}),
     * or null when the request was not for this node or could not be read. Package-private for tests.
     */
    Object handleMessage(Message m) {
        Object decoded;
        try {
            decoded = mailbox.decode(m);
        } catch (RuntimeException e) {
            LOG.error("pidbox: cannot decode a remote-control message: {}", e.getMessage());
            return null;
        }
        clock.adjust(LamportClock.headerValue(m.headers().get("clock")));
        if (!(decoded instanceof Map<?, ?> body)) {
            LOG.error("pidbox: a remote-control message must be a mapping, got {}",
                    decoded == null ? "null" : decoded.getClass().getSimpleName());
            return null;
        }
        if (!forMe(body.get("destination"), body.get("pattern"), body.get("matcher"))) {
            return null;
        }
        Object method = body.get("method");
        Map<String, Object> arguments = new LinkedHashMap<>();
        if (body.get("arguments") instanceof Map<?, ?> a) {
            a.forEach((k, v) -> arguments.put(String.valueOf(k), v));
        }
        Object replyTo = body.get("reply_to");
        LOG.debug("pidbox received method {}({}) [reply_to:{} ticket:{}]", method, arguments, replyTo, body.get("ticket"));
        Object reply = dispatch(String.valueOf(method), arguments);
        if (reply == NO_REPLY) {
            return null;
        }
        if (replyTo instanceof Map<?, ?> rt && rt.get("exchange") != null && rt.get("routing_key") != null) {
            Object ticket = body.get("ticket");
            try {
                broker.publish(String.valueOf(rt.get("exchange")), String.valueOf(rt.get("routing_key")),
                        mailbox.reply(nodeName, reply, ticket == null ? null : String.valueOf(ticket), clock.forward()));
            } catch (RuntimeException e) {
                LOG.warn("pidbox: cannot send the reply to {}: {}", method, e.toString());
            }
        }
        return reply;
    }

    private Object dispatch(String method, Map<String, Object> arguments) {
        ControlHandler h = handlers.get(method);
        try {
            if (h == null) {
                throw new ControlException("KeyError", method);
            }
            return h.handle(arguments);
        } catch (ControlException e) {
            LOG.error("pidbox command error: {}", ControlException.repr(e.pythonType(), e.getMessage()));
            return Map.of("error", ControlException.repr(e.pythonType(), e.getMessage()));
        } catch (Exception e) {
            String type = e instanceof IllegalArgumentException ? "ValueError"
                    : e instanceof UnsupportedOperationException ? "NotImplementedError" : "Exception";
            String repr = ControlException.repr(type, e.getMessage() == null ? e.toString() : e.getMessage());
            LOG.error("pidbox command error: {}", repr, e);
            return Map.of("error", repr);
        }
    }

    /** kombu's {@code Node.handle_message} selection: destination list, else pattern + matcher, else all. */
    boolean forMe(Object destination, Object pattern, Object matcher) {
        if (destination instanceof List<?> l && !l.isEmpty()) {
            return l.stream().anyMatch(d -> nodeName.equals(String.valueOf(d)));
        }
        if (destination instanceof String s && !s.isEmpty()) {
            return nodeName.equals(s);
        }
        if (pattern instanceof String p && !p.isEmpty() && matcher instanceof String mt && !mt.isEmpty()) {
            return matches(nodeName, p, mt);
        }
        return true;
    }

    /**
     * {@code kombu/matcher.py}: {@code glob} is {@code fnmatch} (whole name), {@code pcre} is {@code re.match}
     * (from the start). An invalid pattern or unknown matcher matches nothing.
     */
    static boolean matches(String name, String pattern, String matcher) {
        try {
            return switch (matcher) {
                case "glob" -> Pattern.compile(globToRegex(pattern)).matcher(name).matches();
                case "pcre" -> Pattern.compile(pattern).matcher(name).lookingAt();
                default -> {
                    LOG.warn("pidbox: unknown matcher '{}' (use glob or pcre); request ignored", matcher);
                    yield false;
                }
            };
        } catch (PatternSyntaxException e) {
            LOG.warn("pidbox: invalid {} pattern '{}': {}", matcher, pattern, e.getDescription());
            return false;
        }
    }

    private static String globToRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> sb.append(".*");
                case '?' -> sb.append('.');
                case '[' -> {
                    int end = glob.indexOf(']', i + 2);
                    if (end < 0) {
                        sb.append("\\[");
                    } else {
                        String set = glob.substring(i + 1, end);
                        if (set.startsWith("!")) {
                            set = "^" + set.substring(1);
                        }
                        sb.append('[').append(set.replace("\\", "\\\\")).append(']');
                        i = end;
                    }
                }
                default -> sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return sb.toString();
    }

    /** Unsubscribes and stops the server's thread (a request being handled finishes). Idempotent. */
    @Override
    public synchronized void close() {
        Subscription s = subscription;
        subscription = null;
        if (s != null) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the pidbox subscription failed: {}", e.toString());
            }
        }
        ExecutorService ex = executor;
        if (ex != null) {
            ex.shutdown();
            try {
                ex.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
