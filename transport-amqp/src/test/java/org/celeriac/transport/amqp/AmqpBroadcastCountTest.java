package org.celeriac.transport.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.broker.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link AmqpBroker#publishBroadcastCounted}: a mandatory publish, so RabbitMQ's {@code basic.return} says that no
 * queue is bound (count 0: mingle need not wait); once one is, the count is unknown (AMQP does not say how many).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmqpBroadcastCountTest {
    private final String vhost = AmqpTestSupport.createVhost("bcount");
    private final AmqpBroker publisher = AmqpTestSupport.open(vhost, Map.of());
    private final AmqpBroker listener = AmqpTestSupport.open(vhost, Map.of());

    @AfterAll
    void close() {
        publisher.close();
        listener.close();
        AmqpTestSupport.deleteVhost(vhost);
    }

    private static Message message(String id) {
        return new Message(Map.of("id", id), MessageProperties.builder().contentType("application/json")
                .contentEncoding("utf-8").build(), "{}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void nobodyBoundCountsZeroAndABoundQueueMakesTheCountUnknown() throws Exception {
        String ex = "count." + UUID.randomUUID() + ".pidbox";
        assertThat(publisher.publishBroadcastCounted(ex, "", message("none")).get(10, TimeUnit.SECONDS))
                .isEqualTo(OptionalInt.of(0));

        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        Subscription s = listener.subscribeBroadcast(ex, (rk, m) -> got.add(String.valueOf(m.headers().get("id"))));
        assertThat(publisher.publishBroadcastCounted(ex, "", message("one")).get(10, TimeUnit.SECONDS))
                .isEqualTo(OptionalInt.empty());
        assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("one");
        // a plain broadcast to the same exchange is unaffected (not mandatory: nothing is returned)
        publisher.publishBroadcast(ex, "", message("plain")).get(10, TimeUnit.SECONDS);
        assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("plain");
        s.close();
    }
}
