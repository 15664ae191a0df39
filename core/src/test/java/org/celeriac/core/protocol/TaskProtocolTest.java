package org.celeriac.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.spi.serializer.SerializerProvider;
import org.junit.jupiter.api.Test;

class TaskProtocolTest {
    private static final Serializer JSON = ServiceLoader.load(SerializerProvider.class).stream()
            .map(ServiceLoader.Provider::get).filter(p -> p.name().equals("json")).findFirst().orElseThrow()
            .create(Settings.of(Map.of()));
    private final TaskProtocol protocol = new TaskProtocol(ct -> ct.equals("application/json") ? JSON : null,
            Set.of("application/json"));

    private static Delivery delivery(Message m) {
        return new Delivery(m, "celery", "", "celery", false, "1");
    }

    @Test
    void encodesProtocolTwoAsPythonDoes() {
        OutgoingTask t = OutgoingTask.simple("id-1", "tasks.add", List.of(2L, 2L), Map.of(), "gen1@host");
        Message m = protocol.encode(t, JSON, null);
        assertThat(new String(m.body(), StandardCharsets.UTF_8))
                .isEqualTo("[[2, 2], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]");
        assertThat(m.headers()).containsEntry("lang", "py").containsEntry("task", "tasks.add")
                .containsEntry("id", "id-1").containsEntry("root_id", "id-1").containsEntry("parent_id", null)
                .containsEntry("argsrepr", "(2, 2)").containsEntry("kwargsrepr", "{}").containsEntry("retries", 0)
                .containsEntry("origin", "gen1@host").containsEntry("ignore_result", false)
                .containsKeys("shadow", "eta", "expires", "group", "group_index", "timelimit");
        assertThat(m.properties().correlationId()).isEqualTo("id-1");
        assertThat(m.properties().contentType()).isEqualTo("application/json");
        assertThat(m.properties().contentEncoding()).isEqualTo("utf-8");
        assertThat(m.properties().deliveryMode()).isEqualTo(2);
        assertThat(m.properties().priority()).isEqualTo(0);
    }

