package org.celeriac.transport.amqp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.celeriac.api.TaskState;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendCapabilities;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskMetaCodec;
import org.celeriac.spi.backend.TaskRequestInfo;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.serializer.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's {@code rpc://} result backend ({@code celery/backends/rpc.py}): a worker sends each state of a task as a
 * message to the caller's reply queue ({@code reply_to} of the task message) through the default exchange, with
 * {@code correlation_id} = the task id and the body {@code {"task_id", "status", "result", "traceback",
 * "children"}} in {@code result_serializer}; the caller consumes its one reply queue and keeps the latest state of
 * every task it hears of (results for tasks nobody waits for yet are buffered). Results therefore reach only the
 * process that sent the task, and do not survive it. Thread-safe.
 *
 * <p>The reply queue is declared as Python declares its {@code oid} queue: non-durable, auto-delete,
 * {@code x-expires} = {@code result_expires} in milliseconds, reached through the default exchange only. It is
 * declared, and consumed with automatic acknowledgement (Celery's {@code no_ack=True}), the first time this
 * process sends a task or waits for a result, never in a process that only runs tasks. Core sets this queue as
 * {@code reply_to} on its app's task messages ({@link #replyTo()}); while this backend is open, task messages
 * published through its broker without {@code reply_to} get it too (Celery clients always set it).
 *
 * <p>A {@link #store(TaskMeta)} without a request is a result for this very process (eager calls): it goes to
 * the local cache, not to the wire. Groups and chords are refused as Celery refuses them.
 */
public final class RpcResultBackend implements ResultBackend {
    private static final Logger LOG = LoggerFactory.getLogger(RpcResultBackend.class);
    /** Celery's {@code E_NO_CHORD_SUPPORT}. */
    static final String NO_CHORDS = "The \"rpc\" result backend does not support chords!\n\nNote that a group chained with "
            + "a task is also upgraded to be a chord,\nas this pattern requires synchronization.\n\nResult backends that "
            + "supports chords: Redis, Database, Memcached, and more.";
    private static final int CACHE_LIMIT = 10_000;

    private final AmqpBroker broker;
    private final ProviderContext context;
    private final Serializer serializer;
    private final Duration expires;
    private final boolean persistent;
    private final Duration confirmTimeout;
    private final String replyQueue = UUID.randomUUID().toString();
    private final Map<String, TaskMeta> cache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, TaskMeta> eldest) {
            return size() > CACHE_LIMIT;
        }
    };
    private final Map<String, List<CompletableFuture<TaskMeta>>> waiters = new ConcurrentHashMap<>();
    private final Object startLock = new Object();
    private volatile Map<String, Long> receivedCounts;
    private volatile AmqpBroker.QueueSubscription subscription;
    private volatile boolean closed;

    /**
     * @param expires {@code result_expires}: the reply queue's {@code x-expires}; null for none
     * @param persistent {@code result_persistent}: delivery mode 2 instead of 1
     */
    RpcResultBackend(AmqpBroker broker, ProviderContext context, Duration expires, boolean persistent) {
        this.broker = broker;
        this.context = context;
        this.serializer = context.resultSerializer();
        this.expires = expires;
        this.persistent = persistent;
        this.confirmTimeout = Duration.ofSeconds(10);
        broker.publishInterceptor(this::withReplyTo);
    }

    /** For tests: count the replies received per task id from now on. */
    void countReplies() {
        receivedCounts = new ConcurrentHashMap<>();
    }

    /** For tests: how many replies arrived for {@code taskId} since {@link #countReplies()}. */
    long received(String taskId) {
        Map<String, Long> counts = receivedCounts;
        return counts == null ? 0 : counts.getOrDefault(taskId, 0L);
    }

    /** The name of this process's reply queue (Celery's {@code oid}). */
    public String replyQueue() {
        return replyQueue;
    }

    @Override
    public ResultBackendCapabilities capabilities() {
        return new ResultBackendCapabilities(true, true, false, true, false);
    }

    /** Core sets this queue as {@code reply_to} on the task messages of its app. */
    @Override
    public Optional<String> replyTo() {
        return Optional.of(replyQueue);
    }

    /**
     * Celery's {@code on_task_call}: a task message that names this process's reply queue (or none: it gets it)
     * declares and starts consuming that queue before it is published, so no result can arrive before the queue
     * exists.
     */
    private Message withReplyTo(Message m) {
        if (closed || !m.headers().containsKey("task")) {
            return m;
        }
        String replyTo = m.properties().replyTo();
        if (replyTo == null || replyTo.isEmpty()) {
            ensureConsuming();
            return new Message(m.headers(), m.properties().toBuilder().replyTo(replyQueue).build(), m.body());
        }
        if (replyTo.equals(replyQueue)) {
            ensureConsuming();
        }
        return m;
    }

    /** Declares the reply queue and starts consuming it, once. */
    void ensureConsuming() {
        if (subscription != null) {
            return;
        }
        synchronized (startLock) {
            if (subscription != null || closed) {
                return;
            }
            Map<String, Object> args = new LinkedHashMap<>();
            if (expires != null && !expires.isZero()) {
                args.put("x-expires", AmqpHeaders.field(expires.toMillis()));
            }
            try {
                broker.declareTransientQueue(replyQueue, args.isEmpty() ? null : args);
                subscription = broker.subscribeQueue(replyQueue, (env, m) -> onReply(m));
            } catch (BrokerException e) {
                throw new ResultBackendException("cannot declare or consume the rpc:// reply queue '" + replyQueue + "': "
                        + e.getMessage(), e);
            }
        }
    }

    private void onReply(Message m) {
        String taskId = m.properties().correlationId();
        try {
            Serializer s = m.properties().contentType() == null ? serializer : context.serializer(m.properties().contentType());
            Object value = s.decode(m.body());
            if (!(value instanceof Map<?, ?> map)) {
                LOG.warn("rpc:// reply for task {} is not a result map; ignored", taskId);
                return;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> meta = (Map<String, Object>) map;
            if (taskId == null && meta.get("task_id") instanceof String id) {
                taskId = id;
            }
            if (taskId == null) {
                LOG.warn("rpc:// reply without correlation_id and task_id; ignored");
                return;
            }
            accept(TaskMetaCodec.fromMap(taskId, meta));
            Map<String, Long> counts = receivedCounts;
            if (counts != null) {
                counts.merge(taskId, 1L, Long::sum);
            }
        } catch (RuntimeException e) {
            LOG.warn("rpc:// reply for task {} cannot be read ({}); ignored", taskId, e.getMessage());
        }
    }

    /** Keeps the latest state (a SUCCESS is final) and wakes the waiters of a ready state. */
    private void accept(TaskMeta meta) {
        TaskMeta kept;
        synchronized (cache) {
            TaskMeta old = cache.get(meta.taskId());
            if (old != null && old.state() == TaskState.SUCCESS) {
                kept = old;
            } else {
                cache.put(meta.taskId(), meta);
                kept = meta;
            }
        }
        if (kept.state().isReady()) {
            List<CompletableFuture<TaskMeta>> ws = waiters.remove(kept.taskId());
            if (ws != null) {
                synchronized (ws) {
                    ws.forEach(f -> f.complete(kept));
                }
            }
        }
    }

    /** A result for this process (eager mode): cached locally, not sent. */
    @Override
    public void store(TaskMeta meta) {
        checkOpen();
        accept(meta);
    }

    /**
     * Sends {@code meta} to the caller's reply queue ({@code request.replyTo()}), waiting for RabbitMQ's confirm.
     * Without {@code reply_to} nothing is sent (Celery does the same). A caller whose reply queue is gone is logged
     * and skipped.
     *
     * @throws ResultBackendException when the broker does not confirm the message
     */
    @Override
    public void store(TaskMeta meta, TaskRequestInfo request) {
        checkOpen();
        if (request == null || request.replyTo() == null || request.replyTo().isEmpty()) {
            LOG.debug("task {}: no reply_to, so rpc:// has nowhere to send its {} state", meta.taskId(), meta.state());
            return;
        }
        // Celery's rpc body is {task_id, status, result, traceback, children}; Celeriac sends Celery's full meta
        // (adds date_done, and group_id, parent_id and result_extended fields when set), which Python reads too
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("task_id", meta.taskId());
        body.putAll(TaskMetaCodec.toMap(meta));
        MessageProperties props = MessageProperties.builder().contentType(serializer.contentType())
                .contentEncoding(serializer.contentEncoding())
                .correlationId(request.correlationId() != null ? request.correlationId() : meta.taskId())
                .deliveryMode(persistent ? 2 : 1).build();
        Message m = new Message(Map.of(), props, serializer.encode(body));
        try {
            broker.send("", request.replyTo(), m, true).get(confirmTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnroutableException) {
                LOG.warn("task {}: the caller's reply queue '{}' is gone (the client exited?); its {} state was dropped",
                        meta.taskId(), request.replyTo(), meta.state());
                return;
            }
            throw new ResultBackendException("sending the " + meta.state() + " state of task " + meta.taskId()
                    + " to reply queue '" + request.replyTo() + "' failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new ResultBackendException("RabbitMQ did not confirm the " + meta.state() + " state of task "
                    + meta.taskId() + " within " + confirmTimeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResultBackendException("interrupted while sending the result of task " + meta.taskId(), e);
        } catch (BrokerException e) {
            throw new ResultBackendException("sending the result of task " + meta.taskId() + " failed: " + e.getMessage(), e);
        }
    }

    /** The latest state this process heard of, or empty: rpc:// results are readable only by the caller. */
    @Override
    public Optional<TaskMeta> get(String taskId) {
        checkOpen();
        synchronized (cache) {
            return Optional.ofNullable(cache.get(taskId));
        }
    }

    @Override
    public CompletableFuture<TaskMeta> whenReady(String taskId, Duration pollInterval) {
        checkOpen();
        ensureConsuming();
        CompletableFuture<TaskMeta> f = new CompletableFuture<>();
        List<CompletableFuture<TaskMeta>> ws = waiters.computeIfAbsent(taskId, k -> new ArrayList<>());
        synchronized (ws) {
            ws.add(f);
        }
        Optional<TaskMeta> now = get(taskId);
        if (now.isPresent() && now.get().state().isReady()) {
            f.complete(now.get());
            waiters.computeIfPresent(taskId, (k, l) -> {
                synchronized (l) {
                    l.remove(f);
                    return l.isEmpty() ? null : l;
                }
            });
        }
        if (closed) {
            f.completeExceptionally(new ResultBackendException("the rpc:// result backend is closed"));
        }
        return f;
    }

    @Override
    public void forget(String taskId) {
        synchronized (cache) {
            cache.remove(taskId);
        }
    }

    @Override
    public void saveGroup(GroupMeta group) {
        throw new ResultBackendException("save_group is not supported by this backend (rpc://): results go only to the "
                + "caller; use a Redis or database result backend for groups");
    }

    @Override
    public Optional<GroupMeta> restoreGroup(String groupId) {
        throw new ResultBackendException("restore_group is not supported by this backend (rpc://)");
    }

    @Override
    public void forgetGroup(String groupId) {
        throw new ResultBackendException("delete_group is not supported by this backend (rpc://)");
    }

    /** Refused as Celery refuses chords on rpc://. */
    @Override
    public long incrementChordCounter(String groupId, long delta) {
        throw new ResultBackendException(NO_CHORDS);
    }

    @Override
    public long cleanup() {
        return 0;
    }

    private void checkOpen() {
        if (closed) {
            throw new ResultBackendException("the rpc:// result backend is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        broker.publishInterceptor(null);
        AmqpBroker.QueueSubscription s = subscription;
        if (s != null && !broker.isClosed()) {
            s.close();
        }
        ResultBackendException e = new ResultBackendException("the rpc:// result backend was closed while waiting");
        for (List<CompletableFuture<TaskMeta>> ws : waiters.values()) {
            synchronized (ws) {
                ws.forEach(f -> f.completeExceptionally(e));
            }
        }
        waiters.clear();
    }
}
