package org.celeriac.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.celeriac.api.TaskState;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ExceptionInfo;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.coordination.Coordination;
import org.celeriac.tck.TckProviders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RedisResultBackendTest {
    static final String URL = "redis://127.0.0.1:6379/0";
    static RedisClient raw;
    static StatefulRedisConnection<String, String> conn;
    static RedisCommands<String, String> r;
    static final List<String> KEYS = new ArrayList<>();
    ResultBackend backend;

    @BeforeAll
    static void requireRedis() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 6379), 500);
        } catch (IOException e) {
            String msg = "Redis is not running on 127.0.0.1:6379 (start it with: redis-server --daemonize yes "
                    + "--bind 127.0.0.1 --port 6379 --save \"\" --appendonly no)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(msg);
            }
            Assumptions.abort(msg);
        }
        raw = RedisClient.create(URL);
        conn = raw.connect();
        r = conn.sync();
    }

    @AfterAll
    static void cleanUp() {
        if (raw != null) {
            if (!KEYS.isEmpty()) {
                r.del(KEYS.toArray(String[]::new));
            }
            conn.close();
            raw.shutdown();
        }
    }

    static ResultBackend open(Map<String, Object> settings) {
        Settings s = Settings.of(settings);
        return new RedisResultBackendProvider().create(ConnectionUrl.parse(URL), s, TckProviders.context(s));
    }

    @BeforeEach
    void openBackend() {
        backend = open(Map.of());
    }

    @AfterEach
    void closeBackend() {
        backend.close();
    }

    static String id() {
        String id = UUID.randomUUID().toString();
        KEYS.add("celery-task-meta-" + id);
        KEYS.add("celery-taskset-meta-" + id);
        KEYS.add("celery-taskset-meta-" + id + ".c");
        return id;
    }

    static TaskMeta success(String id, Object result) {
        return new TaskMeta(id, TaskState.SUCCESS, result, null, List.of(),
                Instant.parse("2026-11-23T00:12:27.953911Z"), null, null, null);
    }

    @Test
    void storesCeleryExactDocumentWithExpiry() {
        String id = id();
        backend.store(success(id, 4));
        assertThat(r.get("celery-task-meta-" + id)).isEqualTo("{\"status\": \"SUCCESS\", \"result\": 4, "
                + "\"traceback\": null, \"children\": [], \"date_done\": \"2026-11-23T00:12:27.953911\", "
                + "\"task_id\": \"" + id + "\"}");
        assertThat(r.ttl("celery-task-meta-" + id)).isBetween(86_390L, 86_400L);
        TaskMeta back = backend.get(id).orElseThrow();
        assertThat(back.state()).isEqualTo(TaskState.SUCCESS);
        assertThat(back.result()).isEqualTo(4L);
        assertThat(back.dateDone()).isEqualTo(Instant.parse("2026-11-23T00:12:27.953911Z"));
    }

    @Test
    void readsWhatPythonWrote() {
        String id = id();
        r.set("celery-task-meta-" + id, "{\"status\": \"FAILURE\", \"result\": {\"exc_type\": \"ValueError\", "
                + "\"exc_message\": [\"bad\", 42], \"exc_module\": \"builtins\"}, \"traceback\": \"Traceback...\", "
                + "\"children\": [], \"date_done\": \"2026-11-23T00:12:27.953911\", \"task_id\": \"" + id + "\"}");
        TaskMeta m = backend.get(id).orElseThrow();
        assertThat(m.state()).isEqualTo(TaskState.FAILURE);
        assertThat(m.exception()).contains(new ExceptionInfo("ValueError", List.of("bad", 42L), "builtins"));
        assertThat(m.traceback()).isEqualTo("Traceback...");
    }

    @Test
    void resultExpiresZeroStoresWithoutExpiry() {
        try (ResultBackend b = open(Map.of("result_expires", 0))) {
            String id = id();
            b.store(success(id, 1));
            assertThat(r.ttl("celery-task-meta-" + id)).isEqualTo(-1L);
        }
    }

    @Test
    void aStoredSuccessIsNeverOverwritten() {
        String id = id();
        backend.store(TaskMeta.of(id, TaskState.STARTED, Map.of("pid", 1, "hostname", "w@h"), null));
        backend.store(success(id, "done"));
        backend.store(TaskMeta.of(id, TaskState.FAILURE, new ExceptionInfo("X", List.of(), "m").toMap(), "tb"));
        assertThat(backend.get(id).orElseThrow().state()).isEqualTo(TaskState.SUCCESS);
        assertThat(backend.get(id).orElseThrow().result()).isEqualTo("done");
    }

    @Test
    void missingIsEmptyAndForgetDeletes() {
        String id = id();
        assertThat(backend.get(id)).isEmpty();
        backend.store(success(id, 1));
        backend.forget(id);
        assertThat(backend.get(id)).isEmpty();
        assertThat(r.exists("celery-task-meta-" + id)).isZero();
    }

    @Test
    void whenReadyIsPushedByAStoreFromAnotherClientAndUnsubscribes() throws Exception {
        String id = id();
        CompletableFuture<TaskMeta> f = backend.whenReady(id, Duration.ofSeconds(10));
        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> r.pubsubNumsub("celery-task-meta-" + id).get("celery-task-meta-" + id) == 1L);
        try (ResultBackend other = open(Map.of())) {
            other.store(TaskMeta.of(id, TaskState.STARTED, null, null));
            assertThat(f).isNotDone();
            other.store(success(id, 8));
        }
        assertThat(f.get(5, TimeUnit.SECONDS).result()).isEqualTo(8L);
        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> r.pubsubNumsub("celery-task-meta-" + id).get("celery-task-meta-" + id) == 0L);
    }

    /**
     * The channel of a delivered result is not unsubscribed with a round trip of its own: it goes with the next
     * SUBSCRIBE or, at the latest, 100 ms later together with every other channel delivered meanwhile — here five
     * results delivered within a few milliseconds take one UNSUBSCRIBE (or two, on a slow machine), not five.
     */
    @Test
    void channelsOfDeliveredResultsAreUnsubscribedTogether() throws Exception {
        List<String> ids = new ArrayList<>();
        List<CompletableFuture<TaskMeta>> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(id());
            waiting.add(backend.whenReady(ids.get(i), Duration.ofSeconds(10)));
        }
        for (String id : ids) {
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> r.pubsubNumsub("celery-task-meta-" + id).get("celery-task-meta-" + id) == 1L);
        }
        long before = unsubscribeCalls();
        try (ResultBackend other = open(Map.of())) {
            for (String id : ids) {
                other.store(success(id, 1));
            }
        }
        for (CompletableFuture<TaskMeta> f : waiting) {
            assertThat(f.get(5, TimeUnit.SECONDS).result()).isEqualTo(1L);
        }
        for (String id : ids) {
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> r.pubsubNumsub("celery-task-meta-" + id).get("celery-task-meta-" + id) == 0L);
        }
        assertThat(unsubscribeCalls() - before).as("UNSUBSCRIBE commands for 5 delivered results")
                .isBetween(1L, 2L);
    }

    /** How many UNSUBSCRIBE commands Redis has run ({@code INFO commandstats}). */
    private static long unsubscribeCalls() {
        for (String line : r.info("commandstats").split("\\r?\\n")) {
            if (line.startsWith("cmdstat_unsubscribe:calls=")) {
                return Long.parseLong(line.substring("cmdstat_unsubscribe:calls=".length(), line.indexOf(',')));
            }
        }
        return 0;
    }

    @Test
    void whenReadyOfAnAlreadyStoredResultCompletesAtOnce() throws Exception {
        String id = id();
        backend.store(success(id, "x"));
        assertThat(backend.whenReady(id, Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS).result()).isEqualTo("x");
    }

    @Test
    void cancellingWhenReadyUnsubscribesAndCloseFailsPending() throws Exception {
        String id = id();
        CompletableFuture<TaskMeta> f = backend.whenReady(id, Duration.ofSeconds(1));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ((RedisResultBackend) backend).subscribedCount() == 1);
        f.cancel(true);
        assertThat(((RedisResultBackend) backend).subscribedCount()).isZero();
        CompletableFuture<TaskMeta> g = backend.whenReady(id(), Duration.ofSeconds(1));
        backend.close();
        assertThat(g).isCompletedExceptionally();
    }

    @Test
    void groupsUseCeleryForm() {
        String gid = id();
        backend.saveGroup(new GroupMeta(gid, List.of("a", "b"), null));
        assertThat(r.get("celery-taskset-meta-" + gid))
                .isEqualTo("{\"result\": [[\"" + gid + "\", null], [[[\"a\", null], null], [[\"b\", null], null]]]}");
        assertThat(backend.restoreGroup(gid).orElseThrow().taskIds()).containsExactly("a", "b");
        backend.forgetGroup(gid);
        assertThat(backend.restoreGroup(gid)).isEmpty();
    }

    @Test
    void chordCounterIsAtomicAcrossClients() throws Exception {
        String gid = id();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (ResultBackend other = open(Map.of())) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                ResultBackend b = t % 2 == 0 ? backend : other;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 250; i++) {
                        b.incrementChordCounter(gid, 1);
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdown();
        }
        assertThat(backend.incrementChordCounter(gid, 0)).isEqualTo(1000);
        assertThat(r.ttl("celery-taskset-meta-" + gid + ".c")).isPositive();
    }

    @Test
    void coordinationLeasesCountersAndValues() {
        Coordination c = backend.coordination().orElseThrow();
        String n = "test-" + UUID.randomUUID();
        KEYS.add("celeriac.lease." + n);
        KEYS.add("celeriac.counter." + n);
        KEYS.add("celeriac.kv." + n);
        assertThat(c.tryAcquireLease(n, "a", Duration.ofSeconds(10))).isTrue();
        assertThat(c.tryAcquireLease(n, "b", Duration.ofSeconds(10))).isFalse();
        assertThat(c.tryAcquireLease(n, "a", Duration.ofSeconds(10))).isTrue();
        c.releaseLease(n, "b");
        assertThat(c.tryAcquireLease(n, "b", Duration.ofSeconds(10))).isFalse();
        c.releaseLease(n, "a");
        assertThat(c.tryAcquireLease(n, "b", Duration.ofMillis(200))).isTrue();
        assertThat(c.incrementAndGet(n, 5, null)).isEqualTo(5);
        assertThat(c.incrementAndGet(n, -2, Duration.ofSeconds(5))).isEqualTo(3);
        c.put(n, "v".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
        assertThat(c.get(n)).hasValueSatisfying(v -> assertThat(new String(v, StandardCharsets.UTF_8)).isEqualTo("v"));
        c.delete(n);
        assertThat(c.get(n)).isEmpty();
        assertThat(c.incrementAndGet(n, 1, null)).isEqualTo(1);
    }

    @Test
    void capabilitiesSayPushAndNativeExpiry() {
        assertThat(backend.capabilities().push()).isTrue();
        assertThat(backend.capabilities().nativeExpiry()).isTrue();
        assertThat(backend.capabilities().celeryWireLayout()).isTrue();
        assertThat(backend.cleanup()).isZero();
    }
}
