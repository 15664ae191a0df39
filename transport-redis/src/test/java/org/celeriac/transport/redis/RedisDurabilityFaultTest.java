package org.celeriac.transport.redis;

import org.celeriac.testsupport.RedisServerProcess;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.tck.TckProviders;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code BrokerCapabilities.durable} means what it says: on a private {@code redis-server} with
 * {@code --appendonly yes --appendfsync always}, a message whose publish future completed survives a SIGKILL of
 * the server and a restart on the same port and directory — and so does a delivery held in {@code unacked}.
 */
@Tag("fault")
class RedisDurabilityFaultTest {
    @TempDir
    Path dir;

    @Test
    void aPublishedMessageSurvivesAKilledAndRestartedAofAlwaysServer() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.server(dir, "--appendonly", "yes", "--appendfsync", "always")) {
            Settings settings = Settings.of(Map.of("broker_transport_options", Map.of("visibility_timeout", 1)));
            try (Broker b = new RedisBrokerProvider().create(ConnectionUrl.parse(server.url(0)), settings,
                    TckProviders.context(settings))) {
                assertThat(b.capabilities().durable()).isTrue();
                b.declareQueue(QueueSpec.of("jobs"));
                b.publish("jobs", "jobs", RedisBrokerTest.msg("held", 0)).get(5, TimeUnit.SECONDS);
                LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
                RedisConsumer holder = (RedisConsumer) b.consume(List.of("jobs"), 1, got::add);
                assertThat(got.poll(5, TimeUnit.SECONDS)).isNotNull();
                holder.crash(); // "held" is now only in unacked
                b.publish("jobs", "jobs", RedisBrokerTest.msg("queued", 0)).get(5, TimeUnit.SECONDS);

                server.kill(); // SIGKILL: nothing is written after this
                server.restart();

                // the same broker reconnects by itself (once Redis has loaded its AOF); both messages are back
                // (the held one after the visibility timeout, through restore)
                org.awaitility.Awaitility.await("the restarted server answers with its data loaded")
                        .atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions()
                        .until(() -> b.messageCount("jobs") >= 1);
                LinkedBlockingQueue<Delivery> after = new LinkedBlockingQueue<>();
                Consumer c = b.consume(List.of("jobs"), 10, after::add);
                Delivery first = after.poll(30, TimeUnit.SECONDS);
                Delivery second = after.poll(30, TimeUnit.SECONDS);
                assertThat(first).isNotNull();
                assertThat(second).isNotNull();
                assertThat(List.of(RedisBrokerTest.id(first), RedisBrokerTest.id(second)))
                        .containsExactlyInAnyOrder("queued", "held");
                c.ack(first);
                c.ack(second);
                c.close();
                assertThat(b.capabilities().durable()).isTrue();
            }
        }
    }
}