    @Test
    void timelimitIsHardThenSoftAndEtaIsAwareUtc() {
        Instant eta = Instant.parse("2026-11-23T00:12:27.701748Z");
        OutgoingTask t = new OutgoingTask("i", "t", List.of(), Map.of(), eta, eta.plusSeconds(60), 0,
                Duration.ofSeconds(10), Duration.ofSeconds(5), "i", null, null, null, null, "o", false, null, null,
                Map.of(), null, null, null, null);
        Message m = protocol.encode(t, JSON, null);
        assertThat(m.headers().get("timelimit")).isEqualTo(List.of(10.0, 5.0));
        assertThat(m.headers().get("eta")).isEqualTo("2026-11-23T00:12:27.701748+00:00");
        assertThat(m.properties().expiration()).isNotNull();
        TaskMessage back = protocol.decode(delivery(m));
        assertThat(back.eta()).isEqualTo(eta);
        assertThat(back.timeLimit()).isEqualTo(Duration.ofSeconds(10));
        assertThat(back.softTimeLimit()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void awareTimesKeepPythonsMicrosecondFormat() {
        assertThat(TaskProtocol.formatAware(Instant.parse("2026-01-02T03:04:05.000123Z")))
                .isEqualTo("2026-01-02T03:04:05.000123+00:00");
        assertThat(TaskProtocol.formatAware(Instant.parse("2026-01-02T03:04:05.5Z")))
                .isEqualTo("2026-01-02T03:04:05.500000+00:00");
        assertThat(TaskProtocol.formatAware(Instant.parse("2026-01-02T03:04:05Z")))
                .as("isoformat() leaves out a zero fraction").isEqualTo("2026-01-02T03:04:05+00:00");
        assertThat(TaskProtocol.formatAware(Instant.parse("2026-01-02T03:04:05.000000999Z")))
                .as("nanoseconds are truncated to Python's microseconds").isEqualTo("2026-01-02T03:04:05+00:00");
        assertThat(TaskProtocol.formatAware(Instant.parse("0999-12-31T23:59:59.999999Z")))
                .isEqualTo("0999-12-31T23:59:59.999999+00:00");
    }

    @Test
    void canvasFieldsGoInTheEmbedInCeleryOrderAndExtraHeadersAfterTheStandardOnes() {
        Map<String, Object> link = Map.of("task", "tasks.log");
        OutgoingTask t = new OutgoingTask("i", "t", List.of(1L), Map.of("k", "v"), null, null, 0, null, null, "i", null,
                null, null, null, "o", false, null, null, Map.of("x-extra", "e"), List.of(link), null, null, null);
        Message m = protocol.encode(t, JSON, null);
        assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("[[1], {\"k\": \"v\"}, {\"callbacks\": "
                + "[{\"task\": \"tasks.log\"}], \"errbacks\": null, \"chain\": null, \"chord\": null}]");
        assertThat(List.copyOf(m.headers().keySet())).containsExactly("lang", "task", "id", "shadow", "eta", "expires",
                "group", "group_index", "retries", "timelimit", "root_id", "parent_id", "argsrepr", "kwargsrepr",
                "origin", "ignore_result", "x-extra");
        assertThat(m.headers().get("argsrepr")).isEqualTo("(1,)");
        assertThat(m.headers().get("kwargsrepr")).isEqualTo("{'k': 'v'}");
        TaskMessage back = protocol.decode(delivery(m));
        assertThat(back.callbacks()).containsExactly(link);
        assertThat(back.args()).containsExactly(1L);
    }

    @Test
    void decodesWhatPythonSends() {
        Map<String, Object> headers = new java.util.LinkedHashMap<>();
        headers.put("lang", "py");
        headers.put("task", "tasks.add");
        headers.put("id", "abc");
        headers.put("eta", "2026-11-23T00:12:27.701748+00:00");
        headers.put("retries", 1L);
        headers.put("timelimit", java.util.Arrays.asList(null, null));
        headers.put("root_id", "root");
        headers.put("parent_id", "par");
        headers.put("stamps", Map.of()); // Celery >= 5.3 extra: ignored
        byte[] body = "[[1, 2], {\"z\": 3}, {\"callbacks\": null, \"errbacks\": null, \"chain\": [{\"task\": \"tasks.mul\", \"args\": [10], \"kwargs\": {}, \"options\": {}, \"subtask_type\": null, \"immutable\": false}], \"chord\": null}]"
                .getBytes(StandardCharsets.UTF_8);
        Message m = new Message(headers, MessageProperties.builder().contentType("application/json")
                .contentEncoding("utf-8").replyTo("r").build(), body);
        TaskMessage t = protocol.decode(delivery(m));
        assertThat(t.args()).containsExactly(1L, 2L);
        assertThat(t.kwargs()).containsEntry("z", 3L);
        assertThat(t.chain()).hasSize(1);
        assertThat(t.retries()).isEqualTo(1);
        assertThat(t.rootId()).isEqualTo("root");
        assertThat(t.parentId()).isEqualTo("par");
        assertThat(t.replyTo()).isEqualTo("r");
        assertThat(t.protocol()).isEqualTo(2);
    }

    @Test
    void readsProtocolOne() {
        byte[] body = ("{\"task\": \"proj.add\", \"id\": \"v1\", \"args\": [2, 2], \"kwargs\": {}, \"group\": null, "
                + "\"retries\": 0, \"eta\": null, \"expires\": null, \"utc\": true, \"callbacks\": null, "
                + "\"errbacks\": null, \"timelimit\": [null, null], \"taskset\": \"g1\", \"chord\": null}")
                .getBytes(StandardCharsets.UTF_8);
        Message m = new Message(Map.of(), MessageProperties.builder().contentType("application/json").build(), body);
        TaskMessage t = protocol.decode(delivery(m));
        assertThat(t.protocol()).isEqualTo(1);
        assertThat(t.task()).isEqualTo("proj.add");
        assertThat(t.args()).containsExactly(2L, 2L);
        assertThat(t.group()).isEqualTo("g1");
    }

    @Test
    void zlibCompressionIsHonouredAndOthersRejected() {
        OutgoingTask t = OutgoingTask.simple("z", "tasks.echo", List.of("x".repeat(1000)), Map.of(), "o");
        Message m = protocol.encode(t, JSON, "gzip");
        assertThat(m.headers()).containsEntry("compression", "application/x-gzip");
        assertThat(m.body().length).isLessThan(200);
        assertThat(protocol.decode(delivery(m)).args()).containsExactly("x".repeat(1000));

        Map<String, Object> h = new java.util.HashMap<>(m.headers());
        h.put("compression", "application/x-bz2");
        assertThatThrownBy(() -> protocol.decode(delivery(new Message(h, m.properties(), m.body()))))
                .isInstanceOf(InvalidTaskMessageException.class)
                .hasMessageContaining("application/x-bz2").hasMessageContaining("not supported");
    }

    @Test
    void rejectsContentTypesNotAcceptedNamingTheSetting() {
        Message m = new Message(Map.of("task", "t", "id", "p1"),
                MessageProperties.builder().contentType("application/x-python-serialize").build(), new byte[] {1, 2});
        assertThatThrownBy(() -> protocol.decode(delivery(m)))
                .isInstanceOf(InvalidTaskMessageException.class)
                .hasMessageContaining("application/x-python-serialize").hasMessageContaining("accept_content")
                .satisfies(e -> assertThat(((InvalidTaskMessageException) e).taskId()).isEqualTo("p1"));
    }

    @Test
    void malformedBodiesAreInvalidWithTheTaskId() {
        Message garbage = new Message(Map.of("task", "tasks.add", "id", "g1"),
                MessageProperties.builder().contentType("application/json").build(),
                "{not json".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> protocol.decode(delivery(garbage)))
                .isInstanceOf(InvalidTaskMessageException.class).hasMessageContaining("g1");
        Message wrongShape = new Message(Map.of("task", "tasks.add", "id", "g2"),
                MessageProperties.builder().contentType("application/json").build(),
                "{\"a\": 1}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> protocol.decode(delivery(wrongShape)))
                .isInstanceOf(InvalidTaskMessageException.class).hasMessageContaining("[args, kwargs, embed]");
        Message noTask = new Message(Map.of("id", "g3"),
                MessageProperties.builder().contentType("application/json").build(),
                "[[], {}, {}]".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> protocol.decode(delivery(noTask)))
                .isInstanceOf(InvalidTaskMessageException.class).hasMessageContaining("no 'task' header");
        Message badEta = new Message(Map.of("task", "tasks.add", "id", "g4", "eta", "yesterday"),
                MessageProperties.builder().contentType("application/json").build(),
                "[[], {}, {}]".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> protocol.decode(delivery(badEta)))
                .isInstanceOf(InvalidTaskMessageException.class).hasMessageContaining("yesterday");
    }
}
