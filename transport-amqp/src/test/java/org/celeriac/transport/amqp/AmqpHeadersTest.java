package org.celeriac.transport.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.junit.jupiter.api.Test;

/** The application headers handed to the RabbitMQ client on publish, and the bytes it writes for them. */
class AmqpHeadersTest {

    /** The headers of a protocol v2 task message as core's TaskProtocol builds them (types included). */
    private static Map<String, Object> taskHeaders() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("lang", "py");
        h.put("task", "tasks.add");
        h.put("id", "9f1e5a3c-0b6d-4c2e-8f47-2d3b9a1c5e70");
        h.put("shadow", null);
        h.put("eta", "2026-11-23T00:12:27.701748+00:00");
        h.put("expires", null);
        h.put("group", null);
        h.put("group_index", null);
        h.put("retries", 0);
        h.put("timelimit", Arrays.asList(10.0, null));
        h.put("root_id", "9f1e5a3c-0b6d-4c2e-8f47-2d3b9a1c5e70");
        h.put("parent_id", null);
        h.put("argsrepr", "(4, 4)");
        h.put("kwargsrepr", "{'név': 'ü'}");
        h.put("origin", "gen42@host");
        h.put("ignore_result", false);
        h.put("stamps", Map.of("k", List.of("v", 1)));
        return h;
    }

    private static Message message(Map<String, Object> headers) {
        return new Message(headers, MessageProperties.builder().contentType("application/json").contentEncoding("utf-8")
                .correlationId("9f1e5a3c-0b6d-4c2e-8f47-2d3b9a1c5e70").replyTo("r").deliveryMode(2).priority(0).build(),
                new byte[] {'[', ']'});
    }

    /** The content-header frame the client writes for {@code props}. */
    private static byte[] wire(AMQP.BasicProperties props) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        props.toFrame(1, 2).writeTo(new DataOutputStream(bytes));
        return bytes.toByteArray();
    }

    @Test
    void taskHeadersGoToTheClientAsTheyAreAndWriteTheSameBytesAsAConvertedCopy() throws IOException {
        Message m = message(taskHeaders());
        assertThat(AmqpHeaders.clientReady(m.headers(), 0)).as("no converted copy needed").isTrue();
        AMQP.BasicProperties fast = AmqpHeaders.toAmqp(m);
        assertThat(fast.getHeaders()).isEqualTo(m.headers());

        AMQP.BasicProperties copied = new AMQP.BasicProperties.Builder().contentType("application/json")
                .contentEncoding("utf-8").correlationId("9f1e5a3c-0b6d-4c2e-8f47-2d3b9a1c5e70").replyTo("r")
                .priority(0).deliveryMode(2).headers(AmqpHeaders.table(m.headers())).build();
        assertThat(wire(fast)).isEqualTo(wire(copied));
    }

    @Test
    void headersTheClientWouldWriteDifferentlyAreStillConverted() {
        Map<String, Object> h = taskHeaders();
        h.put("retries", 3L);                          // py-amqp: I, not l
        h.put("big", BigInteger.TWO.pow(70));          // text
        h.put("nested", Map.of("n", List.of(5L)));     // converted inside tables and arrays too
        assertThat(AmqpHeaders.clientReady(h, 0)).isFalse();
        assertThat(AmqpHeaders.clientReady(Map.of("n", List.of(5L)), 0)).isFalse();
        assertThat(AmqpHeaders.clientReady(Map.of("s", java.util.Set.of("a")), 0)).isFalse();
        AMQP.BasicProperties p = AmqpHeaders.toAmqp(message(h));
        assertThat(p.getHeaders().get("retries")).isEqualTo(3);
        assertThat(p.getHeaders().get("big")).isEqualTo(BigInteger.TWO.pow(70).toString());
        assertThat(p.getHeaders().get("nested")).isEqualTo(Map.of("n", List.of(5)));
        assertThat(p.getHeaders().get("argsrepr")).isEqualTo("(4, 4)");
    }

    @Test
    void extraPropertiesWithoutAnAmqpPropertyTravelInTheirHeader() {
        Message m = new Message(taskHeaders(), MessageProperties.builder().extra("message_id", "m-1")
                .extra("x-custom", 7L).build(), new byte[0]);
        AMQP.BasicProperties p = AmqpHeaders.toAmqp(m);
        assertThat(p.getMessageId()).isEqualTo("m-1");
        assertThat(p.getHeaders().get(AmqpHeaders.EXTRA_HEADER)).isEqualTo(Map.of("x-custom", 7));
        assertThat(m.headers()).doesNotContainKey(AmqpHeaders.EXTRA_HEADER);
        assertThat(AmqpHeaders.fromAmqp(p, new byte[0]).properties().extra())
                .containsEntry("message_id", "m-1").containsEntry("x-custom", 7L);
    }
}
