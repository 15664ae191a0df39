package org.celeriac.core.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.LamportClock;
import org.celeriac.spi.broker.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The dispatcher's message format and buffering, and the receiver's handling of lists, on memory://. */
class EventDispatcherTest {
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<String> keys = new CopyOnWriteArrayList<>();
    private final List<Message> messages = new CopyOnWriteArrayList<>();

    private Celeriac app() {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Celeriac app = Celeriac.builder().set("broker_url", ns).set("event_exchange", "myev").build();
        closeables.add(app);
        closeables.add(0, app.broker().subscribeBroadcast("myev", (rk, m) -> {
            keys.add(rk);
            messages.add(m);
        }));
        return app;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void a_single_event_goes_out_at_once_with_the_hostname_header_and_json() throws Exception {
        Celeriac app = app();
        LamportClock clock = new LamportClock();
        try (EventDispatcher d = EventDispatcher.of(app, "n@h", clock)) {
            d.send("worker-heartbeat", Map.of("freq", 2.0)).get();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !messages.isEmpty());
        Message m = messages.get(0);
        assertThat(keys.get(0)).isEqualTo("worker.heartbeat");
        assertThat(m.headers()).containsEntry("hostname", "n@h");
        assertThat(m.properties().contentType()).isEqualTo("application/json");
        assertThat(m.properties().deliveryMode()).isEqualTo(1);
        Object body = app.components().serializer("json").decode(m.body());
        assertThat(body).isInstanceOf(Map.class);
        assertThat((Map<String, Object>) body).containsEntry("type", "worker-heartbeat").containsEntry("clock", 1L)
                .containsEntry("hostname", "n@h").containsEntry("utcoffset", (long) EventDispatcher.utcoffset())
                .containsKeys("pid", "timestamp");
        assertThat(clock.value()).isEqualTo(1);
    }

    @Test
    void buffered_events_go_out_as_one_task_multi_list_and_the_receiver_splits_it() {
        Celeriac app = app();
        List<Map<String, Object>> received = new CopyOnWriteArrayList<>();
        LamportClock mine = new LamportClock();
        closeables.add(0, EventReceiver.of(app, mine, received::add));
        try (EventDispatcher d = EventDispatcher.of(app, "n@h", new LamportClock())) {
            for (int i = 0; i < EventDispatcher.BUFFER_LIMIT; i++) {
                d.sendBuffered("task-started", Map.of("uuid", "id-" + i));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == EventDispatcher.BUFFER_LIMIT);
            d.sendBuffered("task-started", Map.of("uuid", "late"));
            await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == EventDispatcher.BUFFER_LIMIT + 1);
        }
        assertThat(keys).containsOnly("task.multi");
        assertThat(received.get(0)).containsEntry("uuid", "id-0").containsKey("local_received");
        assertThat(mine.value()).isGreaterThan(EventDispatcher.BUFFER_LIMIT);
    }

    @Test
    void utcoffset_is_hours_west_of_utc_like_pythons_time_timezone() {
        int east = java.time.ZoneId.systemDefault().getRules().getOffset(java.time.Instant.now()).getTotalSeconds();
        assertThat(EventDispatcher.utcoffset() * -3600).isBetween(east, east + 3599);
    }
}
