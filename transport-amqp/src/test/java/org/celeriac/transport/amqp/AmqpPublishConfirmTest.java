package org.celeriac.transport.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.broker.QueueSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Publisher confirms on the real RabbitMQ: many publishes settled by {@code multiple} acks, a returned
 * (unroutable) publish among confirmed ones, and publishing again after the connection was dropped and recovered
 * (the recovered channel numbers its publishes from 1 again). The connection is closed by the server for this
 * test's own vhost only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmqpPublishConfirmTest {
    private final String vhost = AmqpTestSupport.createVhost("confirm");
    private final AmqpBroker broker = AmqpTestSupport.open(vhost,
            Map.of("broker_transport_options", Map.of("recovery_interval", 0.2)));

    @AfterAll
    void close() {
        broker.close();
        AmqpTestSupport.deleteVhost(vhost);
    }

    private static Message message(int i) {
        return new Message(Map.of("id", "m-" + i, "retries", 0L), MessageProperties.builder()
                .contentType("application/json").contentEncoding("utf-8").deliveryMode(2).build(),
                ("[" + i + "]").getBytes(StandardCharsets.UTF_8));
    }

    private List<CompletableFuture<Void>> publish(String queue, int from, int count) {
        List<CompletableFuture<Void>> fs = new ArrayList<>(count);
        for (int i = from; i < from + count; i++) {
            fs.add(broker.publish("", queue, message(i)));
        }
        return fs;
    }

    @Test
    void everyPublishOfABurstIsConfirmedAndCounted() throws Exception {
        broker.declareQueue(QueueSpec.of("confirm.burst"));
        List<CompletableFuture<Void>> fs = publish("confirm.burst", 0, 5_000);
        CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        assertThat(fs).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        await().atMost(Duration.ofSeconds(20)).until(() -> broker.messageCount("confirm.burst") == 5_000);
    }

    @Test
    void anUnroutablePublishFailsAloneAmongConfirmedOnes() throws Exception {
        broker.declareQueue(QueueSpec.of("confirm.routable"));
        List<CompletableFuture<Void>> before = publish("confirm.routable", 0, 200);
        CompletableFuture<Void> lost = broker.publish("", "confirm.no-such-queue", message(-1));
        List<CompletableFuture<Void>> after = publish("confirm.routable", 200, 200);
        assertThatThrownBy(() -> lost.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(BrokerException.class).hasMessageContaining("unroutable")
                .hasMessageContaining("confirm.no-such-queue");
        List<CompletableFuture<Void>> ok = new ArrayList<>(before);
        ok.addAll(after);
        CompletableFuture.allOf(ok.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(20)).until(() -> broker.messageCount("confirm.routable") == 400);
    }

    @Test
    void publishesAreConfirmedAgainAfterTheServerClosedTheConnectionAndItRecovered() throws Exception {
        broker.declareQueue(QueueSpec.of("confirm.recover"));
        CompletableFuture.allOf(publish("confirm.recover", 0, 100).toArray(CompletableFuture[]::new))
                .get(30, TimeUnit.SECONDS);
        // the server closes the connection (CONNECTION_FORCED): the client recovers by itself
        AmqpTestSupport.rabbitmqctl("close_all_connections", "--vhost", vhost, "--limit", "10", "test: forced close");
        // a publish during recovery waits for the connection (publish_recovery_wait) and is confirmed on the new
        // channel, whose sequence numbers start again from 1
        List<CompletableFuture<Void>> again = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            CompletableFuture<Void> f = broker.publish("", "confirm.recover", message(1000 + again.size()));
            again.add(f);
            f.get(10, TimeUnit.SECONDS);
        });
        again.addAll(publish("confirm.recover", 2000, 100));
        CompletableFuture<Void> last = again.get(again.size() - 1);
        last.get(30, TimeUnit.SECONDS);
        assertThat(again.subList(again.size() - 100, again.size()))
                .allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        await().atMost(Duration.ofSeconds(20)).until(() -> broker.messageCount("confirm.recover") >= 200);
    }
}
