package org.celeriac.core.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.celeriac.api.TaskState;
import org.celeriac.core.memory.MemoryResultBackend;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskRequestInfo;
import org.junit.jupiter.api.Test;

/**
 * The worker's result buffer over the in-memory backend, made unreachable by a switch (a store then fails as a
 * backend whose server is down does: a {@link ResultBackendException} caused by a {@link ConnectException}). The
 * end-to-end test with a Redis result backend that is really stopped is {@code WorkerResultBufferFaultTest}.
 */
class ResultStoreTest {
    private final MemoryResultBackend memory = new MemoryResultBackend(UUID.randomUUID().toString(), null,
            InstantSource.system());
    private final AtomicBoolean down = new AtomicBoolean();
    private final AtomicBoolean undecodable = new AtomicBoolean();
    private final List<String> storedOrder = new CopyOnWriteArrayList<>();
    private final ResultBackend backend = (ResultBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {ResultBackend.class}, (proxy, method, args) -> {
                if (method.getName().equals("store")) {
                    TaskMeta m = (TaskMeta) args[0];
                    if (down.get()) {
                        throw new ResultBackendException("storing " + m.taskId() + " failed",
                                new ConnectException("Connection refused"));
                    }
                    if (undecodable.get()) {
                        throw new ResultBackendException("cannot encode the result of task " + m.taskId(),
                                new IllegalArgumentException("not serializable"));
                    }
                    storedOrder.add(m.taskId() + ":" + m.state());
                }
                try {
                    return method.invoke(memory, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });

    private ResultStore store(Map<String, Object> settings) {
        return new ResultStore(backend, Settings.of(settings));
    }

    private static TaskMeta meta(String id, TaskState state) {
        return new TaskMeta(id, state, state == TaskState.SUCCESS ? 42L : null, null, List.of(),
                state.isReady() ? Instant.now() : null, null, null, null);
    }

    private static TaskRequestInfo info(String id) {
        return new TaskRequestInfo(null, id, null);
    }

    @Test
    void statesWaitInOrderWhileTheBackendIsDownAndAreStoredOnceItAnswers() {
        ResultStore rs = store(Map.of("result_backend_base_sleep_between_retries_ms", 5,
                "result_backend_max_sleep_between_retries_ms", 50));
        List<String> after = new CopyOnWriteArrayList<>();
        down.set(true);
        rs.store(meta("a", TaskState.STARTED), info("a"), null);
        rs.store(meta("a", TaskState.SUCCESS), info("a"), ok -> after.add("a:" + ok));
        rs.store(meta("b", TaskState.SUCCESS), info("b"), ok -> after.add("b:" + ok));
        assertThat(rs.pending()).isEqualTo(3);
        assertThat(after).isEmpty(); // acks_late acks wait for the store
        assertThat(memory.get("a")).isEmpty();

        down.set(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> rs.pending() == 0);
        assertThat(storedOrder).containsExactly("a:STARTED", "a:SUCCESS", "b:SUCCESS");
        assertThat(after).containsExactly("a:true", "b:true");
        assertThat(memory.get("a")).get().extracting(TaskMeta::state).isEqualTo(TaskState.SUCCESS);
    }

    @Test
    void aFullBufferBlocksThePoolUntilItDrains() throws Exception {
        ResultStore rs = store(Map.of("worker_result_buffer_size", 2, "result_backend_max_sleep_between_retries_ms", 20));
        down.set(true);
        rs.store(meta("a", TaskState.SUCCESS), info("a"), null);
        assertThat(rs.full()).isFalse();
        rs.store(meta("b", TaskState.SUCCESS), info("b"), null);
        assertThat(rs.full()).isTrue();
        AtomicBoolean passed = new AtomicBoolean();
        Thread pool = Thread.ofPlatform().start(() -> {
            try {
                rs.awaitRoom(() -> true);
                passed.set(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !passed.get());
        down.set(false);
        await().atMost(Duration.ofSeconds(10)).until(passed::get);
        pool.join(5_000);
    }

    @Test
    void flushNamesTheTasksWhoseStatesAreStillWaiting() {
        ResultStore rs = store(Map.of());
        List<String> after = new CopyOnWriteArrayList<>();
        down.set(true);
        rs.store(meta("x", TaskState.SUCCESS), info("x"), ok -> after.add("x"));
        rs.store(meta("y", TaskState.FAILURE), info("y"), ok -> after.add("y"));
        assertThat(rs.flush(Duration.ofMillis(200))).containsExactly("x", "y");
        down.set(false);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(after::isEmpty);
    }

    @Test
    void aStoreThatRetryingCannotFixIsLoggedAndNotRetried() {
        ResultStore rs = store(Map.of());
        List<String> after = new CopyOnWriteArrayList<>();
        undecodable.set(true);
        rs.store(meta("u", TaskState.SUCCESS), info("u"), ok -> after.add("u:" + ok));
        assertThat(rs.pending()).isZero();
        assertThat(after).containsExactly("u:false");
    }

    @Test
    void withoutAlwaysRetryAFailedStoreIsNotBuffered() {
        ResultStore rs = store(Map.of("result_backend_always_retry", false));
        List<String> after = new CopyOnWriteArrayList<>();
        down.set(true);
        rs.store(meta("n", TaskState.SUCCESS), info("n"), ok -> after.add("n:" + ok));
        assertThat(rs.pending()).isZero();
        assertThat(after).containsExactly("n:false");
    }

    @Test
    void givesUpAfterMaxRetries() {
        ResultStore rs = store(Map.of("result_backend_max_retries", 2, "result_backend_max_sleep_between_retries_ms", 5));
        List<String> after = new CopyOnWriteArrayList<>();
        down.set(true);
        rs.store(meta("m", TaskState.SUCCESS), info("m"), ok -> after.add("m:" + ok));
        await().atMost(Duration.ofSeconds(5)).until(() -> rs.pending() == 0);
        assertThat(after).containsExactly("m:false");
    }

    @Test
    void backOffIsExponentialWithFullJitterAndCapped() {
        ResultStore rs = store(Map.of("result_backend_base_sleep_between_retries_ms", 10,
                "result_backend_max_sleep_between_retries_ms", 1000));
        for (int i = 0; i < 200; i++) {
            assertThat(rs.backoffMillis(0)).isBetween(1L, 10L);
            assertThat(rs.backoffMillis(3)).isBetween(1L, 80L);
            assertThat(rs.backoffMillis(30)).isBetween(1L, 1000L);
        }
    }

    @Test
    void connectionFailuresAreRetryableOthersAreNot() {
        assertThat(ResultStore.retryable(new ResultBackendException("x", new java.io.IOException("reset")))).isTrue();
        assertThat(ResultStore.retryable(new ResultBackendException("x",
                new java.util.concurrent.TimeoutException()))).isTrue();
        assertThat(ResultStore.retryable(new ResultBackendException("x", new java.sql.SQLTransientConnectionException())))
                .isTrue();
        assertThat(ResultStore.retryable(new ResultBackendException("x", new MongoSocketOpenException()))).isTrue();
        assertThat(ResultStore.retryable(new ResultBackendException("cannot encode", new IllegalArgumentException("no"))))
                .isFalse();
        assertThat(ResultStore.retryable(new ResultBackendException("the backend is closed; create a new one")))
                .isFalse();
    }

    /** Named like the MongoDB driver's exception for a refused connection. */
    private static final class MongoSocketOpenException extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }
}
