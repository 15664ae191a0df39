package org.celeriac.core.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.celeriac.api.CeleriacException;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.api.TaskState;
import org.celeriac.api.WorkerListener;
import org.celeriac.core.Celeriac;
import org.celeriac.core.internal.Exceptions;
import org.celeriac.core.internal.NodeNames;
import org.celeriac.core.protocol.InvalidTaskMessageException;
import org.celeriac.core.protocol.OutgoingTask;
import org.celeriac.core.protocol.PyRepr;
import org.celeriac.core.protocol.TaskMessage;
import org.celeriac.spi.backend.ExceptionInfo;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskRequestInfo;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.QueueSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Celery worker ({@code celery worker}): consumes queues, runs tasks on a bounded pool, acknowledges
 * early or late, stores results, retries, holds ETA messages. Thread-safe; {@link #start()} once, then
 * {@link #shutdown()} (warm: running tasks finish, prefetched messages go back) or
 * {@link #shutdownNow()} (cold: running tasks are interrupted).
 */
public final class Worker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.worker");

    /** Execution pools, by Celery's {@code -P} names. */
    public enum Pool {
        /** Platform threads, {@code concurrency} of them (Celery's {@code threads}; {@code prefork} maps here). */
        THREADS,
        /** Virtual threads, at most {@code concurrency} tasks at once ({@code eventlet}/{@code gevent} map here). */
        VIRTUAL,
        /** One thread ({@code solo}). */
        SOLO;

        /**
         * Parses Celery's pool names: {@code threads}, {@code virtual}, {@code solo}, {@code prefork}
         * (mapped to threads with an INFO note), {@code eventlet}/{@code gevent} (mapped to virtual threads).
         *
         * @throws IllegalArgumentException for other names, listing the accepted ones
         */
        public static Pool parse(String name) {
            String n = name == null ? "threads" : name.trim().toLowerCase(Locale.ROOT);
            switch (n) {
                case "threads", "thread", "platform" -> {
                    return THREADS;
                }
                case "virtual", "vthreads" -> {
                    return VIRTUAL;
                }
                case "solo" -> {
                    return SOLO;
                }
                case "prefork", "processes" -> {
                    LOG.info("pool 'prefork' runs as 'threads' on the JVM: one process, a pool of platform threads");
                    return THREADS;
                }
                case "eventlet", "gevent" -> {
                    LOG.info("pool '{}' runs as 'virtual' on the JVM: virtual threads", n);
                    return VIRTUAL;
                }
                default -> throw new IllegalArgumentException("unknown pool '" + name
                        + "'; use threads, virtual, solo (prefork, eventlet and gevent are accepted as aliases)");
            }
        }
    }

    /**
     * Worker options.
     *
     * @param nodeName node name pattern ({@code celery@%h}); null for the default
     * @param queues queues to consume; empty means {@code task_default_queue}
     * @param concurrency pool size; 0 or less means {@code worker_concurrency} (default: number of cores)
     * @param pool the pool kind; null means {@code worker_pool} (default threads)
     * @param prefetchMultiplier null means {@code worker_prefetch_multiplier} (default 4); 0 means unlimited
     */
    public record Options(String nodeName, List<String> queues, int concurrency, Pool pool, Integer prefetchMultiplier) {
        public Options {
            queues = queues == null ? List.of() : List.copyOf(queues);
        }

        /** Everything from the settings. */
        public static Options defaults() {
            return new Options(null, List.of(), 0, null, null);
        }
    }

    private enum Phase { NEW, RUNNING, STOPPING, STOPPED }

    private record Request(Delivery delivery, TaskMessage msg, TaskDefinition def) {
    }

    private static final Request POISON = new Request(null, null, null);

    private final Celeriac app;
    private final ResultBackend backend; // nullable
    private final TaskRunner runner;
    private final String nodeName;
    private final List<String> queues;
    private final int concurrency;
    private final Pool pool;
    private final int prefetch;
    private final boolean globalAcksLate;
    private final boolean trackStartedDefault;
    private final boolean ignoreResultDefault;
    private final boolean resultExtended;
    private final int maxHeldEta;
    private final BlockingQueue<Request> ready = new LinkedBlockingQueue<>();
    private final Map<Request, ScheduledFuture<?>> held = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.NEW);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong processed = new AtomicLong();
    private final AtomicInteger heldCount = new AtomicInteger();
    private volatile ScheduledExecutorService scheduler;
    private volatile Consumer consumer;

    /**
     * @throws IllegalArgumentException when an option is invalid
     */
    public Worker(Celeriac app, Options options) {
        this.app = app;
        this.backend = app.resultBackend().orElse(null);
        this.runner = new TaskRunner(app);
        var s = app.settings();
        this.nodeName = NodeNames.expand(options.nodeName() != null ? options.nodeName()
                : s.string("worker_hostname", "celery@%h"));
        this.queues = options.queues().isEmpty() ? List.of(app.defaultQueue()) : options.queues();
        int c = options.concurrency() > 0 ? options.concurrency()
                : s.integer("worker_concurrency", Runtime.getRuntime().availableProcessors());
        this.pool = options.pool() != null ? options.pool() : Pool.parse(s.string("worker_pool", "threads"));
        this.concurrency = pool == Pool.SOLO ? 1 : Math.max(1, c);
        int multiplier = options.prefetchMultiplier() != null ? options.prefetchMultiplier()
                : s.integer("worker_prefetch_multiplier", 4);
        if (multiplier < 0) {
            throw new IllegalArgumentException("worker_prefetch_multiplier must be >= 0 (0 = unlimited), got " + multiplier);
        }
        this.prefetch = multiplier == 0 ? 0 : concurrency * multiplier;
        this.globalAcksLate = s.bool("task_acks_late", false);
        this.trackStartedDefault = s.bool("task_track_started", false);
        this.ignoreResultDefault = s.bool("task_ignore_result", false);
        this.resultExtended = s.bool("result_extended", false);
        this.maxHeldEta = s.integer("worker_max_held_eta", 100_000);
    }

    /** The expanded node name, e.g. {@code celery@host}. */
    public String nodeName() {
        return nodeName;
    }

    /** The queues consumed. */
    public List<String> queues() {
        return queues;
    }

    /** The pool size. */
    public int concurrency() {
        return concurrency;
    }

    /** Tasks that finished (any state) since start. */
    public long processed() {
        return processed.get();
    }

    /**
     * Declares the queues, starts the pool and the consumer, then logs {@code <nodename> ready.} and
     * calls {@code worker_ready} listeners. Blocks until consuming has started.
     *
     * @throws IllegalStateException when called twice
     * @throws CeleriacException when the broker cannot be reached
     */
    public void start() {
        if (!phase.compareAndSet(Phase.NEW, Phase.RUNNING)) {
            throw new IllegalStateException("a worker starts once");
        }
        for (String q : queues) {
            app.broker().declareQueue(QueueSpec.of(q));
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "celeriac-eta");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < concurrency; i++) {
            Runnable loop = this::poolLoop;
            Thread t = pool == Pool.VIRTUAL ? Thread.ofVirtual().name("PoolWorker-" + (i + 1)).unstarted(loop)
                    : Thread.ofPlatform().name("PoolWorker-" + (i + 1)).daemon(false).unstarted(loop);
            threads.add(t);
            t.start();
        }
        consumer = app.broker().consume(queues, prefetch, this::onDelivery);
        LOG.info("{} ready.", nodeName);
        for (WorkerListener l : app.workerListeners()) {
            try {
                l.workerReady(nodeName);
            } catch (RuntimeException e) {
                LOG.warn("a worker_ready listener failed: {}", e.toString(), e);
            }
        }
    }

    // ----------------------------------------------------------------------------- receiving

    private void onDelivery(Delivery d) {
        if (phase.get() != Phase.RUNNING) {
            return; // left unsettled: consumer.close() gives it back
        }
        TaskMessage msg;
        try {
            msg = app.protocol().decode(d);
        } catch (InvalidTaskMessageException e) {
            LOG.error("Received invalid task message{} from queue {}: {} -- rejected (not requeued)",
                    e.taskId() == null ? "" : " " + (e.taskName() == null ? "" : e.taskName()) + "[" + e.taskId() + "]",
                    d.queue(), e.getMessage());
            settle(d, false);
            return;
        } catch (RuntimeException e) {
            LOG.error("Cannot read a message from queue {}: {} -- rejected (not requeued)", d.queue(), e.toString(), e);
            settle(d, false);
            return;
        }
        Optional<TaskDefinition> def = app.registry().get(msg.task());
        if (def.isEmpty()) {
            LOG.error("Received unregistered task of type '{}'.\nThe message has been ignored and discarded.\n\n"
                            + "Did you remember to put the jar holding this task on the worker's class path (--classpath), "
                            + "or to narrow -A to the right class?\nThe message's id was {} (queue {}).",
                    msg.task(), msg.id(), d.queue());
            store(info(msg), new TaskMeta(msg.id(), TaskState.FAILURE, ExceptionInfo.notRegistered(msg.task()).toMap(), null,
                    List.of(), Instant.now(), msg.group(), msg.parentId(), null));
            settle(d, false);
            return;
        }
        LOG.info("Task {}[{}] received", msg.displayName(), msg.id());
        Request req = new Request(d, msg, def.get());
        Instant eta = msg.eta();
        long delayMs = eta == null ? 0 : Instant.now().until(eta, java.time.temporal.ChronoUnit.MILLIS);
        if (delayMs > 0) {
            hold(req, delayMs);
        } else {
            ready.add(req);
        }
    }

    private void hold(Request req, long delayMs) {
        int n = heldCount.incrementAndGet();
        if (n > maxHeldEta) {
            heldCount.decrementAndGet();
            LOG.warn("Holding {} ETA/countdown messages already (worker_max_held_eta); task {}[{}] goes back to the "
                    + "queue for now", maxHeldEta, req.msg().displayName(), req.msg().id());
            settle(req.delivery(), true);
            return;
        }
        if (prefetch > 0) {
            consumer.setPrefetch(prefetch + n); // Celery raises QoS while it holds ETA messages
        }
        ScheduledFuture<?> f = scheduler.schedule(() -> {
            if (held.remove(req) != null) {
                release();
                ready.add(req);
            }
        }, delayMs, TimeUnit.MILLISECONDS);
        held.put(req, f);
        if (f.isDone() && held.remove(req) != null) { // ran before it was recorded
            release();
            ready.add(req);
        }
    }

    private void release() {
        int n = heldCount.decrementAndGet();
        if (prefetch > 0) {
            consumer.setPrefetch(prefetch + Math.max(0, n));
        }
    }

    // ----------------------------------------------------------------------------- executing

    private void poolLoop() {
        while (true) {
            Request req;
            try {
                req = ready.take();
            } catch (InterruptedException e) {
                return;
            }
            if (req == POISON) {
                return;
            }
            if (phase.get() != Phase.RUNNING) {
                continue; // shutting down: left unsettled, consumer.close() gives it back
            }
            active.incrementAndGet();
            try {
                execute(req);
            } catch (Throwable t) {
                LOG.error("Unexpected error while running task {}[{}]: {}", req.msg().displayName(), req.msg().id(), t.toString(), t);
            } finally {
                active.decrementAndGet();
                processed.incrementAndGet();
                Thread.interrupted(); // a cold-shutdown interrupt must not leak into the next task
            }
        }
    }

    private void execute(Request req) {
        TaskMessage msg = req.msg();
        TaskOptions opts = req.def().options();
        boolean acksLate = opts.acksLate() != null ? opts.acksLate() : globalAcksLate;
        if (!acksLate) {
            settle(req.delivery(), null);
        }
        try {
            if (msg.expires() != null && Instant.now().isAfter(msg.expires())) {
                LOG.info("Discarding revoked task: {}[{}] (expired)", msg.displayName(), msg.id());
                store(info(msg), new TaskMeta(msg.id(), TaskState.REVOKED, ExceptionInfo.revoked("expired").toMap(), null, List.of(),
                        Instant.now(), msg.group(), msg.parentId(), extended(req)));
                return;
            }
            boolean ignoreResult = msg.ignoreResult()
                    || (opts.ignoreResult() != null ? opts.ignoreResult() : ignoreResultDefault);
            boolean trackStarted = opts.trackStarted() != null ? opts.trackStarted() : trackStartedDefault;
            if (trackStarted && !ignoreResult) {
                Map<String, Object> started = new LinkedHashMap<>();
                started.put("pid", ProcessHandle.current().pid());
                started.put("hostname", nodeName);
                store(info(msg), new TaskMeta(msg.id(), TaskState.STARTED, started, null, List.of(), null, msg.group(),
                        msg.parentId(), extended(req)));
            }
            Outcome out = runner.run(req.def(), msg, nodeName, req.delivery().queue(), false,
                    (state, meta) -> store(info(msg), new TaskMeta(msg.id(), TaskState.of(state), meta, null, List.of(),
                            TaskState.of(state).isReady() ? Instant.now() : null, msg.group(), msg.parentId(), extended(req))));
            double secs = out.runtimeNanos() / 1e9;
            if (out.retry() != null) {
                retry(req, out);
            } else if (out.succeeded()) {
                List<Object> children = followUps(req, out.value());
                if (!ignoreResult) {
                    store(info(msg), new TaskMeta(msg.id(), TaskState.SUCCESS, out.value(), null, children, Instant.now(),
                            msg.group(), msg.parentId(), extended(req)));
                }
                if (LOG.isInfoEnabled()) {
                    LOG.info("Task {}[{}] succeeded in {}s: {}", msg.displayName(), msg.id(),
                            String.format(Locale.ROOT, "%.6f", secs), PyRepr.repr(out.value(), 200));
                }
            } else {
                if (!ignoreResult || app.settings().bool("task_store_errors_even_if_ignored", false)) {
                    store(info(msg), new TaskMeta(msg.id(), TaskState.FAILURE, out.info().toMap(), out.traceback(), List.of(),
                            Instant.now(), msg.group(), msg.parentId(), extended(req)));
                }
                LOG.error("Task {}[{}] raised unexpected: {}\n{}", msg.displayName(), msg.id(),
                        Exceptions.shortRepr(out.info()), out.traceback());
            }
        } finally {
            if (acksLate) {
                settle(req.delivery(), null);
            }
        }
    }

    private void retry(Request req, Outcome out) {
        TaskMessage msg = req.msg();
        Duration countdown = out.retry().countdown();
        Instant eta = Instant.now().plus(countdown);
        OutgoingTask again = new OutgoingTask(msg.id(), msg.task(), msg.args(), msg.kwargs(), eta, msg.expires(),
                msg.retries() + 1, msg.timeLimit(), msg.softTimeLimit(), msg.rootId(), msg.id(), msg.group(),
                msg.groupIndex(), msg.shadow(), app.origin(), msg.ignoreResult(), msg.replyTo(), null, Map.of(),
                msg.callbacks().isEmpty() ? null : msg.callbacks(), msg.errbacks().isEmpty() ? null : msg.errbacks(),
                msg.chain().isEmpty() ? null : msg.chain(), msg.chord());
        String queue = req.delivery().queue();
        try {
            app.publish(again, null, "", queue, queue).join();
        } catch (RuntimeException e) {
            LOG.error("Task {}[{}] could not be re-sent for its retry: {}", msg.displayName(), msg.id(), e.toString(), e);
            store(info(msg), new TaskMeta(msg.id(), TaskState.FAILURE, out.info().toMap(), out.traceback(), List.of(), Instant.now(),
                    msg.group(), msg.parentId(), extended(req)));
            return;
        }
        store(info(msg), new TaskMeta(msg.id(), TaskState.RETRY, out.info().toMap(), out.traceback(), List.of(), null,
                msg.group(), msg.parentId(), extended(req)));
        LOG.info("Task {}[{}] retry: Retry in {}s: {}", msg.displayName(), msg.id(),
                org.celeriac.spi.serializer.PythonFloats.repr(countdown.toNanos() / 1e9), Exceptions.shortRepr(out.info()));
    }

    /** Sends link callbacks and the next chain step; returns the children tuples. */
    private List<Object> followUps(Request req, Object value) {
        TaskMessage msg = req.msg();
        List<Object> children = new ArrayList<>();
        List<Map<String, Object>> toSend = new ArrayList<>(msg.callbacks());
        List<Map<String, Object>> remaining = null;
        if (!msg.chain().isEmpty()) {
            List<Map<String, Object>> chain = new ArrayList<>(msg.chain());
            toSend.add(chain.remove(chain.size() - 1));
            remaining = chain;
        }
        for (int i = 0; i < toSend.size(); i++) {
            Map<String, Object> sig = toSend.get(i);
            boolean isChainStep = remaining != null && i == toSend.size() - 1;
            try {
                OutgoingTask t = Signatures.toOutgoing(sig, value, true, msg.id(), msg.rootId(), app.origin(),
                        isChainStep ? remaining : null);
                String q = Signatures.queue(sig);
                String queue = q != null ? q : app.defaultQueue();
                app.publish(t, null, "", queue, queue);
                children.add(Signatures.child(t.id()));
            } catch (RuntimeException e) {
                LOG.error("Task {}[{}]: cannot send its callback {}: {}", msg.displayName(), msg.id(), sig.get("task"),
                        e.getMessage());
            }
        }
        return children;
    }

    private TaskMeta.Extended extended(Request req) {
        if (!resultExtended) {
            return null;
        }
        TaskMessage m = req.msg();
        return new TaskMeta.Extended(m.task(), m.args(), m.kwargs(), nodeName, m.retries(), req.delivery().routingKey());
    }

    private static TaskRequestInfo info(TaskMessage msg) {
        return new TaskRequestInfo(msg.replyTo(), msg.id(), null);
    }

    private void store(TaskRequestInfo request, TaskMeta meta) {
        store(meta, request);
    }

    private void store(TaskMeta meta, TaskRequestInfo request) {
        if (backend == null) {
            return;
        }
        try {
            backend.store(meta, request);
        } catch (RuntimeException e) {
            LOG.error("Cannot store state {} of task {} in the result backend: {}", meta.state(), meta.taskId(), e.toString(), e);
        }
    }

    /** requeue null = ack; true/false = reject with/without requeue. Never throws. */
    private void settle(Delivery d, Boolean requeue) {
        try {
            if (requeue == null) {
                consumer.ack(d);
            } else {
                consumer.reject(d, requeue);
            }
        } catch (RuntimeException e) {
            LOG.warn("Cannot {} delivery {} of queue {}: {}", requeue == null ? "ack" : "reject", d.deliveryTag(), d.queue(),
                    e.toString());
        }
    }

    // ----------------------------------------------------------------------------- stopping

    /**
     * Warm shutdown (Celery's first SIGTERM/SIGINT): stops taking messages, gives prefetched and held
     * ones back, lets running tasks finish, then closes the consumer. Returns at once; see
     * {@link #awaitTermination}. Idempotent.
     */
    public void shutdown() {
        if (!phase.compareAndSet(Phase.RUNNING, Phase.STOPPING)) {
            if (phase.compareAndSet(Phase.NEW, Phase.STOPPED)) {
                terminated.countDown();
            }
            return;
        }
        LOG.info("{}: Warm shutdown", nodeName);
        Thread t = new Thread(() -> stop(false), "celeriac-shutdown");
        t.setDaemon(false);
        t.start();
    }

    /**
     * Cold shutdown (Celery's second signal): interrupts running tasks and closes the consumer at once;
     * messages not acknowledged go back to the queue (acks_late tasks run again elsewhere). Idempotent.
     */
    public void shutdownNow() {
        Phase p = phase.getAndSet(Phase.STOPPING);
        if (p == Phase.STOPPED) {
            phase.set(Phase.STOPPED);
            return;
        }
        LOG.warn("{}: Cold shutdown", nodeName);
        for (Thread t : threads) {
            t.interrupt();
        }
        Thread t = new Thread(() -> stop(true), "celeriac-cold-shutdown");
        t.setDaemon(false);
        t.start();
    }

    private synchronized void stop(boolean cold) {
        if (terminated.getCount() == 0) {
            return;
        }
        for (ScheduledFuture<?> f : held.values()) {
            f.cancel(false);
        }
        held.clear();
        List<Request> pending = new ArrayList<>();
        ready.drainTo(pending);
        pending.remove(POISON);
        if (!pending.isEmpty()) {
            LOG.info("Giving {} prefetched message(s) back to the broker", pending.size());
        }
        for (int i = 0; i < threads.size(); i++) {
            ready.add(POISON);
        }
        for (Thread t : threads) {
            try {
                if (cold) {
                    t.join(2_000);
                } else {
                    t.join();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Consumer c = consumer;
        if (c != null) {
            try {
                c.close(); // unsettled (prefetched, held, running acks_late after a cold stop) go back
            } catch (RuntimeException e) {
                LOG.warn("closing the consumer failed: {}", e.toString());
            }
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        for (WorkerListener l : app.workerListeners()) {
            try {
                l.workerShutdown(nodeName);
            } catch (RuntimeException e) {
                LOG.warn("a worker_shutdown listener failed: {}", e.toString(), e);
            }
        }
        phase.set(Phase.STOPPED);
        terminated.countDown();
        LOG.info("{}: stopped ({} task(s) processed)", nodeName, processed.get());
    }

    /**
     * Waits until the worker stopped.
     *
     * @param timeout null waits forever
     * @return true when stopped
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        if (timeout == null) {
            terminated.await();
            return true;
        }
        return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** True once the worker has fully stopped. */
    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /** Warm shutdown and wait. */
    @Override
    public void close() {
        shutdown();
        try {
            awaitTermination(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
