package org.celeriac.core.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.TaskState;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ExceptionInfo;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MemoryResultBackendTest {
    private final MutableClock clock = new MutableClock();
    private final List<ResultBackend> opened = new ArrayList<>();
    private String ns;
    private MemoryResultBackend backend;

    @BeforeEach
    void open() {
        ns = "r-" + UUID.randomUUID();
        backend = open(Duration.ofHours(1));
    }

    private MemoryResultBackend open(Duration expires) {
        MemoryResultBackend b = new MemoryResultBackend(ns, expires, clock);
        opened.add(b);
        return b;
    }

    @AfterEach
    void close() {
        opened.forEach(ResultBackend::close);
        MemoryNamespaces.discard(ns);
    }

    @Test
    void capabilities_and_the_provider() {
        assertThat(backend.capabilities().push()).isTrue();
        assertThat(backend.capabilities().groups()).isTrue();
        assertThat(backend.capabilities().persistent()).isFalse();
        assertThat(backend.capabilities().nativeExpiry()).isFalse();
        ResultBackend viaProvider = new MemoryResultBackendProvider().create(ConnectionUrl.parse("memory://" + ns),
                Settings.of(Map.of("result_expires", "10")), null);
        opened.add(viaProvider);
        viaProvider.store(TaskMeta.of("shared", TaskState.SUCCESS, 1L, null));
        assertThat(viaProvider.get("shared")).isPresent();
        assertThat(backend.get("shared")).as("same namespace").isPresent();
        assertThat(backend.coordination()).isPresent();
    }

    @Test
    void stores_and_reads_meta_and_never_overwrites_success() {
        assertThat(backend.get("t1")).isEmpty();
        backend.store(TaskMeta.of("t1", TaskState.STARTED, Map.of("pid", 1L, "hostname", "w@h"), null));
        assertThat(backend.get("t1").orElseThrow().state()).isEqualTo(TaskState.STARTED);
        backend.store(TaskMeta.of("t1", TaskState.SUCCESS, 42L, null));
        backend.store(TaskMeta.of("t1", TaskState.FAILURE, new ExceptionInfo("ValueError", List.of("late"), "builtins").toMap(), "tb"));
        TaskMeta m = backend.get("t1").orElseThrow();
        assertThat(m.state()).isEqualTo(TaskState.SUCCESS);
        assertThat(m.result()).isEqualTo(42L);
        backend.store(TaskMeta.of("t2", TaskState.RETRY, null, null));
        backend.store(TaskMeta.of("t2", TaskState.FAILURE, null, "tb"));
        assertThat(backend.get("t2").orElseThrow().state()).isEqualTo(TaskState.FAILURE);
        backend.forget("t1");
        backend.forget("missing");
        assertThat(backend.get("t1")).isEmpty();
    }

    @Test
    void stored_values_are_defensive_copies() {
        Map<String, Object> result = new HashMap<>();
        List<Object> list = new ArrayList<>(List.of(1L, 2L));
        result.put("list", list);
        backend.store(TaskMeta.of("c", TaskState.SUCCESS, result, null));
        list.add(3L);
        result.put("extra", true);
        @SuppressWarnings("unchecked")
        Map<String, Object> stored = (Map<String, Object>) backend.get("c").orElseThrow().result();
        assertThat(stored).isEqualTo(Map.of("list", List.of(1L, 2L)));
        assertThatThrownBy(() -> stored.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void when_ready_is_pushed_by_store() throws Exception {
        CompletableFuture<TaskMeta> f = backend.whenReady("w", Duration.ofSeconds(1));
        backend.store(TaskMeta.of("w", TaskState.STARTED, null, null));
        assertThat(f).isNotDone();
        MemoryResultBackend other = open(Duration.ofHours(1));
        other.store(TaskMeta.of("w", TaskState.SUCCESS, "done", null));
        assertThat(f.get(5, TimeUnit.SECONDS).result()).isEqualTo("done");
        assertThat(backend.whenReady("w", Duration.ofSeconds(1))).isCompletedWithValueMatching(m -> m.result().equals("done"));
    }

    @Test
    void cancelled_waits_are_dropped_and_close_fails_pending_ones() {
        CompletableFuture<TaskMeta> cancelled = backend.whenReady("x", Duration.ofSeconds(1));
        cancelled.cancel(true);
        synchronized (MemoryNamespaces.get(ns).backend) {
            assertThat(MemoryNamespaces.get(ns).backend.waiters).doesNotContainKey("x");
        }
        CompletableFuture<TaskMeta> pending = backend.whenReady("y", Duration.ofSeconds(1));
        backend.close();
        assertThatThrownBy(pending::get).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(ResultBackendException.class).hasMessageContaining("closed while waiting for task y");
        assertThat(backend.whenReady("z", Duration.ofSeconds(1))).isCompletedExceptionally();
        assertThatThrownBy(() -> backend.get("y")).isInstanceOf(ResultBackendException.class);
    }

    @Test
    void groups_are_saved_restored_and_forgotten() {
        backend.saveGroup(new GroupMeta("g", List.of("a", "b"), null));
        GroupMeta g = backend.restoreGroup("g").orElseThrow();
        assertThat(g.taskIds()).containsExactly("a", "b");
        assertThat(g.dateDone()).isEqualTo(clock.instant());
        backend.forgetGroup("g");
        assertThat(backend.restoreGroup("g")).isEmpty();
    }

    @Test
    void chord_counters_never_lose_an_increment() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 2_500; i++) {
                        backend.incrementChordCounter("chord", 1);
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdown();
        }
        assertThat(backend.incrementChordCounter("chord", 0)).isEqualTo(10_000);
        assertThat(open(null).incrementChordCounter("chord", 1)).as("shared by the namespace").isEqualTo(10_001);
    }

    @Test
    void results_expire_after_result_expires_and_cleanup_removes_them() {
        backend.store(TaskMeta.of("old", TaskState.SUCCESS, 1L, null));
        backend.saveGroup(new GroupMeta("oldg", List.of("old"), null));
        clock.advance(Duration.ofMinutes(30));
        backend.store(TaskMeta.of("new", TaskState.SUCCESS, 2L, null));
        clock.advance(Duration.ofMinutes(30));
        assertThat(backend.get("old")).isEmpty();
        assertThat(backend.restoreGroup("oldg")).isEmpty();
        assertThat(backend.get("new")).isPresent();
        backend.store(TaskMeta.of("old", TaskState.FAILURE, null, null));
        assertThat(backend.get("old").orElseThrow().state()).as("an expired SUCCESS may be replaced")
                .isEqualTo(TaskState.FAILURE);
        clock.advance(Duration.ofMinutes(31));
        assertThat(backend.cleanup()).as("'new' and the group").isEqualTo(2);
        assertThat(backend.get("old")).isPresent();
        clock.advance(Duration.ofMinutes(30));
        assertThat(backend.cleanup()).isEqualTo(1);
        assertThat(open(null).cleanup()).as("no expiry: nothing to clean").isZero();
    }
}
