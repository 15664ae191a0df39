package org.celeriac.tck;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.celeriac.api.TaskState;
import org.celeriac.spi.backend.ExceptionInfo;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendCapabilities;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskMetaCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The result-backend conformance kit: every rule {@code R-x.y} of {@code tck/RULES.md} as a test whose
 * display name starts with the rule id. Extend it in the backend's tests and supply
 * {@link #createBackend()}; override the hooks ({@link #createBackend(Duration)}, {@link #reopenBackend()},
 * {@link #restartBackend}, {@link #storeInAnotherProcess}, {@link #pollInterval()}, {@link #timeout()})
 * to enable the expiry, sharing and cross-process rules. An optional feature the backend lacks shows
 * as SKIPPED with a message naming the capability or hook.
 *
 * <p>One backend per test class ({@code @BeforeAll}); each test uses fresh random task and group ids.
 * Every wait is bounded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class ResultBackendTck {
    private volatile ResultBackend backend;
    private final List<AutoCloseable> perTest = new CopyOnWriteArrayList<>();

    // ------------------------------------------------------------------------------------------ hooks

    /** Creates the backend of this test class (a new connection; a shared store is fine: ids are random). */
    protected abstract ResultBackend createBackend();

    /**
     * Creates a backend on a store whose results expire after {@code resultExpires} (Celery's
     * {@code result_expires}); by default the expiry rules are skipped.
     */
    protected ResultBackend createBackend(Duration resultExpires) {
        return Assumptions.abort("hook ResultBackendTck.createBackend(Duration resultExpires) is not implemented: override it "
                + "to create a backend with a short result_expires");
    }

    /**
     * Opens a second, independent connection to the same store as {@link #createBackend()} (another
     * client of the same server or database); by default is skipped.
     */
    protected ResultBackend reopenBackend() {
        return Assumptions.abort("hook ResultBackendTck.reopenBackend() is not implemented: override it to open a second "
                + "connection to the same store");
    }

    /**
     * Restarts the backend's server (or closes and reopens the store) and returns a backend connected to
     * it again; only used when {@link ResultBackendCapabilities#persistent()}. By default is skipped.
     */
    protected ResultBackend restartBackend(ResultBackend backend) {
        return Assumptions.abort("hook ResultBackendTck.restartBackend(ResultBackend) is not implemented: override it to "
                + "restart the backend so persistence can be checked");
    }

    /**
     * Stores {@code meta} from another operating-system process (a second JVM on the same store), blocking
     * until it has exited. {@link TckSecondProcess} implements it for backends found by URL. By default
     * is skipped.
     */
    protected void storeInAnotherProcess(TaskMeta meta) {
        Assumptions.abort("hook ResultBackendTck.storeInAnotherProcess(TaskMeta) is not implemented: override it (e.g. with "
                + "TckSecondProcess) to check that results written by one process are read by another");
    }

    /** The poll interval handed to {@link ResultBackend#whenReady}. Default 100 ms. */
    protected Duration pollInterval() {
        return Duration.ofMillis(100);
    }

    /** The longest time any expected event may take, on top of the poll interval. Default 10 s. */
    protected Duration timeout() {
        return Duration.ofSeconds(10);
    }

    /** How long to watch before concluding that a future will not complete. Default 3 poll intervals, at least 300 ms. */
    protected Duration quietPeriod() {
        Duration three = pollInterval().multipliedBy(3);
        return three.compareTo(Duration.ofMillis(300)) < 0 ? Duration.ofMillis(300) : three;
    }

    // ------------------------------------------------------------------------------------- lifecycle

    @BeforeAll
    final void openBackend() {
        backend = createBackend();
        assertNotNull(backend, getClass().getName() + ".createBackend() returned null");
    }

    @AfterAll
    final void closeBackend() {
        ResultBackend b = backend;
        if (b != null) {
            b.close();
        }
    }

    @AfterEach
    final void closePerTest() {
        for (AutoCloseable c : perTest) {
            try {
                c.close();
            } catch (Exception | AssertionError e) {
                // best effort
            }
        }
        perTest.clear();
    }

    /** The backend of this test class. */
    protected final ResultBackend backend() {
        return backend;
    }

    // --------------------------------------------------------------------------------------- helpers

    private static String id() {
        return "tck-" + UUID.randomUUID();
    }

    private static TaskMeta success(String id, Object result) {
        return TaskMeta.of(id, TaskState.SUCCESS, result, null);
    }

    private <T> T await(CompletableFuture<T> f, Duration within, String what) {
        try {
            return f.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return fail(what + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            return fail(what + ": not complete within " + within.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted during " + what);
        }
    }

    private Duration waitBound() {
        return pollInterval().plus(timeout());
    }

    private TaskMeta read(String id, String rule) {
        Optional<TaskMeta> m = backend.get(id);
        assertNotNull(m, rule + ": get() returned null instead of Optional.empty()");
        assertTrue(m.isPresent(), () -> rule + ": nothing stored for task " + id + " right after store()");
        return m.get();
    }

    private static void assertValue(String rule, Object expected, Object actual) {
        String d = TckMessages.difference("result", expected, actual);
        assertNull(d, () -> rule + ": the value read back differs at " + d);
    }

    private void requireGroups() {
        Assumptions.assumeTrue(backend.capabilities().groups(),
                "optional feature not offered: ResultBackendCapabilities.groups is false");
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ----------------------------------------------------------------------------------------- rules

    @Nested
    @DisplayName("R-1 store and read")
    class StoreAndRead {

        @Test
        @DisplayName("R-1.1 reading a task nothing was stored for gives empty (the task is PENDING)")
        void r1_1_unknownTaskIsEmpty() {
            Optional<TaskMeta> m = backend.get(id());
            assertNotNull(m, "R-1.1: get() returned null");
            assertTrue(m.isEmpty(), () -> "R-1.1: an unknown task id read as " + m.get());
        }

        @Test
        @DisplayName("R-1.2 every state (RECEIVED, STARTED, RETRY, FAILURE, REVOKED, SUCCESS and a custom one) is read back as stored")
        void r1_2_everyStateRoundTrips() {
            Map<TaskState, Object> results = new LinkedHashMap<>();
            results.put(TaskState.RECEIVED, null);
            results.put(TaskState.STARTED, Map.of("pid", 4242L, "hostname", "celery@tck"));
            results.put(TaskState.RETRY, new ExceptionInfo("ValueError", List.of("again"), "builtins").toMap());
            results.put(TaskState.FAILURE, new ExceptionInfo("KeyError", List.of("k"), "builtins").toMap());
            results.put(TaskState.REVOKED, ExceptionInfo.revoked("revoked").toMap());
            results.put(TaskState.SUCCESS, 8L);
            results.put(TaskState.of("PROGRESS"), Map.of("current", 3L, "total", 10L));
            List<String> wrong = new ArrayList<>();
            results.forEach((state, result) -> {
                String id = id();
                backend.store(TaskMeta.of(id, state, result, null));
                Optional<TaskMeta> m = backend.get(id);
                if (m.isEmpty()) {
                    wrong.add(state.name() + ": nothing read back");
                } else if (!m.get().state().equals(state)) {
                    wrong.add(state.name() + ": read back as " + m.get().state().name());
                } else {
                    String d = TckMessages.difference("result", result, m.get().result());
                    if (d != null) {
                        wrong.add(state.name() + ": " + d);
                    }
                }
            });
            assertTrue(wrong.isEmpty(), () -> "R-1.2: " + wrong);
        }

        @Test
        @DisplayName("R-1.3 a SUCCESS result of the value model (nested maps and lists, big integers, floats, unicode, null) is read back equal")
        void r1_3_resultValuesRoundTrip() {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("int", Long.MIN_VALUE);
            result.put("big", new BigInteger("123456789012345678901234567890"));
            result.put("float", 2.5);
            result.put("text", "caf\u00e9 \ud83d\ude00");
            result.put("none", null);
            result.put("flag", true);
            result.put("list", Arrays.asList(1L, List.of(), Map.of(), null));
            String id = id();
            backend.store(success(id, result));
            assertValue("R-1.3", result, read(id, "R-1.3").result());
        }

        @Test
        @DisplayName("R-1.4 a FAILURE keeps its exception type, message, module and traceback")
        void r1_4_failureKeepsExceptionAndTraceback() {
            String id = id();
            ExceptionInfo exc = new ExceptionInfo("ZeroDivisionError", List.of("division by zero"), "builtins");
            String tb = "Traceback (most recent call last):\n  File \"tasks.py\", line 3, in div\nZeroDivisionError: division by zero\n";
            backend.store(TaskMeta.of(id, TaskState.FAILURE, exc.toMap(), tb));
            TaskMeta m = read(id, "R-1.4");
            assertEquals(TaskState.FAILURE, m.state(), "R-1.4: state");
            assertEquals(Optional.of(exc), m.exception(), "R-1.4: exception info");
            assertEquals(tb, m.traceback(), "R-1.4: traceback");
        }

        @Test
        @DisplayName("R-1.5 children, group id, parent id, date done (to the millisecond) and the extended fields are read back")
        void r1_5_metaFieldsRoundTrip() {
            String id = id();
            Instant done = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            TaskMeta.Extended ext = new TaskMeta.Extended("tasks.add", List.of(4L, 4L), Map.of("z", 1L), "celery@tck", 2, "celery");
            TaskMeta meta = new TaskMeta(id, TaskState.SUCCESS, 8L, null, List.of(TaskMetaCodec.resultTuple("child-1")),
                    done, "group-1", "parent-1", ext);
            backend.store(meta);
            TaskMeta m = read(id, "R-1.5");
            assertValue("R-1.5 (children)", meta.children(), m.children());
            assertEquals("group-1", m.groupId(), "R-1.5: groupId");
            assertEquals("parent-1", m.parentId(), "R-1.5: parentId");
            assertNotNull(m.dateDone(), "R-1.5: dateDone lost");
            assertEquals(done, m.dateDone().truncatedTo(ChronoUnit.MILLIS), "R-1.5: dateDone");
            assertNotNull(m.extended(), "R-1.5: extended fields lost");
            assertEquals("tasks.add", m.extended().name(), "R-1.5: extended.name");
            assertValue("R-1.5 (extended.args)", ext.args(), m.extended().args());
            assertValue("R-1.5 (extended.kwargs)", ext.kwargs(), m.extended().kwargs());
            assertEquals("celery@tck", m.extended().worker(), "R-1.5: extended.worker");
            assertEquals(2, m.extended().retries(), "R-1.5: extended.retries");
            assertEquals("celery", m.extended().queue(), "R-1.5: extended.queue");
        }

        @Test
        @DisplayName("R-1.6 a stored SUCCESS is never overwritten by a later store")
        void r1_6_successIsFinal() {
            String id = id();
            backend.store(success(id, "first"));
            backend.store(TaskMeta.of(id, TaskState.STARTED, null, null));
            backend.store(TaskMeta.of(id, TaskState.FAILURE, new ExceptionInfo("E", List.of(), null).toMap(), "tb"));
            TaskMeta m = read(id, "R-1.6");
            assertEquals(TaskState.SUCCESS, m.state(), "R-1.6: a stored SUCCESS was overwritten");
            assertEquals("first", m.result(), "R-1.6: result");
        }

        @Test
        @DisplayName("R-1.7 for states other than SUCCESS the last write wins")
        void r1_7_lastWriteWins() {
            String id = id();
            backend.store(TaskMeta.of(id, TaskState.STARTED, null, null));
            backend.store(TaskMeta.of(id, TaskState.RETRY, new ExceptionInfo("E", List.of("x"), null).toMap(), "tb"));
            backend.store(TaskMeta.of(id, TaskState.STARTED, Map.of("pid", 1L), null));
            assertEquals(TaskState.STARTED, read(id, "R-1.7").state(), "R-1.7: the last state stored");
        }

        @Test
        @DisplayName("R-1.8 the results of many tasks are kept apart")
        void r1_8_manyTasksAreKeptApart() {
            Map<String, Long> stored = new LinkedHashMap<>();
            for (long i = 0; i < 50; i++) {
                String id = id();
                stored.put(id, i);
                backend.store(success(id, i));
            }
            stored.forEach((id, v) -> assertValue("R-1.8 (task " + id + ")", v, read(id, "R-1.8").result()));
        }
    }

    @Nested
    @DisplayName("R-2 waiting for a result")
    class Waiting {

        @Test
        @DisplayName("R-2.1 whenReady completes with the meta soon after a ready state is stored by another thread")
        void r2_1_whenReadyWakesOnCompletion() {
            String id = id();
            CompletableFuture<TaskMeta> f = backend.whenReady(id, pollInterval());
            assertNotNull(f, "R-2.1: whenReady returned null");
            CompletableFuture.runAsync(() -> backend.store(success(id, 42L)));
            TaskMeta m = await(f, waitBound(), "R-2.1: whenReady after SUCCESS was stored");
            assertEquals(TaskState.SUCCESS, m.state(), "R-2.1: state");
            assertValue("R-2.1", 42L, m.result());
        }

        @Test
        @DisplayName("R-2.2 whenReady of a task that is already ready completes with its meta")
        void r2_2_whenReadyOfAReadyTask() {
            String id = id();
            backend.store(success(id, "done"));
            TaskMeta m = await(backend.whenReady(id, pollInterval()), waitBound(), "R-2.2: whenReady of a stored SUCCESS");
            assertEquals("done", m.result(), "R-2.2");
        }

        @Test
        @DisplayName("R-2.3 whenReady does not complete while the task is in an unready state (STARTED, RETRY)")
        void r2_3_unreadyStatesDoNotComplete() {
            String id = id();
            CompletableFuture<TaskMeta> f = backend.whenReady(id, pollInterval());
            backend.store(TaskMeta.of(id, TaskState.STARTED, null, null));
            backend.store(TaskMeta.of(id, TaskState.RETRY, new ExceptionInfo("E", List.of(), null).toMap(), null));
            sleep(quietPeriod());
            assertFalse(f.isDone(), () -> "R-2.3: whenReady completed for an unready state: " + f.join());
            backend.store(success(id, 1L));
            await(f, waitBound(), "R-2.3: whenReady after SUCCESS");
        }

        @Test
        @DisplayName("R-2.4 whenReady completes for FAILURE and REVOKED too")
        void r2_4_failureAndRevokedAreReady() {
            for (TaskState s : List.of(TaskState.FAILURE, TaskState.REVOKED)) {
                String id = id();
                CompletableFuture<TaskMeta> f = backend.whenReady(id, pollInterval());
                backend.store(TaskMeta.of(id, s, new ExceptionInfo("E", List.of("x"), null).toMap(), null));
                assertEquals(s, await(f, waitBound(), "R-2.4: whenReady after " + s.name()).state(), "R-2.4");
            }
        }

        @Test
        @DisplayName("R-2.5 many waiters of one task all complete")
        void r2_5_manyWaitersAllComplete() {
            String id = id();
            List<CompletableFuture<TaskMeta>> fs = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                fs.add(backend.whenReady(id, pollInterval()));
            }
            backend.store(success(id, 7L));
            for (int i = 0; i < fs.size(); i++) {
                await(fs.get(i), waitBound(), "R-2.5: waiter " + (i + 1) + " of 10");
            }
        }
    }

    @Nested
    @DisplayName("R-3 forget and expiry")
    class ForgetAndExpiry {

        @Test
        @DisplayName("R-3.1 a forgotten result is gone")
        void r3_1_forgetRemoves() {
            String id = id();
            backend.store(success(id, 1L));
            backend.forget(id);
            assertTrue(backend.get(id).isEmpty(), "R-3.1: the result is still there after forget()");
        }

        @Test
        @DisplayName("R-3.2 forgetting an unknown task is harmless")
        void r3_2_forgetUnknownIsHarmless() {
            assertDoesNotThrow(() -> backend.forget(id()), "R-3.2");
        }

        @Test
        @DisplayName("R-3.3 a result older than result_expires is not read any more (after cleanup() where expiry is not native)")
        void r3_3_expiredResultsAreGone() {
            ResultBackend b = createBackend(Duration.ofSeconds(1));
            perTest.add(b);
            String id = id();
            b.store(success(id, 1L));
            long deadline = System.nanoTime() + Duration.ofSeconds(1).plus(timeout()).toNanos();
            while (System.nanoTime() < deadline) {
                b.cleanup();
                if (b.get(id).isEmpty()) {
                    return;
                }
                sleep(Duration.ofMillis(100));
            }
            fail("R-3.3: a result stored with result_expires = 1 s is still read after " + Duration.ofSeconds(1).plus(timeout()));
        }

        @Test
        @DisplayName("R-3.4 cleanup() removes nothing younger than result_expires")
        void r3_4_cleanupKeepsYoungResults() {
            ResultBackend b = createBackend(Duration.ofMinutes(10));
            perTest.add(b);
            String id = id();
            b.store(success(id, 1L));
            b.cleanup();
            assertTrue(b.get(id).isPresent(), "R-3.4: cleanup() removed a result stored just now");
        }
    }

    @Nested
    @DisplayName("R-4 groups")
    class Groups {

        @Test
        @DisplayName("R-4.1 a saved group is restored with its id and member ids in order")
        void r4_1_groupRoundTrips() {
            requireGroups();
            String gid = id();
            List<String> members = List.of(id(), id(), id());
            backend.saveGroup(new GroupMeta(gid, members, Instant.now()));
            Optional<GroupMeta> g = backend.restoreGroup(gid);
            assertTrue(g.isPresent(), "R-4.1: restoreGroup found nothing right after saveGroup");
            assertEquals(gid, g.get().groupId(), "R-4.1: groupId");
            assertEquals(members, g.get().taskIds(), "R-4.1: member ids, in order");
        }

        @Test
        @DisplayName("R-4.2 restoring an unknown group gives empty")
        void r4_2_unknownGroupIsEmpty() {
            requireGroups();
            assertTrue(backend.restoreGroup(id()).isEmpty(), "R-4.2");
        }

        @Test
        @DisplayName("R-4.3 a forgotten group is gone")
        void r4_3_forgetGroupRemoves() {
            requireGroups();
            String gid = id();
            backend.saveGroup(new GroupMeta(gid, List.of(id()), null));
            backend.forgetGroup(gid);
            assertTrue(backend.restoreGroup(gid).isEmpty(), "R-4.3: the group is still there after forgetGroup()");
        }
    }

    @Nested
    @DisplayName("R-5 chord counters")
    class ChordCounters {

        @Test
        @DisplayName("R-5.1 a chord counter starts at 0 and each increment returns the new value")
        void r5_1_counterCounts() {
            String gid = id();
            assertEquals(1, backend.incrementChordCounter(gid, 1), "R-5.1: first increment by 1");
            assertEquals(3, backend.incrementChordCounter(gid, 2), "R-5.1: then by 2");
        }

        @Test
        @DisplayName("R-5.2 concurrent increments are atomic: none is lost and no value is returned twice")
        void r5_2_concurrentIncrementsAreAtomic() throws Exception {
            String gid = id();
            int threads = 8;
            int each = 50;
            Set<Long> returned = ConcurrentHashMap.newKeySet();
            List<Long> duplicates = new CopyOnWriteArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    fs.add(pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < each; i++) {
                            long v = backend.incrementChordCounter(gid, 1);
                            if (!returned.add(v)) {
                                duplicates.add(v);
                            }
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : fs) {
                    f.get(timeout().toMillis() * 3, TimeUnit.MILLISECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            long last = backend.incrementChordCounter(gid, 0);
            assertEquals((long) threads * each, last, () -> "R-5.2: " + threads + " threads x " + each
                    + " increments left the counter at " + last + ": increments were lost");
            assertTrue(duplicates.isEmpty(), () -> "R-5.2: values returned to more than one caller: "
                    + duplicates.subList(0, Math.min(5, duplicates.size())));
        }

        @Test
        @DisplayName("R-5.3 the counters of different groups are independent")
        void r5_3_countersAreIndependent() {
            String a = id();
            String b = id();
            backend.incrementChordCounter(a, 5);
            assertEquals(1, backend.incrementChordCounter(b, 1), "R-5.3: a new group's counter");
            assertEquals(6, backend.incrementChordCounter(a, 1), "R-5.3: the first group's counter");
        }
    }

    @Nested
    @DisplayName("R-6 sharing and lifecycle")
    class Sharing {

        @Test
        @DisplayName("R-6.1 a result stored by another process is read by this one")
        void r6_1_resultsCrossProcesses() {
            String id = id();
            CompletableFuture<TaskMeta> f = backend.whenReady(id, pollInterval());
            storeInAnotherProcess(TaskMeta.of(id, TaskState.SUCCESS, "from another process", null));
            TaskMeta m = await(f, waitBound(), "R-6.1: whenReady for the result stored by the other process");
            assertEquals("from another process", m.result(), "R-6.1");
            assertEquals(TaskState.SUCCESS, read(id, "R-6.1").state(), "R-6.1: get()");
        }

        @Test
        @DisplayName("R-6.2 a result stored through one connection is read, and awaited, through another")
        void r6_2_resultsCrossConnections() {
            ResultBackend other = reopenBackend();
            perTest.add(other);
            String id = id();
            CompletableFuture<TaskMeta> f = other.whenReady(id, pollInterval());
            backend.store(success(id, "shared"));
            assertEquals("shared", await(f, waitBound(), "R-6.2: whenReady on the second connection").result(), "R-6.2");
            assertTrue(other.get(id).isPresent(), "R-6.2: get() on the second connection found nothing");
        }

        @Test
        @DisplayName("R-6.3 close() fails the pending whenReady futures and is idempotent")
        void r6_3_closeFailsPendingWaits() {
            ResultBackend b = createBackend();
            CompletableFuture<TaskMeta> f = b.whenReady(id(), pollInterval());
            b.close();
            assertDoesNotThrow(b::close, "R-6.3: a second close() threw");
            try {
                f.get(waitBound().toMillis(), TimeUnit.MILLISECONDS);
                fail("R-6.3: a pending whenReady completed normally after close()");
            } catch (ExecutionException expected) {
                assertNotNull(expected.getCause(), "R-6.3");
            } catch (TimeoutException e) {
                fail("R-6.3: a pending whenReady was still pending " + waitBound() + " after close()");
            } catch (java.util.concurrent.CancellationException expected) {
                // cancelled counts as failed
                assertTrue(f.isCancelled(), "R-6.3");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Test
        @DisplayName("R-6.4 a backend that claims persistence keeps results across a restart")
        void r6_4_persistentResultsSurviveARestart() {
            Assumptions.assumeTrue(backend.capabilities().persistent(),
                    "optional feature not offered: ResultBackendCapabilities.persistent is false");
            String id = id();
            backend.store(success(id, "kept"));
            ResultBackend restarted = restartBackend(backend);
            assertNotNull(restarted, "restartBackend returned null");
            backend = restarted;
            assertEquals("kept", read(id, "R-6.4").result(), "R-6.4");
        }
    }
}
