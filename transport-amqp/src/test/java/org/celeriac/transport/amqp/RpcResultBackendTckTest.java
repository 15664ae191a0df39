package org.celeriac.transport.amqp;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendCapabilities;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskRequestInfo;
import org.celeriac.tck.ResultBackendTck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.Assumptions;

/**
 * The result-backend TCK against rpc://. Every {@code store(meta)} of the TCK is sent over RabbitMQ as a worker
 * would send it, to this backend's own reply queue ({@code store(meta, request)} with {@code reply_to} = the
 * reply queue), and {@code get} waits until that message has come back, so the rules check the wire path, not a
 * local cache. Rules rpc:// cannot keep by design are skipped with the reason:
 * chord counters (R-5: Celery refuses chords on rpc://; {@code RpcResultBackendTest} asserts the refusal),
 * results read by another process or connection (R-6.1, R-6.2: only the caller gets them), expiry rules
 * {@code result_expires} is the reply queue's {@code x-expires}, there is nothing to clean up).
 */
@ExtendWith(RpcResultBackendTckTest.NoChords.class)
class RpcResultBackendTckTest extends ResultBackendTck {
    private final String vhost = AmqpTestSupport.createVhost("rpc-tck");
    private final AmqpBroker broker = AmqpTestSupport.open(vhost, Map.of());

    @Override
    protected ResultBackend createBackend() {
        return new OverTheWire(AmqpTestSupport.rpc(broker, Map.of()));
    }

    @Override
    protected ResultBackend createBackend(Duration resultExpires) {
        return Assumptions.abort("rpc:// has no per-result expiry: result_expires is the x-expires of the caller's reply "
                + "queue, and results are consumed by the caller; nothing to clean up");
    }

    @Override
    protected ResultBackend reopenBackend() {
        return Assumptions.abort("rpc:// results reach only the process (reply queue) that sent the task; another "
                + "connection cannot read them (Celery's design)");
    }

    @Override
    protected void storeInAnotherProcess(TaskMeta meta) {
        Assumptions.abort("rpc:// results reach only the caller's reply queue; results are not shared between processes");
    }

    @AfterAll
    void dropVhost() {
        backend().close();
        broker.close();
        AmqpTestSupport.deleteVhost(vhost);
    }

    /** Disables the chord-counter rules R-5.x: rpc:// refuses chords, as Celery does. */
    static final class NoChords implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return context.getTestMethod().isPresent() && context.getDisplayName().startsWith("R-5.")
                    ? ConditionEvaluationResult.disabled("rpc:// refuses chords as Celery does (\"The rpc result backend "
                            + "does not support chords!\"), so it keeps no chord counters; ResultBackendCapabilities has no "
                            + "chords flag to skip by")
                    : ConditionEvaluationResult.enabled("");
        }
    }

    /** Sends every store through RabbitMQ to the backend's own reply queue, as a worker would. */
    static final class OverTheWire implements ResultBackend {
        private final RpcResultBackend rpc;
        private final java.util.Map<String, Long> sent = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.concurrent.atomic.AtomicLong seq = new java.util.concurrent.atomic.AtomicLong();

        OverTheWire(RpcResultBackend rpc) {
            this.rpc = rpc;
            rpc.ensureConsuming();
            rpc.countReplies();
        }

        @Override
        public ResultBackendCapabilities capabilities() {
            return rpc.capabilities();
        }

        @Override
        public void store(TaskMeta meta) {
            rpc.store(meta, new TaskRequestInfo(rpc.replyQueue(), meta.taskId(), null));
            sent.merge(meta.taskId(), 1L, Long::sum);
            seq.incrementAndGet();
        }

        @Override
        public Optional<TaskMeta> get(String taskId) {
            Long n = sent.get(taskId);
            if (n != null) {
                // wait until the reply queue delivered what was sent for this task (bounded)
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (rpc.received(taskId) < n && System.nanoTime() < deadline) {
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
            }
            return rpc.get(taskId);
        }

        @Override
        public CompletableFuture<TaskMeta> whenReady(String taskId, Duration pollInterval) {
            return rpc.whenReady(taskId, pollInterval);
        }

        @Override
        public void forget(String taskId) {
            get(taskId);
            rpc.forget(taskId);
        }

        @Override
        public void saveGroup(GroupMeta group) {
            rpc.saveGroup(group);
        }

        @Override
        public Optional<GroupMeta> restoreGroup(String groupId) {
            return rpc.restoreGroup(groupId);
        }

        @Override
        public void forgetGroup(String groupId) {
            rpc.forgetGroup(groupId);
        }

        @Override
        public long incrementChordCounter(String groupId, long delta) {
            return rpc.incrementChordCounter(groupId, delta);
        }

        @Override
        public long cleanup() {
            return rpc.cleanup();
        }

        @Override
        public void close() {
            rpc.close();
        }
    }
}
