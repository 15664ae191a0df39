package org.celeriac.backend.redis;

import org.celeriac.testsupport.RedisServerProcess;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.celeriac.api.TaskState;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.tck.TckProviders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connection settings against real servers: Sentinel discovery and {@code redis_socket_timeout} on a private
 * {@code redis-server} (stopped at the end), {@code redis_backend_health_check_interval} on the shared one. Fast,
 * so not tagged {@code fault}.
 */
class RedisBackendServerTest {
    @TempDir
    Path dir;

    private static RedisResultBackend open(String url, Map<String, Object> settings) {
        Settings s = Settings.of(settings);
        return (RedisResultBackend) new RedisResultBackendProvider().create(ConnectionUrl.parse(url), s,
                TckProviders.context(s));
    }

    private static TaskMeta success(String id, Object result) {
        return new TaskMeta(id, TaskState.SUCCESS, result, null, List.of(), Instant.now(), null, null, null);
    }

    @Test
    void storesReadsAndWaitsThroughSentinel() throws Exception {
        try (RedisServerProcess master = RedisServerProcess.server(dir);
             RedisServerProcess sentinel = RedisServerProcess.sentinel(dir, master, "mymaster")) {
            int dead = RedisServerProcess.freePort();
            // Celery's form: a db on every part
            String url = "sentinel://127.0.0.1:" + dead + "/2;sentinel://127.0.0.1:" + sentinel.port() + "/2";
            try (ResultBackend b = open(url, Map.of("result_backend_transport_options", Map.of("master_name", "mymaster")))) {
                String id = UUID.randomUUID().toString();
                CompletableFuture<TaskMeta> ready = b.whenReady(id, Duration.ofSeconds(1));
                b.store(success(id, 42));
                assertThat(ready.get(10, TimeUnit.SECONDS).result()).isEqualTo(42L);
                assertThat(b.get(id).orElseThrow().state()).isEqualTo(TaskState.SUCCESS);
                RedisClient raw = RedisClient.create(master.url(2));
                try (StatefulRedisConnection<String, String> c = raw.connect()) {
                    assertThat(c.sync().get("celery-task-meta-" + id)).contains("\"result\": 42");
                } finally {
                    raw.shutdown();
                }
            }
        }
    }

    @Test
    void waitsForResultsOnAServerThatSpeaksOnlyResp2() throws Exception {
        // without HELLO, lettuce falls back to RESP2, where a subscribed connection takes no GET
        try (RedisServerProcess server = RedisServerProcess.server(dir, "--rename-command", "HELLO", "");
             RedisResultBackend b = open(server.url(0), Map.of())) {
            String stored = UUID.randomUUID().toString();
            b.store(success(stored, 1));
            assertThat(b.whenReady(stored, Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS).result()).isEqualTo(1L);
            assertThat(b.readsOnPubSub()).isFalse();
            String later = UUID.randomUUID().toString();
            CompletableFuture<TaskMeta> ready = b.whenReady(later, Duration.ofSeconds(1));
            assertThat(b.whenReady(stored, Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS).result()).isEqualTo(1L);
            b.store(success(later, 2));
            assertThat(ready.get(10, TimeUnit.SECONDS).result()).isEqualTo(2L);
        }
    }

    @Test
    void readsAStoredResultRightBehindItsSubscriptionOnResp3() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.server(dir);
             RedisResultBackend b = open(server.url(0), Map.of())) {
            String stored = UUID.randomUUID().toString();
            b.store(success(stored, 7));
            assertThat(b.whenReady(stored, Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS).result()).isEqualTo(7L);
            assertThat(b.readsOnPubSub()).isTrue();
        }
    }

    @Test
    void socketTimeoutBoundsACommandOnAPausedServer() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.server(dir);
             RedisResultBackend b = open(server.url(0), Map.of("redis_socket_timeout", 0.3))) {
            RedisClient raw = RedisClient.create(server.url(0));
            try (StatefulRedisConnection<String, String> c = raw.connect()) {
                c.sync().clientPause(1500);
                long start = System.nanoTime();
                assertThatThrownBy(() -> b.get("x")).isInstanceOf(ResultBackendException.class)
                        .hasMessageContaining("timed out");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1200));
                Awaitility.await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> b.get("x").isEmpty());
            } finally {
                raw.shutdown();
            }
        }
    }

    @Test
    void healthCheckIntervalPingsBothConnections() throws Exception {
        RedisClient raw = RedisClient.create(RedisResultBackendTest.URL);
        try (StatefulRedisConnection<String, String> conn = connectOrSkip(raw);
             RedisResultBackend b = open(RedisResultBackendTest.URL,
                     Map.of("redis_backend_health_check_interval", 0.1))) {
            String id = UUID.randomUUID().toString();
            CompletableFuture<TaskMeta> waiting = b.whenReady(id, Duration.ofSeconds(1)); // opens the pub/sub connection
            assertThat(b.clientName()).startsWith("celeriac-backend:tck@");
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> {
                List<String> mine = conn.sync().clientList().lines()
                        .filter(l -> l.contains(" name=" + b.clientName() + " ")).toList();
                return mine.size() == 2 && mine.stream().allMatch(l -> l.contains(" cmd=ping "));
            });
            waiting.cancel(true);
        } finally {
            raw.shutdown();
        }
    }

    private static StatefulRedisConnection<String, String> connectOrSkip(RedisClient raw) {
        try {
            return raw.connect();
        } catch (io.lettuce.core.RedisConnectionException e) {
            String msg = "Redis is not running on 127.0.0.1:6379 (start it with: redis-server --daemonize yes "
                    + "--bind 127.0.0.1 --port 6379 --save \"\" --appendonly no)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError(msg, e);
            }
            org.junit.jupiter.api.Assumptions.abort(msg);
            return null;
        }
    }
}
