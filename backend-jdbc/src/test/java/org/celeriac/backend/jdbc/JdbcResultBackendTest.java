package org.celeriac.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.TaskState;
import org.celeriac.spi.backend.ExceptionInfo;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskMetaCodec;
import org.celeriac.spi.coordination.Coordination;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdbcResultBackendTest {
    @TempDir
    Path dir;
    JdbcResultBackend backend;

    @BeforeEach
    void open() {
        backend = TestBackends.open(dir);
    }

    @AfterEach
    void close() {
        backend.close();
    }

    private static TaskMeta meta(String id, TaskState state, Object result) {
        return new TaskMeta(id, state, result, null, List.of(), state.isReady() ? Instant.now() : null,
                null, null, null);
    }

    @Nested
    class StoreAndGet {
        @Test
        void every_built_in_and_a_custom_state_round_trips() {
            Instant done = Instant.now().truncatedTo(ChronoUnit.MICROS);
            ExceptionInfo boom = new ExceptionInfo("ValueError", List.of("bad", 42L), "builtins");
            List<TaskMeta> metas = List.of(
                    new TaskMeta("t-success", TaskState.SUCCESS, Map.of("answer", 42L, "list", List.of(1L, "x")), null,
                            List.of(TaskMetaCodec.resultTuple("child-1")), done, "g-1", "p-1",
                            new TaskMeta.Extended("tasks.add", List.of(2L, 2L), Map.of("z", true), "celery@h", 3, "q1")),
                    new TaskMeta("t-failure", TaskState.FAILURE, boom.toMap(), "Traceback (most recent call last): ...",
                            List.of(), done, null, null, null),
                    new TaskMeta("t-revoked", TaskState.REVOKED, ExceptionInfo.revoked("expired").toMap(), null,
                            List.of(), done, null, null, null),
                    new TaskMeta("t-retry", TaskState.RETRY, boom.toMap(), "tb", List.of(), null, null, null, null),
                    new TaskMeta("t-started", TaskState.STARTED, Map.of("pid", 12819L, "hostname", "w2@vm"), null,
                            List.of(), null, null, null, null),
                    new TaskMeta("t-custom", TaskState.of("PROGRESS"), Map.of("current", 3L, "total", 10L), null,
                            List.of(), null, null, null, null),
                    new TaskMeta("t-null", TaskState.SUCCESS, null, null, List.of(), done, null, null, null));
            metas.forEach(backend::store);
            for (TaskMeta m : metas) {
                assertThat(backend.get(m.taskId())).as(m.taskId()).contains(m);
            }
            assertThat(backend.get("t-failure").orElseThrow().exception()).contains(boom);
            assertThat(backend.get("t-custom").orElseThrow().state().isReady()).isFalse();
        }

        @Test
        void unknown_ids_are_empty() {
            assertThat(backend.get("nobody")).isEmpty();
        }

        @Test
        void a_stored_success_is_never_overwritten() {
            backend.store(meta("t1", TaskState.SUCCESS, 4L));
            backend.store(meta("t1", TaskState.STARTED, Map.of("pid", 1L)));
            backend.store(meta("t1", TaskState.FAILURE, ExceptionInfo.revoked("terminated").toMap()));
            backend.store(meta("t1", TaskState.SUCCESS, 5L));
            assertThat(backend.get("t1").orElseThrow().result()).isEqualTo(4L);
            assertThat(backend.get("t1").orElseThrow().state()).isEqualTo(TaskState.SUCCESS);
        }

        @Test
        void other_states_are_last_write_wins() {
            backend.store(meta("t2", TaskState.STARTED, Map.of("pid", 1L)));
            backend.store(meta("t2", TaskState.RETRY, ExceptionInfo.revoked("x").toMap()));
            assertThat(backend.get("t2").orElseThrow().state()).isEqualTo(TaskState.RETRY);
            backend.store(meta("t2", TaskState.SUCCESS, 7L));
            assertThat(backend.get("t2").orElseThrow().result()).isEqualTo(7L);
        }

        @Test
        void concurrent_writers_never_replace_a_success() throws Exception {
            // many threads race STARTED/SUCCESS/FAILURE for the same ids; every id must end SUCCESS
            int ids = 50;
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < ids; i++) {
                            TaskState s = switch ((i + thread) % 3) {
                                case 0 -> TaskState.SUCCESS;
                                case 1 -> TaskState.STARTED;
                                default -> TaskState.FAILURE;
                            };
                            backend.store(meta("race-" + i, s, s.equals(TaskState.SUCCESS) ? 1L
                                    : ExceptionInfo.revoked("x").toMap()));
                        }
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            for (int i = 0; i < ids; i++) {
                assertThat(backend.get("race-" + i).orElseThrow().state()).as("race-" + i).isEqualTo(TaskState.SUCCESS);
            }
        }

        @Test
        void many_threads_storing_at_once_are_all_committed() throws Exception {
            int threads = 8;
            int perThread = 300;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long start = System.nanoTime();
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            backend.store(meta("bulk-" + thread + "-" + i, TaskState.SUCCESS, (long) i));
                        }
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            double perSecond = threads * perThread / ((System.nanoTime() - start) / 1e9);
            System.err.printf("stored %d results at %.0f/s%n", threads * perThread, perSecond);
            assertThat(count("SELECT COUNT(*) FROM celeriac_taskmeta WHERE task_id LIKE 'bulk-%'"))
                    .isEqualTo(threads * perThread);
            assertThat(backend.get("bulk-7-299").orElseThrow().result()).isEqualTo(299L);
        }

        @Test
        void forget_removes_the_result() {
            backend.store(meta("t3", TaskState.SUCCESS, 1L));
            backend.forget("t3");
            backend.forget("never-stored");
            assertThat(backend.get("t3")).isEmpty();
        }

        @Test
        void capabilities_say_polling_persistent_and_not_celery_layout() {
            assertThat(backend.capabilities().push()).isFalse();
            assertThat(backend.capabilities().nativeExpiry()).isFalse();
            assertThat(backend.capabilities().groups()).isTrue();
            assertThat(backend.capabilities().celeryWireLayout()).isFalse();
            assertThat(backend.capabilities().persistent()).isTrue();
        }

        @Test
        void a_closed_backend_refuses_work() {
            backend.close();
            assertThatThrownBy(() -> backend.store(meta("t", TaskState.SUCCESS, 1L)))
                    .isInstanceOf(ResultBackendException.class).hasMessageContaining("closed")
                    .hasMessageNotContaining(TestBackends.PASSWORD);
        }
    }

    @Nested
    class WhenReady {
        @Test
        void completes_soon_after_a_store_from_another_thread() throws Exception {
            CompletableFuture<TaskMeta> f = backend.whenReady("w1", Duration.ofMillis(200));
            backend.store(meta("w1", TaskState.STARTED, Map.of("pid", 1L)));
            assertThat(f).isNotDone();
            CompletableFuture.runAsync(() -> backend.store(meta("w1", TaskState.SUCCESS, 8L)));
            assertThat(f.get(2, TimeUnit.SECONDS).result()).isEqualTo(8L);
        }

        @Test
        void completes_at_once_for_a_result_already_stored() throws Exception {
            backend.store(meta("w2", TaskState.FAILURE, ExceptionInfo.revoked("x").toMap()));
            assertThat(backend.whenReady("w2", Duration.ofSeconds(5)).get(2, TimeUnit.SECONDS).state())
                    .isEqualTo(TaskState.FAILURE);
        }

        @Test
        void custom_states_do_not_complete_it() {
            CompletableFuture<TaskMeta> f = backend.whenReady("w3", Duration.ofMillis(5));
            backend.store(meta("w3", TaskState.of("PROGRESS"), Map.of("n", 1L)));
            // the poller keeps polling w3 (it is still waited for) and never completes it
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !f.isDone());
            backend.store(meta("w3", TaskState.REVOKED, ExceptionInfo.revoked("revoked").toMap()));
            assertThat(f).succeedsWithin(Duration.ofSeconds(2)).extracting(TaskMeta::state).isEqualTo(TaskState.REVOKED);
        }

        @Test
        void many_waiters_are_served_by_one_poller() {
            List<CompletableFuture<TaskMeta>> futures = new ArrayList<>();
            for (int i = 0; i < 1200; i++) {
                futures.add(backend.whenReady("many-" + i, Duration.ofMillis(50)));
            }
            assertThat(backend.waitingIds()).isEqualTo(1200);
            for (int i = 0; i < 1200; i++) {
                backend.store(meta("many-" + i, TaskState.SUCCESS, (long) i));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).orTimeout(10, TimeUnit.SECONDS).join();
            assertThat(futures.get(1199).join().result()).isEqualTo(1199L);
            assertThat(backend.waitingIds()).isZero();
            assertThat(Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("celeriac-backend-jdbc-poller")).count()).isEqualTo(1);
        }

        @Test
        void cancelled_waits_leave_the_poll_set() {
            CompletableFuture<TaskMeta> f = backend.whenReady("w4", Duration.ofMillis(50));
            assertThat(backend.waitingIds()).isEqualTo(1);
            f.cancel(false);
            assertThat(backend.waitingIds()).isZero();
        }

        @Test
        void close_fails_pending_waits() {
            CompletableFuture<TaskMeta> f = backend.whenReady("w5", Duration.ofMillis(50));
            backend.close();
            assertThat(f).failsWithin(Duration.ofSeconds(1)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(ResultBackendException.class);
        }

        @Test
        void a_second_backend_on_the_same_file_sees_the_store() throws Exception {
            try (JdbcResultBackend other = TestBackends.open(dir)) {
                CompletableFuture<TaskMeta> f = other.whenReady("w6", Duration.ofMillis(100));
                backend.store(meta("w6", TaskState.SUCCESS, 6L));
                assertThat(f.get(2, TimeUnit.SECONDS).result()).isEqualTo(6L);
            }
        }
    }

    @Nested
    class Expiry {
        @Test
        void expired_results_are_invisible_and_cleanup_deletes_them() throws Exception {
            try (JdbcResultBackend shortLived = TestBackends.open(dir, Map.of("result_expires", 0.3))) {
                shortLived.store(meta("e1", TaskState.SUCCESS, 1L));
                shortLived.saveGroup(new GroupMeta("eg", List.of("e1"), null));
                backend.store(meta("keep", TaskState.SUCCESS, 2L)); // 1 day
                assertThat(shortLived.get("e1")).isPresent();
                await().atMost(Duration.ofSeconds(5)).until(() -> shortLived.get("e1").isEmpty());
                assertThat(shortLived.restoreGroup("eg")).isEmpty();
                assertThat(count("SELECT COUNT(*) FROM celeriac_taskmeta WHERE task_id = 'e1'")).isEqualTo(1);
                assertThat(shortLived.cleanup()).isEqualTo(2);
                assertThat(count("SELECT COUNT(*) FROM celeriac_taskmeta WHERE task_id = 'e1'")).isZero();
                assertThat(shortLived.get("keep")).isPresent();
                assertThat(shortLived.cleanup()).isZero();
            }
        }

        @Test
        void an_expired_success_may_be_written_again() {
            try (JdbcResultBackend shortLived = TestBackends.open(dir, Map.of("result_expires", 0.2))) {
                shortLived.store(meta("e2", TaskState.SUCCESS, 1L));
                await().atMost(Duration.ofSeconds(5)).until(() -> shortLived.get("e2").isEmpty());
                shortLived.store(meta("e2", TaskState.SUCCESS, 2L));
                assertThat(shortLived.get("e2").orElseThrow().result()).isEqualTo(2L);
            }
        }

        @Test
        void result_expires_none_keeps_results() throws Exception {
            try (JdbcResultBackend forever = TestBackends.open(dir, Map.of("result_expires", "None"))) {
                forever.store(meta("e3", TaskState.SUCCESS, 1L));
            }
            assertThat(count("SELECT COUNT(*) FROM celeriac_taskmeta WHERE task_id = 'e3' AND expires_at IS NULL"))
                    .isEqualTo(1);
        }
    }

    @Nested
    class Groups {
        @Test
        void save_restore_forget() {
            Instant done = Instant.now().truncatedTo(ChronoUnit.MICROS);
            backend.saveGroup(new GroupMeta("g1", List.of("a", "b", "c"), done));
            assertThat(backend.restoreGroup("g1")).contains(new GroupMeta("g1", List.of("a", "b", "c"), done));
            backend.saveGroup(new GroupMeta("g1", List.of("d"), done));
            assertThat(backend.restoreGroup("g1").orElseThrow().taskIds()).containsExactly("d");
            backend.forgetGroup("g1");
            backend.forgetGroup("g-unknown");
            assertThat(backend.restoreGroup("g1")).isEmpty();
        }

        @Test
        void the_chord_counter_is_exact_under_8_threads_times_200_increments() throws Exception {
            int threads = 8;
            int increments = 200;
            Set<Long> seen = ConcurrentHashMap.newKeySet();
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    futures.add(pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < increments; i++) {
                            seen.add(backend.incrementChordCounter("chord-1", 1));
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(backend.incrementChordCounter("chord-1", 0)).isEqualTo(threads * increments);
            // every increment returned a distinct value: no two callers saw the same count
            assertThat(seen).hasSize(threads * increments).contains(1L, (long) threads * increments);
            assertThat(backend.incrementChordCounter("chord-2", 5)).isEqualTo(5);
        }
    }

    @Nested
    class CoordinationTable {
        @Test
        void leases_have_one_owner_until_released_or_expired() {
            Coordination c = backend.coordination().orElseThrow();
            assertThat(c.tryAcquireLease("beat", "a", Duration.ofSeconds(30))).isTrue();
            assertThat(c.tryAcquireLease("beat", "b", Duration.ofSeconds(30))).isFalse();
            assertThat(c.tryAcquireLease("beat", "a", Duration.ofSeconds(30))).isTrue(); // renew
            c.releaseLease("beat", "b"); // not the owner: no effect
            assertThat(c.tryAcquireLease("beat", "b", Duration.ofSeconds(30))).isFalse();
            c.releaseLease("beat", "a");
            assertThat(c.tryAcquireLease("beat", "b", Duration.ofMillis(100))).isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> c.tryAcquireLease("beat", "a", Duration.ofSeconds(30)));
        }

        @Test
        void counters_and_values_with_ttl() {
            Coordination c = backend.coordination().orElseThrow();
            assertThat(c.incrementAndGet("rate", 2, null)).isEqualTo(2);
            assertThat(c.incrementAndGet("rate", 3, null)).isEqualTo(5);
            c.put("revoked", new byte[] {1, 2}, null);
            c.put("short", new byte[] {3}, Duration.ofMillis(100));
            assertThat(c.get("revoked")).hasValueSatisfying(v -> assertThat(v).containsExactly(1, 2));
            assertThat(c.get("missing")).isEmpty();
            await().atMost(Duration.ofSeconds(5)).until(() -> c.get("short").isEmpty());
            c.delete("revoked");
            assertThat(c.get("revoked")).isEmpty();
        }
    }

    @Nested
    class Schema {
        @Test
        void flyway_keeps_its_own_history_table() throws Exception {
            assertThat(count("SELECT COUNT(*) FROM \"celeriac_backend_schema_history\" WHERE \"success\" = TRUE"))
                    .isGreaterThanOrEqualTo(1);
        }

        @Test
        void tables_are_created_in_a_database_that_already_holds_other_tables(@TempDir Path other) throws Exception {
            try (Connection c = connect(TestBackends.url(other));
                 Statement s = c.createStatement()) {
                // transport-sql's tables live in the same H2 file (its own Flyway history, its own celeriac_kv)
                s.execute("CREATE TABLE celeriac_kv (k VARCHAR(255) PRIMARY KEY, owner VARCHAR(255), n BIGINT,"
                        + " v VARBINARY(1000), expires_at BIGINT)");
                s.execute("CREATE TABLE celeriac_transport_schema_history (installed_rank INT PRIMARY KEY)");
            }
            try (JdbcResultBackend shared = TestBackends.open(other)) {
                shared.store(meta("x", TaskState.SUCCESS, 1L));
                assertThat(shared.get("x")).isPresent();
                assertThat(shared.coordination().orElseThrow().incrementAndGet("n", 2, null)).isEqualTo(2);
            }
        }

        @Test
        void h2_auto_server_listens_on_localhost_only() throws Exception {
            assertThat(System.getProperty("h2.bindAddress")).isEqualTo("127.0.0.1");
            Properties lock = new Properties();
            try (var in = Files.newInputStream(dir.resolve("celeriac.lock.db"))) {
                lock.load(in);
            }
            String server = lock.getProperty("server");
            int port = Integer.parseInt(server.substring(server.lastIndexOf(':') + 1));
            assumeTrue(Files.isReadable(Path.of("/proc/net/tcp6")), "needs Linux /proc/net to see the bound address");
            String portHex = String.format(":%04X", port);
            List<String> listening = new ArrayList<>();
            for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                for (String line : Files.readAllLines(Path.of(file))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[1].endsWith(portHex) && f[3].equals("0A")) { // 0A = LISTEN
                        listening.add(f[1].substring(0, f[1].indexOf(':')));
                    }
                }
            }
            // 127.0.0.1 as IPv4 (0100007F) or IPv4-mapped IPv6; never the wildcard address (all zeros)
            assertThat(listening).isNotEmpty().allSatisfy(addr -> assertThat(addr).endsWith("0100007F"));
        }
    }

    private long count(String sql) throws Exception {
        try (Connection c = connect(TestBackends.url(dir));
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Connection connect(String url) throws Exception {
        return DriverManager.getConnection(url);
    }

}
