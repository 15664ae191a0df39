package org.celeriac.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.core.control.LamportClock;
import org.celeriac.core.events.EventDispatcher;
import org.celeriac.core.events.EventReceiver;
import org.celeriac.core.protocol.OutgoingTask;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.UnsupportedCapabilityException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What {@link Celeriac#publish} adds to a task message, as Celery's {@code send_task}/{@code send_task_message} do,
 * on the in-memory broker (delayed delivery and broadcast, not durable, no transactional publish): the
 * {@code reply_to} property, the {@code eta} header of a countdown (held by the worker here: broker-side delays are
 * for durable brokers, tested on SQL and RabbitMQ in interop-tests), {@code task-sent} events, and the refusal of
 * a transaction the broker cannot join.
 */
class CeleriacPublishTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private Celeriac app(Map<String, Object> extra) {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Celeriac.Builder b = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                .registry(TaskRegistry.of(List.of()));
        extra.forEach(b::set);
        Celeriac app = b.build();
        closeables.add(0, app);
        return app;
    }

    private List<Delivery> consume(Celeriac app, String queue) {
        List<Delivery> got = new CopyOnWriteArrayList<>();
        Consumer c = app.broker().consume(List.of(queue), 0, got::add);
        closeables.add(0, c::close);
        return got;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void replyToIsTheAppsOidAsCelerySetsIt() {
        Celeriac app = app(Map.of());
        Celeriac other = app(Map.of());
        List<Delivery> got = consume(app, "celery");
        app.task("t.any").delay(1);
        app.publish(OutgoingTask.simple("given", "t.any", List.of(), Map.of(), app.origin()), null, "", "celery", "celery");
        OutgoingTask explicit = OutgoingTask.simple("explicit", "t.any", List.of(), Map.of(), app.origin());
        explicit = new OutgoingTask(explicit.id(), explicit.name(), explicit.args(), explicit.kwargs(), null, null, 0, null,
                null, explicit.id(), null, null, null, null, explicit.origin(), false, "the-callers-queue", null, Map.of(),
                null, null, null, null);
        app.publish(explicit, null, "", "celery", "celery");
        await().atMost(WAIT).until(() -> got.size() == 3);
        assertThat(app.oid()).isNotBlank().isNotEqualTo(other.oid());
        assertThat(UUID.fromString(app.oid()).toString()).isEqualTo(app.oid());
        assertThat(got.get(0).message().properties().replyTo()).isEqualTo(app.oid());
        assertThat(got.get(1).message().properties().replyTo()).isEqualTo(app.oid());
        assertThat(got.get(2).message().properties().replyTo()).isEqualTo("the-callers-queue");
    }

    @Test
    void aCountdownOnABrokerThatIsNotDurableIsHeldByTheWorker() {
        Celeriac app = app(Map.of());
        assertThat(app.broker().capabilities().delayedDelivery()).isTrue();
        assertThat(app.broker().capabilities().durable()).isFalse();
        Instant sent = Instant.now();
        app.task("t.any").applyAsync(List.of(1), null, ApplyOptions.builder().countdown(60).build());
        // ready at once (the worker holds it until its ETA): memory:// delays would be no safer than the worker's
        assertThat(app.broker().messageCount("celery")).isEqualTo(1);
        List<Delivery> got = consume(app, "celery");
        await().atMost(WAIT).until(() -> got.size() == 1);
        Object eta = got.get(0).message().headers().get("eta");
        assertThat(OffsetDateTime.parse((String) eta).toInstant()).isBetween(sent.plusSeconds(60), Instant.now().plusSeconds(60));
    }

    @Test
    void taskSentEventsCarryCelerysFields() {
        Celeriac app = app(Map.of("task_send_sent_event", true));
        List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
        closeables.add(0, EventReceiver.of(app, new LamportClock(), events::add));
        Instant eta = Instant.parse("2030-01-02T03:04:05.123456Z");
        AsyncResult<Object> r = app.task("t.sent").applyAsync(List.of(1, "a"), Map.of("k", 2),
                ApplyOptions.builder().eta(eta).queue("sentq").build());
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> "task-sent".equals(e.get("type"))));
        Map<String, Object> e = events.stream().filter(x -> "task-sent".equals(x.get("type"))).findFirst().orElseThrow();
        assertThat(e).containsEntry("uuid", r.id()).containsEntry("root_id", r.id()).containsEntry("parent_id", null)
                .containsEntry("name", "t.sent").containsEntry("args", "(1, 'a')").containsEntry("kwargs", "{'k': 2}")
                .containsEntry("eta", "2030-01-02T03:04:05.123456+00:00").containsEntry("expires", null)
                .containsEntry("queue", "sentq").containsEntry("exchange", "").containsEntry("routing_key", "sentq")
                .containsEntry("hostname", app.origin());
        assertThat(((Number) e.get("retries")).intValue()).isZero();
        assertThat(e).containsKeys("clock", "timestamp", "utcoffset", "pid");
    }

    @Test
    void noTaskSentEventUnlessEnabled() {
        Celeriac app = app(Map.of());
        List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
        closeables.add(0, EventReceiver.of(app, null, events::add));
        app.task("t.quiet").delay(1);
        try (EventDispatcher probe = EventDispatcher.of(app, "probe@test", new LamportClock())) {
            probe.send("worker-heartbeat", Map.of()); // published after the task: seen after any task-sent would be
            await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> "probe@test".equals(e.get("hostname"))));
        }
        assertThat(events).noneMatch(e -> "task-sent".equals(e.get("type")));
    }

    @Test
    void aTransactionIsRefusedWhereTheBrokerCannotJoinIt() {
        Celeriac app = app(Map.of());
        // core has no JDBC driver: a connection that can only print itself (with a secret, as some drivers do)
        Connection c = (Connection) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("toString")) {
                        return "conn jdbc:h2:mem:x;PASSWORD=s3cret";
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        ApplyOptions tx = ApplyOptions.builder().transaction(c).build();
        assertThat(tx.toString()).contains("transaction=").doesNotContain("s3cret");
        assertThatThrownBy(() -> app.task("t.tx").applyAsync(List.of(), null, tx))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessageContaining("t.tx").hasMessageContaining("MemoryBroker")
                .hasMessageContaining("transactionalPublish is false").hasMessageContaining("SQL transport")
                .hasMessageNotContaining("s3cret");
        assertThat(app.broker().messageCount("t.tx")).isIn(0L, -1L);
        assertThat(app.broker().messageCount("celery")).isZero();
    }
}
