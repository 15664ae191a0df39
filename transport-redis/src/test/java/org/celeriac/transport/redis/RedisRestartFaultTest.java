package org.celeriac.transport.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.QueueSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Restarts a private redis-server (on a free port) under a running consumer. */
@Tag("fault")
class RedisRestartFaultTest {
    private Process server;
    private Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void start(int port) throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("celeriac-redis-fault");
        }
        server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.destroyForcibly().waitFor();
        }
    }

    @Test
    void aConsumerReconnectsAfterARedisRestartAndKeepsConsuming() throws Exception {
        int port = freePort();
        start(port);
        String url = "redis://127.0.0.1:" + port + "/0";
        Settings settings = Settings.of(Map.of());
        try (Broker b = new RedisBrokerProvider().create(ConnectionUrl.parse(url), settings, org.celeriac.tck.TckProviders.context(settings))) {
            b.declareQueue(QueueSpec.of("jobs"));
            Set<String> seen = ConcurrentHashMap.newKeySet();
            Consumer[] c = new Consumer[1];
            c[0] = b.consume(List.of("jobs"), 10, d -> {
                seen.add((String) d.message().headers().get("id"));
                c[0].ack(d);
            });
            b.publish("", "jobs", RedisBrokerTest.msg("before", 0)).get();
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains("before"));

            server.destroy(); // SIGTERM: the server exits; nothing is saved
            server.waitFor();
            start(port);

            // publishes during/after the outage are buffered by lettuce and sent on reconnect
            b.publish("", "jobs", RedisBrokerTest.msg("after", 0)).get(30, java.util.concurrent.TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> seen.contains("after"));
            // the binding was re-declared on the fresh (empty) server
            io.lettuce.core.RedisClient raw = io.lettuce.core.RedisClient.create(url);
            try (var conn = raw.connect()) {
                await().atMost(Duration.ofSeconds(10)).until(() -> conn.sync().scard("_kombu.binding.jobs") == 1);
            } finally {
                raw.shutdown();
            }
            b.publish("jobs", "jobs", RedisBrokerTest.msg("via-binding", 0)).get();
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("via-binding"));
            assertThat(seen).contains("before", "after", "via-binding");
            c[0].close();
        }
    }
}
