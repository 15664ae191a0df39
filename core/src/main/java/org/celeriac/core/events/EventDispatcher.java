package org.celeriac.core.events;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.LamportClock;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.serializer.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes Celery events ({@code celery/events/dispatcher.py EventDispatcher}) on the {@code event_exchange}
 * ({@code celeryev}) broadcast exchange, JSON-encoded, with the header {@code hostname} and delivery mode 1.
 * Every event carries {@code hostname}, {@code utcoffset} (hours, positive west of UTC, Python's
 * {@code time.timezone // 3600}), {@code pid}, {@code clock} (Lamport), {@code timestamp} (unix seconds, float)
 * and {@code type}; the routing key is the type with {@code -} replaced by {@code .}.
 *
 * <p>Events of a buffered group ({@code task}, as the worker's dispatcher does) are kept and published together as
 * a JSON list under the routing key {@code task.multi}: at {@value #BUFFER_LIMIT} events at once, otherwise
 * {@link #FLUSH_DELAY_MS} ms after the first one (Celery flushes on the next event-loop tick).
 *
 * <p>Thread-safe. Publishing never blocks the caller and never throws: a failed publish is logged at WARN
 * (events are best effort, as in Celery).
 */
public final class EventDispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventDispatcher.class);
    /** Celery's {@code buffer_limit}. */
    public static final int BUFFER_LIMIT = 24;
    /** Delay before buffered events are flushed, milliseconds. */
    public static final long FLUSH_DELAY_MS = 50;

    private final Broker broker;
    private final Serializer serializer;
    private final String exchange;
    private final String hostname;
    private final LamportClock clock;
    private final long pid = ProcessHandle.current().pid();
    private final List<Map<String, Object>> buffer = new ArrayList<>();
    private final ScheduledExecutorService flusher;
    private boolean flushScheduled;
    private volatile boolean closed;

    /**
     * @param broker the transport; must have {@code broadcast}
     * @param serializer the event serializer (Celery's {@code event_serializer}, JSON)
     * @param exchange the event exchange ({@code celeryev})
     * @param hostname the sender's node name, e.g. {@code celery@host}
     * @param clock the Lamport clock shared with remote control; forwarded once per event
     */
    public EventDispatcher(Broker broker, Serializer serializer, String exchange, String hostname, LamportClock clock) {
        this.broker = broker;
        this.serializer = serializer;
        this.exchange = exchange;
        this.hostname = hostname;
        this.clock = clock;
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "celeriac-events");
            t.setDaemon(true);
            return t;
        });
    }

    /** A dispatcher on the app's broker, {@code event_exchange} (default {@code celeryev}) and JSON. */
    public static EventDispatcher of(Celeriac app, String hostname, LamportClock clock) {
        return new EventDispatcher(app.broker(), app.components().serializer(
                app.settings().string("event_serializer", "json")), exchange(app), hostname, clock);
    }

    /** The app's event exchange: {@code event_exchange}, default {@code celeryev}. */
    public static String exchange(Celeriac app) {
        return app.settings().string("event_exchange", "celeryev");
    }

    /** Python's {@code celery.utils.time.utcoffset()}: hours west of UTC, floor-divided. */
    public static int utcoffset() {
        int east = ZoneId.systemDefault().getRules().getOffset(java.time.Instant.now()).getTotalSeconds();
        return Math.floorDiv(-east, 3600);
    }

    /** The event exchange. */
    public String exchange() {
        return exchange;
    }

    /** The node name events carry. */
    public String hostname() {
        return hostname;
    }

    /**
     * Builds an event as Celery's {@code Event()} with the standard fields, forwarding the clock.
     *
     * @param type e.g. {@code worker-heartbeat}
     * @param fields the type's own fields; values JSON-compatible (nulls allowed)
     */
    public Map<String, Object> event(String type, Map<String, ?> fields) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("hostname", hostname);
        e.put("utcoffset", utcoffset());
        e.put("pid", pid);
        e.put("clock", clock.forward());
        e.putAll(fields);
        java.time.Instant now = java.time.Instant.now();
        e.put("timestamp", now.getEpochSecond() + now.getNano() / 1e9);
        e.put("type", type);
        return e;
    }

    /** Publishes one event now, routing key {@code type} with dots. */
    public CompletableFuture<Void> send(String type, Map<String, ?> fields) {
        return publish(event(type, fields), type.replace('-', '.'));
    }

    /** Buffers a task event; the buffer goes out as one {@code task.multi} message (see the class comment). */
    public void sendBuffered(String type, Map<String, ?> fields) {
        Map<String, Object> e = event(type, fields);
        List<Map<String, Object>> out = null;
        synchronized (buffer) {
            buffer.add(e);
            if (buffer.size() >= BUFFER_LIMIT) {
                out = drain();
            } else if (!flushScheduled && !closed) {
                flushScheduled = true;
                try {
                    flusher.schedule(this::flush, FLUSH_DELAY_MS, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException ex) {
                    out = drain();
                }
            }
        }
        if (out != null) {
            publish(out, "task.multi");
        }
    }

    /** Publishes the buffered task events now (nothing when the buffer is empty). */
    public void flush() {
        List<Map<String, Object>> out;
        synchronized (buffer) {
            out = drain();
        }
        if (!out.isEmpty()) {
            publish(out, "task.multi");
        }
    }

    private List<Map<String, Object>> drain() {
        List<Map<String, Object>> out = new ArrayList<>(buffer);
        buffer.clear();
        flushScheduled = false;
        return out;
    }

    private CompletableFuture<Void> publish(Object body, String routingKey) {
        try {
            MessageProperties props = MessageProperties.builder().contentType(serializer.contentType())
                    .contentEncoding(serializer.contentEncoding()).deliveryMode(1).build();
            Message m = new Message(Map.of("hostname", hostname), props, serializer.encode(body));
            return broker.publishBroadcast(exchange, routingKey, m).whenComplete((v, ex) -> {
                if (ex != null) {
                    LOG.warn("{}: cannot publish event {} on {}: {}", hostname, routingKey, exchange, ex.toString());
                }
            });
        } catch (RuntimeException ex) {
            LOG.warn("{}: cannot publish event {} on {}: {}", hostname, routingKey, exchange, ex.toString());
            return CompletableFuture.failedFuture(ex);
        }
    }

    /** Flushes the buffer and stops the flush thread. Idempotent. */
    @Override
    public void close() {
        closed = true;
        flush();
        flusher.shutdownNow();
    }
}
