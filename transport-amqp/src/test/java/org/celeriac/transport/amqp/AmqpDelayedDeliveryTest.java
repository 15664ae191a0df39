package org.celeriac.transport.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.broker.PublishOptions;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.spi.broker.UnsupportedCapabilityException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Delayed delivery through Celery 5.5's native delay levels ({@link AmqpDelayedDelivery}) on a private vhost: the
 * routing key and the level arguments are kombu's, the message waits in a delay queue of RabbitMQ (not in a
 * consumer), and a plain kombu 5.2 client (no delayed-delivery support of its own) gets it from the target queue
 * when it is due — so any worker, Python's included, runs it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmqpDelayedDeliveryTest {
    String vhost;
    AmqpBroker broker;

    @BeforeAll
    void setUp() {
        vhost = AmqpTestSupport.createVhost("delayed");
        broker = AmqpTestSupport.open(vhost, Map.of());
    }

    @AfterAll
    void tearDown() {
        if (broker != null) {
            broker.close();
        }
        AmqpTestSupport.deleteVhost(vhost);
    }

    private static Message message(String id) {
        return new Message(Map.of("id", id, "task", "tasks.add"),
                MessageProperties.builder().contentType("application/json").contentEncoding("utf-8").correlationId(id)
                        .deliveryMode(2).build(), ("\"" + id + "\"").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theRoutingKeyIsKombusCalculateRoutingKey() {
        // kombu: '.'.join(f"{5:028b}") + '.celery'
        assertThat(AmqpDelayedDelivery.routingKey(5, "celery"))
                .isEqualTo("0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.1.celery");
        assertThat(AmqpDelayedDelivery.routingKey((1 << 28) - 1, "q")).startsWith("1.1.1").endsWith(".1.q")
                .hasSize(28 * 2 + 1);
    }

    @Test
    void delaysAreRoundedUpToWholeSecondsAndNeverEarly() {
        Instant now = Instant.parse("2024-01-01T00:00:00Z");
        assertThat(AmqpDelayedDelivery.delaySeconds(now.minusSeconds(3), now)).isZero();
        assertThat(AmqpDelayedDelivery.delaySeconds(now, now)).isZero();
        assertThat(AmqpDelayedDelivery.delaySeconds(now.plusMillis(1), now)).isEqualTo(1);
        assertThat(AmqpDelayedDelivery.delaySeconds(now.plusMillis(1000), now)).isEqualTo(1);
        assertThat(AmqpDelayedDelivery.delaySeconds(now.plusMillis(1001), now)).isEqualTo(2);
        assertThatThrownBy(() -> AmqpDelayedDelivery.delaySeconds(now.plusSeconds(1L << 28), now))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^28 - 1 s");
        assertThat(broker.capabilities().delayedDelivery()).isTrue();
        assertThat(broker.capabilities().delayPrecision()).isEqualTo(AmqpDelayedDelivery.PRECISION);
    }

    @Test
    void theLevelsAreDeclaredWithKombusArguments() {
        broker.declareQueue(QueueSpec.of("delayed.args"));
        broker.publish("", "delayed.args", message("args"), new PublishOptions(Instant.now().plusSeconds(1), null)).join();
        String out = AmqpTestSupport.rabbitmqctl("list_queues", "-q", "-p", vhost, "name", "type", "arguments");
        String level27 = out.lines().filter(l -> l.startsWith("celery_delayed_27\t")).findFirst().orElseThrow();
        assertThat(level27).contains("quorum").contains("134217728000").contains("reject-publish")
                .contains("at-least-once").contains("celery_delayed_26");
        String level0 = out.lines().filter(l -> l.startsWith("celery_delayed_0\t")).findFirst().orElseThrow();
        assertThat(level0).contains("1000").contains("celery_delayed_delivery");
        assertThat(out.lines().filter(l -> l.startsWith("celery_delayed_"))).hasSize(28);
        Map<String, Object> classic;
        try (AmqpBroker b = AmqpTestSupport.open(vhost, Map.of("broker_native_delayed_delivery_queue_type", "classic"))) {
            classic = new AmqpDelayedDelivery(b).levelArguments(3);
        }
        assertThat(classic).containsEntry("x-queue-type", "classic").containsEntry("x-message-ttl", 8000)
                .doesNotContainKey("x-dead-letter-strategy");
    }

    @Test
    void aDelayedMessageWaitsInRabbitMqAndAPlainKombuClientGetsItWhenDue() {
        broker.declareQueue(QueueSpec.of("delayed.py"));
        Instant notBefore = Instant.now().plusSeconds(2);
        broker.publish("", "delayed.py", message("for-python"), new PublishOptions(notBefore, null)).join();

        assertThat(broker.messageCount("delayed.py")).as("not in the target queue yet").isZero();
        assertThat(broker.messageCount("celery_delayed_1")).as("waiting in the 2 s level").isEqualTo(1);
        String got = AmqpTestSupport.python("import time\n"
                + "from kombu import Connection\n"
                + "with Connection('" + AmqpTestSupport.url(vhost) + "') as c:\n"
                + "    ch = c.default_channel\n"
                + "    deadline = time.time() + 15\n"
                + "    while time.time() < deadline:\n"
                + "        m = ch.basic_get('delayed.py', no_ack=True)\n"
                + "        if m is not None:\n"
                + "            print(repr(time.time()) + ' ' + (m.body if isinstance(m.body, str) else m.body.decode()) + ' ' + m.properties['correlation_id'])\n"
                + "            break\n"
                + "        time.sleep(0.05)\n");
        String[] f = got.split(" ");
        assertThat(f).as("kombu got the message: %s", got).hasSize(3);
        assertThat(f[1]).isEqualTo("\"for-python\"");
        assertThat(f[2]).isEqualTo("for-python");
        Instant at = Instant.ofEpochMilli(Math.round(Double.parseDouble(f[0]) * 1000));
        assertThat(at).as("not before its instant").isAfterOrEqualTo(notBefore.minusMillis(10));
        assertThat(Duration.between(notBefore, at)).as("late by at most the declared precision (+1 s slack)")
                .isLessThan(AmqpDelayedDelivery.PRECISION.plusSeconds(1));
    }

    @Test
    void aNamedExchangeReachesTheQueuesDeclaredOnIt() throws InterruptedException {
        broker.declareQueue(new QueueSpec("delayed.named", "delayed.ex", "delayed.key", true, null, Map.of()));
        LinkedBlockingQueue<Delivery> in = new LinkedBlockingQueue<>();
        Consumer c = broker.consume(List.of("delayed.named"), 0, in::add);
        try {
            broker.publish("delayed.ex", "delayed.key", message("named"),
                    new PublishOptions(Instant.now().plusMillis(500), null)).join();
            Delivery d = in.poll(10, TimeUnit.SECONDS);
            assertThat(d).as("the delayed message reached the queue bound on delayed.ex").isNotNull();
            assertThat(d.message().headers()).containsEntry("id", "named");
            c.ack(d);
        } finally {
            c.close();
        }
        assertThatThrownBy(() -> broker.publish("delayed.ex", "nobody", message("lost"),
                new PublishOptions(Instant.now().plusSeconds(1), null)))
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("declareQueue");
    }

    @Test
    void aDelayedMessageForAMissingQueueFails() {
        assertThat(broker.publish("", "delayed.missing", message("x"), new PublishOptions(Instant.now().plusSeconds(1), null)))
                .failsWithin(Duration.ofSeconds(5)).withThrowableThat().withMessageContaining("no queue named 'delayed.missing'");
    }
}
