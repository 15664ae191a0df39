package org.celeriac.core.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pidbox wire format and node selection, against memory:// (kombu/pidbox.py is the reference). */
class ControlProtocolTest {
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private Celeriac app(Map<String, Object> extra) {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Celeriac.Builder b = Celeriac.builder().set("broker_url", ns).registry(TaskRegistry.of(List.of()));
        extra.forEach(b::set);
        Celeriac app = b.build();
        closeables.add(0, app);
        return app;
    }

    private <T extends AutoCloseable> T closing(T c) {
        closeables.add(0, c);
        return c;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(Celeriac app, Message m) {
        return (Map<String, Object>) app.taskSerializer().decode(m.body());
    }

    @Test
    void a_request_has_kombus_body_and_clock_and_expires_headers() {
        Celeriac app = app(Map.of());
        List<Message> seen = new CopyOnWriteArrayList<>();
        closing(app.broker().subscribeBroadcast("celery.pidbox", (rk, m) -> seen.add(m)));
        ControlClient client = closing(new ControlClient(app));

        client.cast("rate_limit", Map.of("task_name", "t.add", "rate_limit", "10/m"), ControlOptions.defaults());
        client.call("ping", Map.of(), ControlOptions.defaults().withDestination(List.of("a@h")).withTimeout(Duration.ofMillis(50)));

        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
        Map<String, Object> cast = json(app, seen.get(0));
        assertThat(cast).containsOnlyKeys("method", "arguments", "destination", "pattern", "matcher");
        assertThat(cast).containsEntry("method", "rate_limit").containsEntry("destination", null)
                .containsEntry("arguments", Map.of("task_name", "t.add", "rate_limit", "10/m"));
        assertThat(seen.get(0).headers()).containsKeys("clock", "expires");
        assertThat(seen.get(0).properties().contentType()).isEqualTo("application/json");

        Map<String, Object> call = json(app, seen.get(1));
        assertThat(call).containsEntry("method", "ping").containsEntry("destination", List.of("a@h")).containsKey("ticket");
        assertThat(call.get("reply_to")).isEqualTo(Map.of("exchange", "reply.celery.pidbox", "routing_key", client.oid()));
        assertThat(((Number) seen.get(1).headers().get("clock")).longValue())
                .isGreaterThan(((Number) seen.get(0).headers().get("clock")).longValue());
        assertThat(((Number) seen.get(1).headers().get("expires")).doubleValue())
                .isGreaterThan(System.currentTimeMillis() / 1000d - 5);
    }

    @Test
    void a_server_answers_with_its_node_name_the_ticket_and_its_clock() {
        Celeriac app = app(Map.of());
        LamportClock serverClock = new LamportClock();
        ControlServer server = closing(new ControlServer(app.broker(), Mailbox.of(app), "w1@host", serverClock,
                Map.of("ping", a -> Map.of("ok", "pong"), "echo", a -> a)));
        server.start();
        List<Message> replies = new CopyOnWriteArrayList<>();
        ControlClient client = closing(new ControlClient(app));

        Map<String, Object> r = client.call("echo", Map.of("x", 1L), ControlOptions.defaults()
                .withTimeout(Duration.ofSeconds(5)).withLimit(1).withCallback((n, v) -> replies.add(null)));

        assertThat(r).isEqualTo(Map.of("w1@host", Map.of("x", 1L)));
        assertThat(replies).hasSize(1);
        assertThat(serverClock.value()).as("adjusted on receive, forwarded on reply").isGreaterThanOrEqualTo(2);
    }

    @Test
    void an_unknown_command_or_a_failing_handler_replies_pythons_error_repr() {
        Celeriac app = app(Map.of());
        ControlServer server = closing(new ControlServer(app.broker(), Mailbox.of(app), "w1@host", new LamportClock(),
                Map.of("boom", a -> {
                    throw new ControlException("ValueError", "Autoscale not enabled");
                }, "npe", a -> {
                    throw new IllegalStateException("it's broken");
                })));
        server.start();
        ControlClient client = closing(new ControlClient(app));
        ControlOptions one = ControlOptions.defaults().withTimeout(Duration.ofSeconds(5)).withLimit(1);

        assertThat(client.call("nope", null, one)).isEqualTo(Map.of("w1@host", Map.of("error", "KeyError('nope')")));
        assertThat(client.call("boom", null, one))
                .isEqualTo(Map.of("w1@host", Map.of("error", "ValueError('Autoscale not enabled')")));
        assertThat(client.call("npe", null, one))
                .isEqualTo(Map.of("w1@host", Map.of("error", "Exception(\"it's broken\")")));
    }

    @Test
    void destination_and_patterns_select_the_nodes_that_answer() {
        Celeriac app = app(Map.of());
        for (String node : List.of("alpha@h1", "beta@h1", "gamma@h2")) {
            closing(new ControlServer(app.broker(), Mailbox.of(app), node, new LamportClock(),
                    Map.of("ping", a -> Map.of("ok", "pong")))).start();
        }
        ControlClient client = closing(new ControlClient(app));
        ControlOptions base = ControlOptions.defaults().withTimeout(Duration.ofMillis(700));

        assertThat(client.ping(base).keySet()).containsExactlyInAnyOrder("alpha@h1", "beta@h1", "gamma@h2");
        assertThat(client.ping(base.withDestination(List.of("beta@h1", "gamma@h2"))).keySet())
                .containsExactlyInAnyOrder("beta@h1", "gamma@h2");
        assertThat(client.ping(base.withPattern("*@h1", "glob")).keySet()).containsExactlyInAnyOrder("alpha@h1", "beta@h1");
        assertThat(client.ping(base.withPattern("g", "pcre")).keySet()).containsExactly("gamma@h2");
        assertThat(client.ping(base.withPattern("[!a]*", "glob")).keySet()).containsExactlyInAnyOrder("beta@h1", "gamma@h2");
    }

    @Test
    void a_destination_call_returns_as_soon_as_every_destination_answered() {
        Celeriac app = app(Map.of());
        closing(new ControlServer(app.broker(), Mailbox.of(app), "solo@h", new LamportClock(),
                Map.of("ping", a -> Map.of("ok", "pong")))).start();
        ControlClient client = closing(new ControlClient(app));
        long t0 = System.nanoTime();

        Map<String, Object> r = client.ping(ControlOptions.defaults().withDestination(List.of("solo@h"))
                .withTimeout(Duration.ofSeconds(20)));

        assertThat(r).containsOnlyKeys("solo@h");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void control_exchange_renames_the_mailbox_so_separate_namespaces_do_not_see_each_other() {
        Celeriac app = app(Map.of("control_exchange", "other"));
        Mailbox mb = Mailbox.of(app);
        assertThat(mb.exchange()).isEqualTo("other.pidbox");
        assertThat(mb.replyExchange()).isEqualTo("reply.other.pidbox");
        assertThat(mb.replyQueue("abc").name()).isEqualTo("abc.reply.other.pidbox");
        assertThat(mb.replyQueue("abc").routingKey()).isEqualTo("abc");
        assertThat(mb.replyQueue("abc").arguments()).containsEntry("x-message-ttl", 300_000L).containsEntry("x-expires", 10_000L);
        assertThat(mb.nodeQueue("w@h")).isEqualTo("w@h.other.pidbox");

        closing(new ControlServer(app.broker(), new Mailbox("celery", app.taskSerializer(),
                app.components()::serializerOrNull, List.of("application/json"), null, null), "w@celery",
                new LamportClock(), Map.of("ping", a -> Map.of("ok", "pong")))).start();
        ControlClient client = closing(new ControlClient(app));
        assertThat(client.ping(ControlOptions.defaults().withTimeout(Duration.ofMillis(300)))).isEmpty();
    }

    @Test
    void a_request_in_a_content_type_outside_accept_content_is_ignored() {
        Celeriac app = app(Map.of());
        List<Object> handled = new CopyOnWriteArrayList<>();
        ControlServer server = closing(new ControlServer(app.broker(), Mailbox.of(app), "w@h", new LamportClock(),
                Map.of("ping", a -> {
                    handled.add(a);
                    return Map.of("ok", "pong");
                })));
        Message yaml = new Message(Map.of("clock", 1L), MessageProperties.builder().contentType("application/x-yaml").build(),
                "method: ping".getBytes(StandardCharsets.UTF_8));
        assertThat(server.handleMessage(yaml)).isNull();
        Message ok = new Message(Map.of("clock", 1L), MessageProperties.builder().contentType("application/json").build(),
                "{\"method\": \"ping\", \"arguments\": {}, \"destination\": null}".getBytes(StandardCharsets.UTF_8));
        assertThat(server.handleMessage(ok)).isEqualTo(Map.of("ok", "pong"));
        assertThat(handled).hasSize(1);
    }

    @Test
    void the_lamport_clock_forwards_and_adjusts_like_kombus() {
        LamportClock c = new LamportClock();
        assertThat(c.forward()).isEqualTo(1);
        assertThat(c.adjust(10)).isEqualTo(11);
        assertThat(c.adjust(3)).isEqualTo(12);
        assertThat(LamportClock.headerValue("42")).isEqualTo(42);
        assertThat(LamportClock.headerValue(null)).isZero();
    }

    @Test
    void the_limited_set_bounds_its_size_expires_entries_and_merges_what_python_sends() {
        LimitedSet s = new LimitedSet(3, 100);
        for (String id : List.of("a", "b", "c", "d")) {
            s.add(id);
        }
        assertThat(s.ids()).containsExactly("b", "c", "d");
        double now = LimitedSet.monotonic();
        s.update(Map.of("old", List.of(now - 1000, "old")));
        assertThat(s.contains("old")).as("expired on arrival").isFalse();
        s.update(Map.of("e", List.of(now, "e")));
        s.update(Map.of("f", now));
        s.update(List.of("g"));
        assertThat(s.ids()).containsExactly("e", "f", "g");
        assertThat(s.asData().get("g")).isInstanceOfSatisfying(List.class, l -> {
            assertThat(l.get(0)).isInstanceOf(Double.class);
            assertThat(l.get(1)).isEqualTo("g");
        });
    }

    @Test
    void python_reprs_quote_like_python() {
        assertThat(ControlException.repr("KeyError", "x")).isEqualTo("KeyError('x')");
        assertThat(ControlException.repr("AttributeError", "'TaskPool' object has no attribute 'grow'"))
                .isEqualTo("AttributeError(\"'TaskPool' object has no attribute 'grow'\")");
        assertThat(ControlServer.matches("w1@host", "w?@*", "glob")).isTrue();
        assertThat(ControlServer.matches("w1@host", "host", "pcre")).isFalse();
    }
}
