package org.celeriac.core.events;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.LamportClock;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.Subscription;
import org.celeriac.spi.serializer.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Celery events ({@code celery/events/receiver.py EventReceiver}) from the event exchange: a message body
 * is one event (a JSON object) or a list of them ({@code task.multi}); each event with a {@code type} goes to the
 * handler, with {@code local_received} (unix seconds) added and the Lamport clock adjusted, as Celery's
 * {@code event_from_message} does. Java and Python senders look the same.
 *
 * <p>The handler runs on the transport's thread: it must be quick and thread-safe. Messages that cannot be read
 * are logged at WARN and skipped. {@link #close()} unsubscribes.
 */
public final class EventReceiver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventReceiver.class);

    private final Subscription subscription;

    /**
     * Subscribes at once; events published after this returns are delivered.
     *
     * @param broker the transport; must have {@code broadcast}
     * @param exchange the event exchange ({@code celeryev})
     * @param serializer decodes bodies (JSON)
     * @param clock adjusted with each event's {@code clock}; nullable
     * @param handler receives each event as a mutable map
     * @throws org.celeriac.spi.broker.UnsupportedCapabilityException when the transport has no broadcast
     */
    public EventReceiver(Broker broker, String exchange, Serializer serializer, LamportClock clock,
                         Consumer<Map<String, Object>> handler) {
        this.subscription = broker.subscribeBroadcast(exchange, (rk, m) -> onMessage(serializer, clock, handler, rk, m));
    }

    /** A receiver on the app's broker and {@code event_exchange}. */
    public static EventReceiver of(Celeriac app, LamportClock clock, Consumer<Map<String, Object>> handler) {
        return new EventReceiver(app.broker(), EventDispatcher.exchange(app),
                app.components().serializer(app.settings().string("event_serializer", "json")), clock, handler);
    }

    private static void onMessage(Serializer serializer, LamportClock clock, Consumer<Map<String, Object>> handler,
                                  String routingKey, Message m) {
        Object body;
        try {
            String ct = m.properties().contentType();
            if (ct != null && !ct.toLowerCase(Locale.ROOT).equals(serializer.contentType())) {
                LOG.warn("skipping an event message ({}) of content type {}; events are {}", routingKey, ct,
                        serializer.contentType());
                return;
            }
            body = serializer.decode(m.body());
        } catch (RuntimeException e) {
            LOG.warn("skipping an event message ({}) that cannot be read: {}", routingKey, e.toString());
            return;
        }
        List<?> events = body instanceof List<?> l ? l : List.of(body);
        for (Object o : events) {
            if (!(o instanceof Map<?, ?> raw) || !(raw.get("type") instanceof String)) {
                LOG.debug("skipping a malformed event ({}): {}", routingKey, o);
                continue;
            }
            Map<String, Object> event = new LinkedHashMap<>();
            raw.forEach((k, v) -> event.put(String.valueOf(k), v));
            if (clock != null && event.get("clock") instanceof Number n) {
                clock.adjust(n.longValue());
            }
            java.time.Instant now = java.time.Instant.now();
            event.put("local_received", now.getEpochSecond() + now.getNano() / 1e9);
            try {
                handler.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("an event handler failed on {}: {}", event.get("type"), e.toString(), e);
            }
        }
    }

    /** Unsubscribes. Idempotent. */
    @Override
    public void close() {
        subscription.close();
    }
}
