package org.celeriac.transport.redis;

import org.celeriac.testsupport.RedisServerProcess;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.tck.TckProviders;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Features that need a server of their own (a private {@code redis-server} on a free port, stopped at the end):
 * Sentinel discovery, {@code CONFIG} disabled, {@code socket_timeout} against a paused server. Fast (well under
 * 5 s together), so not tagged {@code fault}.
 */
class RedisPrivateServerTest {
    @TempDir
    Path dir;

    private static Broker broker(String url, Map<String, Object> options) {
        Settings settings = Settings.of(Map.of("broker_transport_options", options));
        return new RedisBrokerProvider().create(ConnectionUrl.parse(url), settings, TckProviders.context(settings));
    }

    @Test
    void publishesAndConsumesThroughSentinel() throws Exception {
        try (RedisServerProcess master = RedisServerProcess.server(dir);
             RedisServerProcess sentinel = RedisServerProcess.sentinel(dir, master, "mymaster")) {
            int dead = RedisServerProcess.freePort(); // no Sentinel there: the next one is asked
            String url = "sentinel://127.0.0.1:" + dead + ";sentinel://127.0.0.1:" + sentinel.port() + "/1";
            try (Broker b = broker(url, Map.of("master_name", "mymaster"))) {
                b.declareQueue(QueueSpec.of("jobs"));
                b.publish("jobs", "jobs", RedisBrokerTest.msg("via-sentinel", 0)).get(10, TimeUnit.SECONDS);
                RedisClient raw = RedisClient.create(master.url(1));
                try (StatefulRedisConnection<String, String> c = raw.connect()) {
                    // it went to the master the Sentinel named, database 1 of the URL
                    assertThat(c.sync().llen("jobs")).isEqualTo(1);
                    assertThat(c.sync().smembers("_kombu.binding.jobs")).hasSize(1);
                } finally {
                    raw.shutdown();
                }
                LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
                Consumer c = b.consume(List.of("jobs"), 10, got::add);
                Delivery d = got.poll(10, TimeUnit.SECONDS);
                assertThat(d).isNotNull();
                assertThat(RedisBrokerTest.id(d)).isEqualTo("via-sentinel");
                c.ack(d);
                c.close();
                assertThat(b.messageCount("jobs")).isZero();
            }
            assertThatThrownBy(() -> broker("sentinel://127.0.0.1:" + sentinel.port(), Map.of("master_name", "other")))
                    .isInstanceOf(BrokerException.class).hasMessageContaining("cannot connect");
        }
    }

    /**
     * A consumer taking messages one at a time through blocking claims records each with {@code EVALSHA} on the
     * claim's own connection and sends the previous one's ack along with it. When Redis has lost its script cache
     * ({@code SCRIPT FLUSH}, as after a restart), both fail with NOSCRIPT and must be sent again with the script
     * body on the command connection: every message still recorded in unacked, taken off the in-flight list, and
     * acked — nothing left behind.
     */
    @Test
    void blockingClaimsRecordAndAckAfterRedisLostItsScripts() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.server(dir)) {
            RedisClient raw = RedisClient.create(server.url(0));
            try (Broker b = broker(server.url(0), Map.of());
                 StatefulRedisConnection<String, String> conn = raw.connect()) {
                var r = conn.sync();
                b.declareQueue(QueueSpec.of("jobs"));
                LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
                RedisConsumer c = (RedisConsumer) b.consume(List.of("jobs"), 10, got::add);
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> c.inFlightLists().size() == 4);
                for (int i = 0; i < 4; i++) {
                    r.scriptFlush(); // every round: the ADOPT and the ack riding along with it find no script
                    b.publish("", "jobs", RedisBrokerTest.msg("m" + i, 0)).get(5, TimeUnit.SECONDS);
                    Delivery d = got.poll(5, TimeUnit.SECONDS);
                    assertThat(d).as("message %d", i).isNotNull();
                    assertThat(RedisBrokerTest.id(d)).isEqualTo("m" + i);
                    Awaitility.await("message " + i + " recorded in unacked").atMost(Duration.ofSeconds(5))
                            .until(() -> r.hexists("unacked", d.deliveryTag()));
                    c.ack(d);
                }
                Awaitility.await("every message acked").atMost(Duration.ofSeconds(5))
                        .until(() -> r.hlen("unacked") == 0 && r.zcard("unacked_index") == 0);
                for (String list : c.inFlightLists()) {
                    assertThat(r.llen(list)).as("in-flight list %s", list).isZero();
                }
                assertThat(got).isEmpty();
                assertThat(r.info("errorstats")).as("the path under test ran: Redis answered NOSCRIPT")
                        .contains("errorstat_NOSCRIPT");
                c.close();
                assertThat(b.messageCount("jobs")).isZero();
            } finally {
                raw.shutdown();
            }
        }
    }

    @Test
    void aServerWithoutConfigIsNotDurableAndStillWorks() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.server(dir, "--appendonly", "yes",
                "--appendfsync", "always", "--rename-command", "CONFIG", "")) {
            try (Broker b = broker(server.url(0), Map.of())) {
                assertThat(b.capabilities().durable()).as("CONFIG is disabled: durability unknown").isFalse();
                b.publish("", "q", RedisBrokerTest.msg("x", 0)).get(5, TimeUnit.SECONDS);
                assertThat(b.messageCount("q")).isEqualTo(1);
            }
        }
    }

    @Test
    void aDurableServerIsReportedAndAnUnsafeFsyncIsNot() throws Exception {
        Path one = java.nio.file.Files.createDirectories(dir.resolve("always"));
        try (RedisServerProcess always = RedisServerProcess.server(one, "--appendonly", "yes",
                "--appendfsync", "always");
             Broker b = broker(always.url(0), Map.of())) {
            assertThat(b.capabilities().durable()).isTrue();
        }
        Path other = java.nio.file.Files.createDirectories(dir.resolve("everysec"));
        try (RedisServerProcess everysec = RedisServerProcess.server(other, "--appendonly", "yes",
                "--appendfsync", "everysec");
             Broker b = broker(everysec.url(0), Map.of())) {
            assertThat(b.capabilities().durable()).as("everysec may lose the last second").isFalse();
        }
    }

    @Test
    void socketTimeoutBoundsACommandOnAPausedServer() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.server(dir);
             Broker b = broker(server.url(0), Map.of("socket_timeout", 0.5))) { // the handshake too must fit in it on a busy machine
            RedisClient raw = RedisClient.create(server.url(0));
            try (StatefulRedisConnection<String, String> c = raw.connect()) {
                c.sync().clientPause(1500); // every client, this one included, for 1.5 s
                long start = System.nanoTime();
                assertThatThrownBy(() -> b.messageCount("q")).isInstanceOf(BrokerException.class)
                        .hasMessageContaining("timed out");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1200));
                // answers again once the pause is over
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).ignoreExceptions()
                        .until(() -> b.messageCount("q") == 0);
            } finally {
                raw.shutdown();
            }
        }
    }
}
