package org.celeriac.core.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
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
import org.celeriac.core.control.ControlServer;
import org.celeriac.core.control.LamportClock;
import org.celeriac.core.control.LimitedSet;
import org.celeriac.core.control.Mailbox;
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
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.PublishOptions;
import org.celeriac.spi.broker.QueueSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Celery worker ({@code celery worker}): consumes queues, runs tasks on a bounded pool, acknowledges
 * early or late, stores results, retries, holds ETA messages, and answers remote control and inspect
 * ({@code celery.pidbox}, see {@link org.celeriac.core.control}) with Celery's worker state: active, reserved
 * and scheduled requests, revoked ids (in memory, Celery's limits: 50 000 ids, 3 hours), per-task rate and
 * time limits set at runtime, extra queues. Thread-safe; {@link #start()} once, then
 * {@link #shutdown()} (warm: running tasks finish, prefetched messages go back) or
 * {@link #shutdownNow()} (cold: running tasks are interrupted).
 *
 * <p>Settings read here besides Celery's task defaults:
 * <ul>
 *   <li>Results ({@link ResultStore}): a store that fails because the backend is unreachable is retried with
 *       back-off ({@code result_backend_always_retry}, default true here; {@code result_backend_max_retries},
 *       default unlimited; {@code result_backend_base_sleep_between_retries_ms}, 10;
 *       {@code result_backend_max_sleep_between_retries_ms}, 10 000) while the states wait in a buffer of
 *       {@code worker_result_buffer_size} (1 000); a full buffer stops the pool taking tasks, so the prefetch
 *       window stops the transport. acks_late messages are acknowledged once their result is stored. At shutdown
 *       the buffer gets {@code worker_result_flush_timeout} (10 s); the ids still waiting are logged at ERROR and
 *       their acks_late messages go back to the broker.</li>
 *   <li>ETA/countdown: an ETA more than {@code worker_eta_hold_max_seconds} away (60 s; None: never) goes back
 *       to the transport's durable delayed delivery when it has one, and the original is acknowledged; nearer
 *       ones are held in memory ({@code worker_max_held_eta}, 100 000) and start within a few milliseconds of
 *       their ETA.</li>
 *   <li>Celery's worker flags: {@code worker_without_mingle} (mingle at start, see {@link Mingle}),
 *       {@code worker_without_gossip} (no gossip anyway), {@code worker_autoscale} ({@code "MAX,MIN"}, see
 *       {@link Autoscaler}; keep-alive {@code worker_autoscale_keepalive}, 30 s),
 *       {@code worker_max_tasks_per_child} (a pool thread is replaced after that many tasks),
 *       {@code worker_max_memory_per_child} (ignored with a warning).</li>
 *   <li>Time limits: a thread abandoned at its hard time limit is counted as leaked until it returns; above
 *       {@code worker_max_leaked_threads} (10; 0: never) leaked since the last restart the pool is warm-restarted
 *       ({@link #restartPool}), as is it by the {@code pool_restart} control command when {@code worker_pool_restarts}
 *       is on.</li>
 *   <li>Rate limits: Celery's token bucket per task per worker; with {@code rate_limit_scope: 'global'} in a task's
 *       {@code task_annotations} entry, or {@code task_rate_limit_scope = global} for all, one limit for the whole
 *       cluster, counted in the broker's (else the result backend's) coordination store -- Celery cannot do that.
 *       {@code task_default_rate_limit} and {@code worker_disable_rate_limits} as Celery.</li>
 *   <li>Revokes that outlive the worker ({@link RevokeStore}): {@code worker_persistent_revokes} (true) and
 *       {@code worker_state_db} (a file, Celery's {@code --statedb}, with {@code %n}/{@code %h}/{@code %p});
 *       {@code task_reject_on_worker_lost}: an acks_late task interrupted by a cold shutdown goes back to the
 *       queue instead of failing with {@code WorkerLostError}.</li>
 * </ul>
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

    /**
     * One {@link Broker#consume} of some queues: the main one ({@code -Q}) and one per {@code add_consumer}.
     * Deliveries are settled through {@link #consumer}, which completes once {@code consume} returned (a
     * delivery may arrive before). A retiring slot ({@code cancel_consumer}) takes nothing new and is closed
     * once its running tasks finished.
     */
    static final class Slot {
        final List<String> queues;
        final CompletableFuture<Consumer> consumer = new CompletableFuture<>();
        final AtomicInteger running = new AtomicInteger();
        volatile boolean retiring;

        Slot(List<String> queues) {
            this.queues = List.copyOf(queues);
        }
    }

    /**
     * A received task request and what inspect reports about it ({@code celery/worker/request.py Request}).
     * Identity equality (it is a map key).
     */
    static final class Request {
        final Slot slot;
        final Delivery delivery;
        final TaskMessage msg;
        final TaskDefinition def;
        volatile Double timeStart;
        volatile boolean acknowledged;
        volatile Thread thread;
        volatile boolean terminated;
        /** Set when the soft time limit passed (the thread was interrupted). */
        volatile boolean softTimedOut;
        /** 0 running or waiting, 1 finished by its thread, 2 abandoned at its hard time limit. */
        final AtomicInteger outcome = new AtomicInteger();

        /** Acknowledges once: true for the caller that should settle the delivery. */
        synchronized boolean markAcknowledged() {
            if (acknowledged) {
                return false;
            }
            acknowledged = true;
            return true;
        }

        Request(Slot slot, Delivery delivery, TaskMessage msg, TaskDefinition def) {
            this.slot = slot;
            this.delivery = delivery;
            this.msg = msg;
            this.def = def;
        }

        TaskMessage msg() {
            return msg;
        }

        Delivery delivery() {
            return delivery;
        }

        TaskDefinition def() {
            return def;
        }
    }

    /** A queue as consumed, for {@code active_queues}: kombu's {@code Queue(name, Exchange(exchange, type), key)}. */
    record QueueInfo(String name, String exchange, String exchangeType, String routingKey) {
    }

    private static final Request POISON = new Request(null, null, null, null);

    private final Celeriac app;
    private final ResultBackend backend; // nullable
    /** Celery's built-in task names, known whatever -A says. */
    private final org.celeriac.core.canvas.Builtins builtins;
    /** Joins chords when a header task finishes. */
    private final org.celeriac.core.canvas.ChordJoin chordJoin;
    private final TaskRunner runner;
    private final FollowUps followUps;
    private final String nodeName;
    private final List<String> initialQueues;
    private final Pool pool;
    private final int multiplier;
    private final AtomicInteger concurrency = new AtomicInteger();
    private volatile int prefetch;
    private final boolean globalAcksLate;
    private final boolean trackStartedDefault;
    private final boolean ignoreResultDefault;
    private final boolean resultExtended;
    private final EtaHold etaHold;
    private final ResultStore resultStore;
    private final Duration etaHoldMax; // null: every ETA is held in memory
    private final Autoscaler autoscaler; // null without worker_autoscale
    private final int maxTasksPerChild; // 0: no limit
    private final boolean withoutMingle;
    private final RevokeStore revokeStore;
    private final boolean rejectOnWorkerLost;
    private volatile boolean cold; // shutdownNow() was called
    private final Duration resultFlushTimeout;
    private final BlockingDeque<Request> ready = new LinkedBlockingDeque<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger threadSeq = new AtomicInteger();
    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.NEW);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong processed = new AtomicLong();
    // inspect state (celery/worker/state.py): reserved + active requests by id, totals, revoked ids
    private final Map<String, Request> requests = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> totals = new ConcurrentHashMap<>();
    private final LimitedSet revoked = LimitedSet.forRevokes();
        private final Map<String, List<Double>> timeLimits = new ConcurrentHashMap<>(); // [soft, hard], null = none
    private final LamportClock clock = new LamportClock();
    private final List<Slot> slots = new CopyOnWriteArrayList<>();
    private final Map<String, QueueInfo> queueInfo = new ConcurrentHashMap<>();
    private volatile boolean taskEvents;
    private volatile long startedNanos;
    private volatile ControlServer control;
    private volatile ScheduledExecutorService scheduler;
    private final RateLimits rateLimits;
    private final AtomicInteger leakedThreads = new AtomicInteger();
    private final AtomicLong leakedThreadsTotal = new AtomicLong();
    /** {@code worker_max_leaked_threads}; 0 = never restart the pool for leaked threads. */
    private final int maxLeakedThreads;
    private final boolean poolRestartsEnabled;
    /** Threads leaked since the last pool restart (the restart trigger). */
    private final AtomicInteger leakedSinceRestart = new AtomicInteger();
    private final AtomicLong poolRestarts = new AtomicLong();
    /** The pool's generation: a restart starts a new one; threads of older generations leave once idle. */
    private volatile int generation;
    /** Pool threads waiting for a request, by generation; guarded by itself (see {@link #restartPool}). */
    private final Map<Thread, Integer> idle = new java.util.HashMap<>();
    private final Duration defaultTimeLimit;
    private final Duration defaultSoftTimeLimit;

    /**
     * @throws IllegalArgumentException when an option is invalid
     */
    public Worker(Celeriac app, Options options) {
        this.app = app;
        this.backend = app.resultBackend().orElse(null);
        this.chordJoin = new org.celeriac.core.canvas.ChordJoin(app, backend);
        this.builtins = new org.celeriac.core.canvas.Builtins(app, backend, chordJoin);
        this.runner = new TaskRunner(app);
        this.followUps = new FollowUps(app, chordJoin);
        var s = app.settings();
        this.nodeName = NodeNames.expand(options.nodeName() != null ? options.nodeName()
                : s.string("worker_hostname", "celery@%h"));
        this.initialQueues = options.queues().isEmpty() ? List.of(app.defaultQueue()) : options.queues();
        int c = options.concurrency() > 0 ? options.concurrency()
                : s.integer("worker_concurrency", Runtime.getRuntime().availableProcessors());
        this.pool = options.pool() != null ? options.pool() : Pool.parse(s.string("worker_pool", "threads"));
        this.concurrency.set(pool == Pool.SOLO ? 1 : Math.max(1, c));
        this.autoscaler = autoscaler(s.string("worker_autoscale", null));
        if (autoscaler != null) {
            concurrency.set(autoscaler.initial());
        }
        this.maxTasksPerChild = s.integer("worker_max_tasks_per_child", 0);
        if (maxTasksPerChild < 0) {
            throw new IllegalArgumentException("worker_max_tasks_per_child must be >= 1 (0 or unset: no limit), got "
                    + maxTasksPerChild);
        }
        this.rateLimits = new RateLimits(ready::add, () -> scheduler, s.string("task_default_rate_limit", null),
                s.bool("worker_disable_rate_limits", false), globalRateLimits(s),
                app.broker().coordination().or(() -> backend == null ? Optional.empty() : backend.coordination())
                        .orElse(null));
        rateLimits.validate(app.registry().definitions());
        this.maxLeakedThreads = s.integer("worker_max_leaked_threads", 10);
        if (maxLeakedThreads < 0) {
            throw new IllegalArgumentException("worker_max_leaked_threads must be >= 1 (0: never restart the pool for "
                    + "leaked threads), got " + maxLeakedThreads);
        }
        this.poolRestartsEnabled = s.bool("worker_pool_restarts", false);
        if (s.raw("worker_max_memory_per_child").filter(v -> !String.valueOf(v).isBlank()
                && !"none".equalsIgnoreCase(String.valueOf(v))).isPresent()) {
            LOG.warn("worker_max_memory_per_child (--max-memory-per-child) is ignored: all pool threads share one JVM "
                    + "heap, so there is no child process to replace; bound the heap with -Xmx instead");
        }
        this.withoutMingle = s.bool("worker_without_mingle", false);
        this.rejectOnWorkerLost = s.bool("task_reject_on_worker_lost", false);
        String stateDb = s.string("worker_state_db", null);
        this.revokeStore = new RevokeStore(revoked, clock, s.bool("worker_persistent_revokes", true)
                ? app.broker().coordination().or(() -> backend == null ? Optional.empty() : backend.coordination())
                : Optional.empty(),
                stateDb == null || stateDb.isBlank() || stateDb.equalsIgnoreCase("none") ? null
                        : java.nio.file.Path.of(nodeFormat(stateDb)),
                app.components().serializer("json"));
        if (s.bool("worker_without_gossip", false)) {
            LOG.debug("worker_without_gossip: this worker has no gossip anyway");
        }
        int multiplier = options.prefetchMultiplier() != null ? options.prefetchMultiplier()
                : s.integer("worker_prefetch_multiplier", 4);
        if (multiplier < 0) {
            throw new IllegalArgumentException("worker_prefetch_multiplier must be >= 0 (0 = unlimited), got " + multiplier);
        }
        this.multiplier = multiplier;
        this.prefetch = multiplier == 0 ? 0 : (autoscaler != null ? autoscaler.max() : concurrency.get()) * multiplier;
        this.globalAcksLate = s.bool("task_acks_late", false);
        this.trackStartedDefault = s.bool("task_track_started", false);
        this.ignoreResultDefault = s.bool("task_ignore_result", false);
        this.resultExtended = s.bool("result_extended", false);
        this.etaHold = new EtaHold(s.integer("worker_max_held_eta", 100_000), () -> scheduler, this::reserve,
                this::updatePrefetch);
        this.taskEvents = s.bool("worker_send_task_events", false);
        this.resultStore = new ResultStore(backend, s);
        this.etaHoldMax = s.duration("worker_eta_hold_max_seconds", Duration.ofSeconds(60));
        this.resultFlushTimeout = s.duration("worker_result_flush_timeout", Duration.ofSeconds(10));
        this.defaultTimeLimit = s.duration("task_time_limit", null);
        this.defaultSoftTimeLimit = s.duration("task_soft_time_limit", null);
    }

    /**
     * The tasks whose rate limit is cluster-wide: {@code rate_limit_scope} in their {@code task_annotations} entry,
     * else {@code task_rate_limit_scope} ({@code worker}, the default, or {@code global}).
     *
     * @throws IllegalArgumentException when {@code task_rate_limit_scope} is neither
     */
    private static java.util.function.Predicate<String> globalRateLimits(org.celeriac.spi.Settings s) {
        String scope = s.string("task_rate_limit_scope", "worker").trim().toLowerCase(Locale.ROOT);
        if (!scope.equals("worker") && !scope.equals("global")) {
            throw new IllegalArgumentException("task_rate_limit_scope must be 'worker' (a token bucket per worker, as "
                    + "Celery) or 'global' (one limit for the whole cluster, through the broker's or result backend's "
                    + "coordination), got '" + scope + "'");
        }
        org.celeriac.core.registry.TaskAnnotations annotations =
                org.celeriac.core.registry.TaskAnnotations.parse(s.raw("task_annotations").orElse(null));
        return name -> {
            Object own = annotations.optionsFor(name).get("rate_limit_scope");
            return own != null ? "global".equalsIgnoreCase(String.valueOf(own)) : scope.equals("global");
        };
    }

    /**
     * Celery's {@code node_format} for {@code --statedb}: {@code %n} the node's name part, {@code %h} its host,
     * {@code %d} the host's domain, {@code %p} the whole node name, {@code %i} the process id, {@code %%} a percent.
     */
    String nodeFormat(String pattern) {
        int at = nodeName.indexOf('@');
        String name = at < 0 ? nodeName : nodeName.substring(0, at);
        String host = at < 0 ? NodeNames.expand("%h") : nodeName.substring(at + 1);
        int dot = host.indexOf('.');
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '%' && i + 1 < pattern.length()) {
                char k = pattern.charAt(++i);
                switch (k) {
                    case 'n' -> sb.append(name);
                    case 'h' -> sb.append(host);
                    case 'd' -> sb.append(dot < 0 ? "" : host.substring(dot + 1));
                    case 'p' -> sb.append(nodeName);
                    case 'i', 'I' -> sb.append(ProcessHandle.current().pid());
                    case '%' -> sb.append('%');
                    default -> sb.append('%').append(k);
                }
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** {@code worker_autoscale}; null when unset or on the solo pool. */
    private Autoscaler autoscaler(String spec) {
        if (spec == null || spec.isBlank() || spec.equalsIgnoreCase("none")) {
            return null;
        }
        int[] mm = Autoscaler.parse(spec);
        if (pool == Pool.SOLO) {
            LOG.warn("worker_autoscale ({}) is ignored on the solo pool, which has one thread", spec);
            return null;
        }
        Duration keepalive = app.settings().duration("worker_autoscale_keepalive", Duration.ofSeconds(30));
        return new Autoscaler(mm[0], mm[1], keepalive == null ? Duration.ofSeconds(30) : keepalive, concurrency::get,
                requests::size, this::grow, this::shrink);
    }

    /** The expanded node name, e.g. {@code celery@host}. */
    public String nodeName() {
        return nodeName;
    }

    /** The queues consumed now ({@code -Q}, plus {@code add_consumer}, minus {@code cancel_consumer}). */
    public List<String> queues() {
        List<String> out = new ArrayList<>();
        for (Slot s : slots) {
            if (!s.retiring) {
                out.addAll(s.queues);
            }
        }
        return phase.get() == Phase.NEW ? initialQueues : out;
    }

    /** The pool size (changed by {@code pool_grow}/{@code pool_shrink}). */
    public int concurrency() {
        return concurrency.get();
    }

    /** Tasks that finished (any state) since start. */
    public long processed() {
        return processed.get();
    }

    /** The worker's Lamport clock (remote control and, later, events). */
    public LamportClock clock() {
        return clock;
    }

    /**
     * Declares the queues, starts the pool, the consumer and the remote-control mailbox (when the transport
     * has broadcast and {@code worker_enable_remote_control} is on), then logs {@code <nodename> ready.} and
     * calls {@code worker_ready} listeners. Blocks until consuming has started.
     *
     * @throws IllegalStateException when called twice
     * @throws CeleriacException when the broker cannot be reached
     */
    public void start() {
        if (!phase.compareAndSet(Phase.NEW, Phase.RUNNING)) {
            throw new IllegalStateException("a worker starts once");
        }
        startedNanos = System.nanoTime();
        for (String q : initialQueues) {
            app.broker().declareQueue(QueueSpec.of(q));
            queueInfo.put(q, new QueueInfo(q, q, "direct", q));
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "celeriac-eta");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < concurrency.get(); i++) {
            startPoolThread();
        }
        revokeStore.load();
        if (!withoutMingle) {
            Mingle.sync(this, app);
        }
        openSlot(initialQueues);
        startControl();
        if (autoscaler != null) {
            scheduler.scheduleWithFixedDelay(() -> {
                try {
                    if (phase.get() == Phase.RUNNING) {
                        autoscaler.maybeScale();
                    }
                } catch (RuntimeException e) {
                    LOG.warn("autoscale: {}", e.toString());
                }
            }, 1, 1, TimeUnit.SECONDS);
        }
        LOG.info("{} ready.", nodeName);
        for (WorkerListener l : app.workerListeners()) {
            try {
                l.workerReady(nodeName);
            } catch (RuntimeException e) {
                LOG.warn("a worker_ready listener failed: {}", e.toString(), e);
            }
        }
    }

    private void startPoolThread() {
        int gen = generation;
        Runnable loop = () -> poolLoop(gen);
        String name = "PoolWorker-" + threadSeq.incrementAndGet();
        Thread t = pool == Pool.VIRTUAL ? Thread.ofVirtual().name(name).unstarted(loop)
                : Thread.ofPlatform().name(name).daemon(false).unstarted(loop);
        threads.add(t);
        t.start();
    }

    private Slot openSlot(List<String> queues) {
        Slot slot = new Slot(queues);
        slots.add(slot);
        try {
            Consumer c = app.broker().consume(queues, prefetch == 0 ? 0 : prefetch + etaHold.count(),
                    d -> onDelivery(slot, d));
            slot.consumer.complete(c);
        } catch (RuntimeException e) {
            slots.remove(slot);
            slot.consumer.completeExceptionally(e);
            throw e;
        }
        return slot;
    }

    private void startControl() {
        if (!app.settings().bool("worker_enable_remote_control", true)) {
            LOG.info("{}: remote control is disabled (worker_enable_remote_control=false)", nodeName);
            return;
        }
        if (!app.broker().capabilities().broadcast()) {
            LOG.info("{}: the transport {} has no broadcast, so this worker does not answer remote control and inspect "
                    + "(use Redis, RabbitMQ or memory:// for 'celeriac inspect')", nodeName,
                    app.broker().getClass().getSimpleName());
            return;
        }
        try {
            ControlServer server = new ControlServer(app.broker(), Mailbox.of(app), nodeName, clock,
                    new WorkerPanel(this, app).handlers());
            server.start();
            control = server;
        } catch (RuntimeException e) {
            LOG.error("{}: cannot start remote control: {}; the worker runs without it", nodeName, e.toString(), e);
        }
    }

    // ----------------------------------------------------------------------------- receiving

    private void onDelivery(Slot slot, Delivery d) {
        if (phase.get() != Phase.RUNNING || slot.retiring) {
            return; // left unsettled: consumer.close() gives it back
        }
        TaskMessage msg;
        try {
            msg = app.protocol().decode(d);
        } catch (InvalidTaskMessageException e) {
            LOG.error("Received invalid task message{} from queue {}: {} -- rejected (not requeued)",
                    e.taskId() == null ? "" : " " + (e.taskName() == null ? "" : e.taskName()) + "[" + e.taskId() + "]",
                    d.queue(), e.getMessage());
            settle(slot, d, false);
            return;
        } catch (RuntimeException | StackOverflowError e) { // a hostile body must not kill the transport's thread
            Object id = d.message().headers().get("id");
            LOG.error("Cannot read a message{} from queue {}: {} -- rejected (not requeued)",
                    id == null ? "" : " (task id " + id + ")", d.queue(), e.toString(), e);
            settle(slot, d, false);
            return;
        }
        Optional<TaskDefinition> def = app.registry().get(msg.task()).or(() -> builtins.get(msg.task()));
        if (def.isEmpty()) {
            LOG.error("Received unregistered task of type '{}'.\nThe message has been ignored and discarded.\n\n"
                            + "Did you remember to put the jar holding this task on the worker's class path (--classpath), "
                            + "or to narrow -A to the right class?\nThe message's id was {} (queue {}).",
                    msg.task(), msg.id(), d.queue());
            resultStore.store(new TaskMeta(msg.id(), TaskState.FAILURE, ExceptionInfo.notRegistered(msg.task()).toMap(),
                    null, List.of(), Instant.now(), msg.group(), msg.parentId(), null), info(msg),
                    stored -> settle(slot, d, false));
            return;
        }
        LOG.info("Task {}[{}] received", msg.displayName(), msg.id());
        Request req = new Request(slot, d, msg, def.get());
        if (revoked.contains(msg.id())) {
            discardRevoked(req, "revoked");
            return;
        }
        Instant eta = msg.eta();
        Instant now = Instant.now();
        if (eta != null && eta.isAfter(now)) {
            if (!deferToBroker(req, eta, now)) {
                hold(req, eta);
            }
        } else {
            reserve(req);
        }
    }

    /** Celery's {@code task_reserved}: known to inspect as reserved, queued for the pool (after its rate limit). */
    private void reserve(Request req) {
        requests.put(req.msg.id(), req);
        rateLimits.admit(req);
    }

    private void forget(Request req) {
        requests.remove(req.msg.id(), req);
    }

    /** Stores REVOKED ({@code TaskRevokedError(reason)}) and acks, as Celery's {@code _announce_revoked}. */
    private void discardRevoked(Request req, String reason) {
        TaskMessage msg = req.msg;
        LOG.info("Discarding revoked task: {}[{}]", msg.displayName(), msg.id());
        forget(req);
        storeFinal(req, true, TaskState.REVOKED, new TaskMeta(msg.id(), TaskState.REVOKED, ExceptionInfo.revoked(reason).toMap(), null,
                List.of(), Instant.now(), msg.group(), msg.parentId(), extended(req)), ExceptionInfo.revoked(reason).toMap());
    }

    /**
     * Hands a message whose ETA is further away than {@code worker_eta_hold_max_seconds} back to the transport's
     * durable delayed delivery (when it has one): the same message (headers, properties, body) is published to the
     * queue it came from (default exchange, routing key = queue, so an exchange bound to several queues does not
     * copy it again) with {@link PublishOptions#notBefore} = its ETA, and the original is acknowledged once the
     * broker confirmed the copy. So ETA messages (Python clients send them as plain messages with an {@code eta}
     * header) never sit unacknowledged in worker memory for long (RabbitMQ's {@code consumer_timeout}, 30 min by
     * default, celery#6760); the copy comes back when due and the last stretch is held in memory. If the publish
     * fails the message is held in memory as before.
     *
     * @return false when the message is to be held in memory
     */
    private boolean deferToBroker(Request req, Instant eta, Instant now) {
        if (etaHoldMax == null || !app.broker().capabilities().delayedDelivery()
                || Duration.between(now, eta).compareTo(etaHoldMax) <= 0) {
            return false;
        }
        Delivery d = req.delivery();
        TaskMessage msg = req.msg();
        CompletableFuture<Void> sent;
        try {
            sent = app.broker().publish("", d.queue(), d.message(), new PublishOptions(eta, null));
        } catch (RuntimeException e) {
            LOG.warn("Task {}[{}]: cannot hand its ETA {} to the broker's delayed delivery ({}); held in worker memory",
                    msg.displayName(), msg.id(), eta, e.toString());
            return false;
        }
        sent.whenComplete((v, e) -> {
            if (e == null) {
                LOG.info("Task {}[{}] has its ETA {} more than {} s away (worker_eta_hold_max_seconds): handed to the "
                        + "broker's delayed delivery", msg.displayName(), msg.id(), eta, etaHoldMax.toMillis() / 1000.0);
                if (req.markAcknowledged()) {
                    settle(req.slot, d, null);
                }
            } else if (phase.get() == Phase.RUNNING && !req.slot.retiring) {
                LOG.warn("Task {}[{}]: the broker did not take it for delayed delivery ({}); held in worker memory",
                        msg.displayName(), msg.id(), e.toString());
                hold(req, eta);
            }
        });
        return true;
    }

    private void hold(Request req, Instant eta) {
        if (!etaHold.hold(req, eta)) {
            LOG.warn("Holding {} ETA/countdown messages already (worker_max_held_eta); task {}[{}] goes back to the "
                    + "queue for now", etaHold.max(), req.msg().displayName(), req.msg().id());
            settle(req.slot, req.delivery(), true);
        }
    }

    /** prefetch = concurrency x multiplier, raised by the number of held ETA messages (as Celery's QoS). */
    private void updatePrefetch() {
        if (prefetch == 0) {
            return;
        }
        int value = prefetch + etaHold.count();
        for (Slot s : slots) {
            Consumer c = s.consumer.getNow(null);
            if (c != null) {
                try {
                    c.setPrefetch(value);
                } catch (RuntimeException e) {
                    LOG.debug("cannot change the prefetch of {}: {}", s.queues, e.toString());
                }
            }
        }
    }

    // ----------------------------------------------------------------------------- executing

    private void poolLoop(int gen) {
        int done = 0;
        Thread me = Thread.currentThread();
        while (true) {
            Request req;
            synchronized (idle) {
                if (gen != generation) {
                    threads.remove(me);
                    return; // retired by a pool restart after its last task
                }
                idle.put(me, gen);
            }
            try {
                resultStore.awaitRoom(() -> phase.get() == Phase.RUNNING); // back-pressure: the result buffer is full
                req = ready.take();
            } catch (InterruptedException e) {
                synchronized (idle) {
                    idle.remove(me);
                    if (gen != generation) {
                        threads.remove(me); // an idle thread retired by a pool restart
                    }
                }
                return;
            }
            synchronized (idle) {
                idle.remove(me);
                if (gen != generation) {
                    // retired by a pool restart while waiting: the request (or a shrink's POISON) is for the new pool
                    ready.offerFirst(req);
                    threads.remove(me);
                    Thread.interrupted();
                    return;
                }
            }
            if (req == POISON) {
                threads.remove(Thread.currentThread());
                return;
            }
            req.slot.running.incrementAndGet(); // before reading retiring: cancelConsumer reads them the other way round
            if (phase.get() != Phase.RUNNING || req.slot.retiring) {
                req.slot.running.decrementAndGet();
                forget(req);
                continue; // shutting down: left unsettled, consumer.close() gives it back
            }
            active.incrementAndGet();
            req.thread = Thread.currentThread();
            try {
                execute(req);
            } catch (Throwable t) {
                LOG.error("Unexpected error while running task {}[{}]: {}", req.msg().displayName(), req.msg().id(), t.toString(), t);
            } finally {
                synchronized (req) {
                    req.thread = null;
                }
                Thread.interrupted(); // a cold-shutdown, terminate or time-limit interrupt must not leak into the next task
            }
            if (!req.outcome.compareAndSet(0, 1) && req.outcome.get() == 2) {
                // abandoned at its hard time limit: a replacement thread took this one's place
                leakedThreads.decrementAndGet();
                LOG.warn("Task {}[{}] returned after its hard time limit; its result is discarded and its leaked thread "
                        + "{} ends", req.msg().displayName(), req.msg().id(), Thread.currentThread().getName());
                return;
            }
            finished(req);
            if (maxTasksPerChild > 0 && ++done >= maxTasksPerChild && phase.get() == Phase.RUNNING
                    && threads.remove(Thread.currentThread())) {
                LOG.debug("{} ran {} task(s) (worker_max_tasks_per_child): replaced", Thread.currentThread().getName(),
                        done);
                startPoolThread();
                return;
            }
        }
    }

    /** Accounting once a request is done (by its thread, or at its hard time limit). */
    private void finished(Request req) {
        forget(req);
        req.slot.running.decrementAndGet();
        active.decrementAndGet();
        processed.incrementAndGet();
    }

    /**
     * The time limits of a request, seconds, {@code [soft, hard]} (null = none): the message's {@code timelimit}
     * header, else the limits set by the {@code time_limit} control command, else the task's options (with
     * {@code task_annotations}), else {@code task_soft_time_limit}/{@code task_time_limit} — Celery's order.
     */
    Double[] effectiveTimeLimits(Request req) {
        TaskMessage msg = req.msg();
        TaskOptions o = req.def().options();
        List<Double> control = timeLimits.get(msg.task());
        Double soft = seconds(msg.softTimeLimit());
        Double hard = seconds(msg.timeLimit());
        if (soft == null) {
            soft = control != null && control.get(0) != null ? control.get(0)
                    : seconds(o.softTimeLimit() != null ? o.softTimeLimit() : defaultSoftTimeLimit);
        }
        if (hard == null) {
            hard = control != null && control.get(1) != null ? control.get(1)
                    : seconds(o.timeLimit() != null ? o.timeLimit() : defaultTimeLimit);
        }
        return new Double[] {soft, hard};
    }

    private static Double seconds(Duration d) {
        return d == null || d.isZero() || d.isNegative() ? null : d.toNanos() / 1e9;
    }

    private static String secs(double s) {
        return org.celeriac.spi.serializer.PythonFloats.repr(s);
    }

    /** Celery's {@code on_soft_timeout}: interrupts the task, which then sees {@code SoftTimeLimitExceeded}. */
    private void softTimeout(Request req, double soft) {
        synchronized (req) {
            if (req.thread != null && req.outcome.get() == 0) {
                LOG.warn("Soft time limit ({}s) exceeded for {}[{}]", secs(soft), req.msg().displayName(), req.msg().id());
                req.softTimedOut = true;
                req.thread.interrupt();
            }
        }
    }

    /**
     * Celery's {@code on_hard_timeout}: stores FAILURE with {@code TimeLimitExceeded} at once, acknowledges, and
     * since a JVM thread cannot be killed, interrupts the thread, abandons it (counted as leaked until it returns)
     * and starts a replacement.
     */
    private void hardTimeout(Request req, double hard) {
        if (!req.outcome.compareAndSet(0, 2)) {
            return; // finished meanwhile
        }
        TaskMessage msg = req.msg();
        Thread t;
        synchronized (req) {
            t = req.thread;
        }
        leakedThreads.incrementAndGet();
        leakedThreadsTotal.incrementAndGet();
        int sinceRestart = leakedSinceRestart.incrementAndGet();
        if (t != null) {
            threads.remove(t);
            t.interrupt();
        }
        LOG.error("Hard time limit ({}s) exceeded for {}[{}]; its thread {} is abandoned and replaced ({} leaked now)",
                secs(hard), msg.displayName(), msg.id(), t == null ? "?" : t.getName(), leakedThreads.get());
        org.celeriac.api.TimeLimitExceededException e = new org.celeriac.api.TimeLimitExceededException(hard);
        storeFinal(req, true, TaskState.FAILURE, new TaskMeta(msg.id(), TaskState.FAILURE, Exceptions.info(e).toMap(), Exceptions.traceback(e),
                List.of(), Instant.now(), msg.group(), msg.parentId(), extended(req)), Exceptions.info(e).toMap(),
                () -> followUps.errbacks(msg));
        finished(req);
        if (phase.get() == Phase.RUNNING) {
            if (maxLeakedThreads > 0 && sinceRestart > maxLeakedThreads) {
                restartPool(sinceRestart + " thread(s) leaked at hard time limits since the last pool restart, more "
                        + "than worker_max_leaked_threads=" + maxLeakedThreads);
            } else {
                startPoolThread();
            }
        }
    }

    /**
     * A warm restart of the pool (Celery's {@code pool_restart}; here also when more than
     * {@code worker_max_leaked_threads} threads leaked at hard time limits since the last restart): a new generation
     * of {@code concurrency} pool threads takes the queue at once; threads of the old generation finish the task they
     * run (its result, acknowledgement and callbacks as usual, as on a warm shutdown) and then end, idle ones end at
     * once. Reserved, rate-limited and held requests stay and go to the new threads. Leaked threads cannot be killed
     * on the JVM: they were interrupted and keep being counted until they return. Does nothing unless running.
     * Thread-safe, does not block.
     *
     * @param reason logged at WARN
     */
    void restartPool(String reason) { // not synchronized: the timer thread calls it, and a warm stop() holds the lock
        if (phase.get() != Phase.RUNNING) {
            return;
        }
        int old;
        synchronized (idle) {
            old = threads.size();
            generation++;
            leakedSinceRestart.set(0);
            for (Map.Entry<Thread, Integer> e : idle.entrySet()) {
                if (e.getValue() != generation) {
                    e.getKey().interrupt(); // waiting in take(): ends without a task
                }
            }
        }
        poolRestarts.incrementAndGet();
        LOG.warn("{}: restarting the pool ({}): {} new thread(s); the {} old one(s) end once their running task "
                + "finished; {} leaked thread(s) still running", nodeName, reason, concurrency.get(), old,
                leakedThreads.get());
        for (int i = 0; i < concurrency.get(); i++) {
            startPoolThread();
        }
    }

    /** Pool restarts since start (by {@code worker_max_leaked_threads} or {@code pool_restart}). */
    long poolRestarts() {
        return poolRestarts.get();
    }

    /** {@code worker_max_leaked_threads}; 0 = never. */
    int maxLeakedThreads() {
        return maxLeakedThreads;
    }

    /** {@code worker_pool_restarts}: whether the {@code pool_restart} control command is allowed. */
    boolean poolRestartsEnabled() {
        return poolRestartsEnabled;
    }

    /** The pool threads of the current generation and older ones still finishing (not leaked ones). */
    List<Thread> poolThreads() {
        return List.copyOf(threads);
    }

    /** Threads abandoned at a hard time limit that are still running. */
    int leakedThreads() {
        return leakedThreads.get();
    }

    /** Threads abandoned at a hard time limit since start. */
    long leakedThreadsTotal() {
        return leakedThreadsTotal.get();
    }

    private void execute(Request req) {
        TaskMessage msg = req.msg();
        if (revoked.contains(msg.id()) || req.terminated) {
            discardRevoked(req, req.terminated ? "terminated" : "revoked");
            return;
        }
        TaskOptions opts = req.def().options();
        boolean acksLate = opts.acksLate() != null ? opts.acksLate() : globalAcksLate;
        req.timeStart = System.currentTimeMillis() / 1000d;
        totals.computeIfAbsent(msg.task(), k -> new AtomicLong()).incrementAndGet();
        if (!acksLate && req.markAcknowledged()) {
            settle(req.slot, req.delivery(), null);
        }
        ScheduledFuture<?> softTimer = null;
        ScheduledFuture<?> hardTimer = null;
        boolean settled = false; // storeFinal took over the acks_late acknowledgement
        try {
            if (msg.expires() != null && Instant.now().isAfter(msg.expires())) {
                LOG.info("Discarding revoked task: {}[{}] (expired)", msg.displayName(), msg.id());
                settled = true;
                storeFinal(req, acksLate, TaskState.REVOKED, new TaskMeta(msg.id(), TaskState.REVOKED, ExceptionInfo.revoked("expired").toMap(),
                        null, List.of(), Instant.now(), msg.group(), msg.parentId(), extended(req)),
                        ExceptionInfo.revoked("expired").toMap());
                return;
            }
            boolean ignoreResult = msg.ignoreResult()
                    || (opts.ignoreResult() != null ? opts.ignoreResult() : ignoreResultDefault);
            boolean trackStarted = opts.trackStarted() != null ? opts.trackStarted() : trackStartedDefault;
            if (trackStarted && !ignoreResult) {
                Map<String, Object> started = new LinkedHashMap<>();
                started.put("pid", ProcessHandle.current().pid());
                started.put("hostname", nodeName);
                resultStore.store(new TaskMeta(msg.id(), TaskState.STARTED, started, null, List.of(), null, msg.group(),
                        msg.parentId(), extended(req)), info(msg), null);
            }
            Double[] limits = effectiveTimeLimits(req);
            if (limits[0] != null) {
                double soft = limits[0];
                softTimer = scheduler.schedule(() -> softTimeout(req, soft), Math.round(soft * 1e6), TimeUnit.MICROSECONDS);
            }
            if (limits[1] != null) {
                double hard = limits[1];
                hardTimer = scheduler.schedule(() -> hardTimeout(req, hard), Math.round(hard * 1e6), TimeUnit.MICROSECONDS);
            }
            Outcome out = runner.run(req.def(), msg, nodeName, req.delivery().queue(), false,
                    (state, meta) -> resultStore.store(new TaskMeta(msg.id(), TaskState.of(state), meta, null, List.of(),
                            TaskState.of(state).isReady() ? Instant.now() : null, msg.group(), msg.parentId(), extended(req)),
                            info(msg), null),
                    () -> req.softTimedOut || req.terminated);
            // the body is done: an interrupt it left set (terminate, soft limit, cold shutdown -- each also flagged on
            // the request or the worker) must not abort the result store that follows
            Thread.interrupted();
            if (softTimer != null) {
                softTimer.cancel(false);
            }
            if (hardTimer != null) {
                hardTimer.cancel(false);
            }
            if (!req.outcome.compareAndSet(0, 1)) {
                return; // abandoned at its hard time limit: FAILURE is stored already
            }
            if (cold && acksLate && !out.succeeded() && out.retry() == null) {
                // Celery's WorkerLostError: the cold shutdown interrupted it
                settled = true;
                if (rejectOnWorkerLost) {
                    LOG.warn("Task {}[{}] was interrupted by the cold shutdown; its message goes back to the queue "
                            + "(task_reject_on_worker_lost)", msg.displayName(), msg.id());
                    if (req.markAcknowledged()) {
                        settle(req.slot, req.delivery(), true);
                    }
                } else {
                    Map<String, Object> lost = new ExceptionInfo("WorkerLostError",
                            List.of("Worker exited prematurely: cold shutdown."), "billiard.exceptions").toMap();
                    LOG.error("Task {}[{}] was interrupted by the cold shutdown: WorkerLostError (set "
                            + "task_reject_on_worker_lost to run it again instead)", msg.displayName(), msg.id());
                    storeFinal(req, true, TaskState.FAILURE, new TaskMeta(msg.id(), TaskState.FAILURE, lost, null,
                            List.of(), Instant.now(), msg.group(), msg.parentId(), extended(req)), lost);
                }
                return;
            }
            double secs = out.runtimeNanos() / 1e9;
            if (req.terminated) {
                LOG.info("Task {}[{}] terminated after {}s (revoked with terminate=True)", msg.displayName(), msg.id(),
                        String.format(Locale.ROOT, "%.6f", secs));
                settled = true;
                storeFinal(req, acksLate, TaskState.REVOKED, new TaskMeta(msg.id(), TaskState.REVOKED, ExceptionInfo.revoked("terminated").toMap(),
                        null, List.of(), Instant.now(), msg.group(), msg.parentId(), extended(req)),
                        ExceptionInfo.revoked("terminated").toMap());
            } else if (out.retry() != null) {
                settled = true;
                retry(req, out, acksLate);
            } else if (out.succeeded()) {
                List<Object> children = followUps.callbacks(msg, out.value());
                settled = true;
                // logged once stored and before the ack (Celery's trace: mark_as_done, then the "succeeded" line; the
                // ack comes after): a message acked is a task logged, even when the worker is killed right then
                storeFinal(req, acksLate, TaskState.SUCCESS, ignoreResult ? null : new TaskMeta(msg.id(), TaskState.SUCCESS, out.value(), null,
                        children, Instant.now(), msg.group(), msg.parentId(), extended(req)), out.value(), () -> {
                            if (LOG.isInfoEnabled()) {
                                LOG.info("Task {}[{}] succeeded in {}s: {}", msg.displayName(), msg.id(),
                                        String.format(Locale.ROOT, "%.6f", secs), PyRepr.repr(out.value(), 200));
                            }
                        });
            } else {
                LOG.error("Task {}[{}] raised unexpected: {}\n{}", msg.displayName(), msg.id(),
                        Exceptions.shortRepr(out.info()), out.traceback());
                boolean storeIt = !ignoreResult || app.settings().bool("task_store_errors_even_if_ignored", false);
                settled = true;
                storeFinal(req, acksLate, TaskState.FAILURE, !storeIt ? null : new TaskMeta(msg.id(), TaskState.FAILURE, out.info().toMap(),
                        out.traceback(), List.of(), Instant.now(), msg.group(), msg.parentId(), extended(req)),
                        out.info().toMap(), () -> followUps.errbacks(msg));
            }
        } finally {
            if (softTimer != null) {
                softTimer.cancel(false);
            }
            if (hardTimer != null) {
                hardTimer.cancel(false);
            }
            if (acksLate && !settled && req.outcome.get() != 2 && req.markAcknowledged()) {
                settle(req.slot, req.delivery(), null);
            }
        }
    }

    private void retry(Request req, Outcome out, boolean acksLate) {
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
            storeFinal(req, acksLate, TaskState.FAILURE, new TaskMeta(msg.id(), TaskState.FAILURE, out.info().toMap(), out.traceback(), List.of(),
                    Instant.now(), msg.group(), msg.parentId(), extended(req)), null);
            return;
        }
        storeFinal(req, acksLate, TaskState.RETRY, new TaskMeta(msg.id(), TaskState.RETRY, out.info().toMap(), out.traceback(), List.of(),
                null, msg.group(), msg.parentId(), extended(req)), null);
        LOG.info("Task {}[{}] retry: Retry in {}s: {}", msg.displayName(), msg.id(),
                org.celeriac.spi.serializer.PythonFloats.repr(countdown.toNanos() / 1e9), Exceptions.shortRepr(out.info()));
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

    /**
     * Stores a task's last state (through the result buffer), then joins its chord part (unless
     * {@code chordResult} is null: a RETRY) and, when {@code ack}, acknowledges its message -- acks_late messages are
     * acknowledged only once their result is stored, so a result the backend never got is redelivered.
     *
     * @param meta null when no result is stored (ignore_result)
     */
    private void storeFinal(Request req, boolean ack, TaskState state, TaskMeta meta, Object chordResult) {
        storeFinal(req, ack, state, meta, chordResult, null);
    }

    /**
     * Stores {@code meta} (none when null), then joins the chord, runs {@code beforeAck} (nullable: the errbacks of
     * a failure, the "succeeded" line of a success) and acks, in Celery's order ({@code celery/backends/base.py
     * Backend.mark_as_failure}: store_result, on_chord_part_return, _call_task_errbacks; the ack comes after): an
     * errback, or whoever it tells, reads the failure already stored.
     */
    private void storeFinal(Request req, boolean ack, TaskState state, TaskMeta meta, Object chordResult,
                            Runnable beforeAck) {
        TaskMessage msg = req.msg();
        ResultStore.AfterStore after = stored -> {
            if (chordResult != null) {
                followUps.chordPart(msg, state, chordResult);
            }
            if (beforeAck != null) {
                beforeAck.run();
            }
            if (ack && req.markAcknowledged()) {
                settle(req.slot, req.delivery(), null);
            }
        };
        if (meta == null) {
            after.done(true);
        } else {
            resultStore.store(meta, info(msg), after);
        }
    }

    /**
     * requeue null = ack; true/false = reject with/without requeue, through the slot's consumer (at once, or as
     * soon as its {@code consume} returned). Never throws.
     */
    private void settle(Slot slot, Delivery d, Boolean requeue) {
        slot.consumer.thenAccept(c -> {
            try {
                if (requeue == null) {
                    c.ack(d);
                } else {
                    c.reject(d, requeue);
                }
            } catch (RuntimeException e) {
                LOG.warn("Cannot {} delivery {} of queue {}: {}", requeue == null ? "ack" : "reject", d.deliveryTag(),
                        d.queue(), e.toString());
            }
        });
    }

    // ----------------------------------------------------------------------------- remote control (see WorkerPanel)

    Celeriac app() {
        return app;
    }

    Pool pool() {
        return pool;
    }

    /** The autoscaler, when {@code worker_autoscale} is set. */
    Optional<Autoscaler> autoscaler() {
        return Optional.ofNullable(autoscaler);
    }

    /** {@code worker_max_tasks_per_child}; 0 = none. */
    int maxTasksPerChild() {
        return maxTasksPerChild;
    }

    /** Re-reads the prefetch limit after the autoscaler's bounds changed. */
    void autoscaleChanged() {
        resetPrefetch();
    }

    LimitedSet revokedSet() {
        return revoked;
    }

    boolean taskEvents() {
        return taskEvents;
    }

    /** Sets the task-events flag (events themselves are a later issue); returns the previous value. */
    boolean setTaskEvents(boolean on) {
        boolean was = taskEvents;
        taskEvents = on;
        return was;
    }

    /** Seconds since {@link #start()}, 0 before. */
    long uptimeSeconds() {
        return startedNanos == 0 ? 0 : Math.round((System.nanoTime() - startedNanos) / 1e9);
    }

    /** Tasks started per task name since start (Celery's {@code total_count}). */
    Map<String, Long> totals() {
        Map<String, Long> out = new java.util.TreeMap<>();
        totals.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** The prefetch limit in force: concurrency x multiplier plus the held ETA messages; 0 = unlimited. */
    int prefetchCount() {
        return prefetch == 0 ? 0 : prefetch + etaHold.count();
    }

    /** Reserved and active requests by task id (Celery's {@code worker_state.requests}). */
    Map<String, Request> requestsById() {
        return requests;
    }

    /** Requests executing now, oldest start first. */
    List<Request> activeRequests() {
        return requests.values().stream().filter(r -> r.timeStart != null)
                .sorted(java.util.Comparator.comparingDouble(r -> r.timeStart)).toList();
    }

    /** Requests received and due, not started yet. */
    List<Request> reservedRequests() {
        return requests.values().stream().filter(r -> r.timeStart == null).toList();
    }

    /** Requests held until their ETA, earliest first. */
    List<Request> scheduledRequests() {
        return etaHold.scheduled();
    }

    /** The queues consumed, with their exchange, for {@code active_queues}. */
    List<QueueInfo> activeQueues() {
        List<QueueInfo> out = new ArrayList<>();
        for (String q : queues()) {
            out.add(queueInfo.getOrDefault(q, new QueueInfo(q, q, "direct", q)));
        }
        return out;
    }

    /**
     * Celery's {@code revoke}: adds the ids to the revoked set (applied to messages that arrive later), discards
     * matching held ETA requests and reserved ones at once (REVOKED, acked), and with {@code terminate}
     * interrupts matching running tasks (they end REVOKED with reason {@code terminated}).
     *
     * @return with terminate, the ids found among reserved and active requests; otherwise empty
     */
    List<String> revoke(Collection<String> ids, boolean terminate) {
        Set<String> wanted = new LinkedHashSet<>(ids);
        wanted.forEach(revoked::add);
        revokeStore.changed(scheduler);
        Set<String> found = new LinkedHashSet<>();
        for (Request r : etaHold.remove(r -> wanted.contains(r.msg.id()))) {
            discardRevoked(r, "revoked");
        }
        for (Request r : rateLimits.removeWaiting(r -> wanted.contains(r.msg.id()))) {
            discardRevoked(r, terminate ? "terminated" : "revoked");
            if (terminate) {
                found.add(r.msg.id());
            }
        }
        for (Request r : List.copyOf(ready)) {
            if (r != POISON && wanted.contains(r.msg.id()) && ready.remove(r)) {
                discardRevoked(r, terminate ? "terminated" : "revoked");
                if (terminate) {
                    found.add(r.msg.id());
                }
            }
        }
        if (terminate) {
            for (String id : wanted) {
                Request r = requests.get(id);
                if (r != null) {
                    found.add(id);
                    synchronized (r) {
                        r.terminated = true;
                        if (r.thread != null) {
                            LOG.info("Terminating {} (interrupting its thread)", id);
                            r.thread.interrupt();
                        }
                    }
                }
            }
        }
        return List.copyOf(found);
    }

    /** The rate limit in force for a task: the one set by remote control, else the task's own; nullable. */
    String rateLimit(TaskDefinition def) {
        return rateLimits.rateLimit(def);
    }

    /**
     * Sets a task's rate limit at run time (Celery's {@code rate_limit} control command; null or empty: disabled).
     * Requests waiting for a token go through the new limit at once.
     */
    void setRateLimit(String task, String limit) {
        rateLimits.set(task, limit, app.registry().get(task));
    }

    /** Requests held by rate limits now. */
    int rateLimitedCount() {
        return rateLimits.waitingCount();
    }

    /**
     * Sets a task's time limits at run time (seconds, nullable; Celery's {@code time_limit} control command); they
     * apply to executions that start afterwards, unless a message's {@code timelimit} header sets its own.
     */
    void setTimeLimits(String task, Double soft, Double hard) {
        List<Double> l = new ArrayList<>();
        l.add(soft);
        l.add(hard);
        timeLimits.put(task, java.util.Collections.unmodifiableList(l));
    }

    /** {@code [soft, hard]} set by remote control, or null. */
    List<Double> timeLimits(String task) {
        return timeLimits.get(task);
    }

    /**
     * Celery's {@code add_task_queue}: declares the queue (bound to {@code exchange} with {@code routingKey}) and
     * consumes it with its own consumer. Nothing happens when it is consumed already. Blocks until consuming.
     *
     * @throws IllegalStateException when the worker is not running
     */
    synchronized void addConsumer(String queue, String exchange, String exchangeType, String routingKey) {
        if (phase.get() != Phase.RUNNING) {
            throw new IllegalStateException("the worker is not running");
        }
        if (queues().contains(queue)) {
            LOG.info("{}: already consuming from {}", nodeName, queue);
            return;
        }
        String ex = exchange == null || exchange.isEmpty() ? queue : exchange;
        String rk = routingKey == null || routingKey.isEmpty() ? queue : routingKey;
        app.broker().declareQueue(new QueueSpec(queue, ex, rk, true, null, Map.of()));
        queueInfo.put(queue, new QueueInfo(queue, ex, exchangeType == null || exchangeType.isEmpty() ? "direct"
                : exchangeType, rk));
        openSlot(List.of(queue));
        LOG.info("{}: started consuming from {}", nodeName, queue);
    }

    /**
     * Celery's {@code cancel_task_queue}: stops taking messages from the queue. Its prefetched and held
     * requests are dropped (they go back to the broker when its consumer closes, which happens once the tasks it
     * is running finished); the other queues of the same consumer get a new one. Nothing happens when the queue
     * is not consumed.
     */
    synchronized void cancelConsumer(String queue) {
        Slot slot = slots.stream().filter(s -> !s.retiring && s.queues.contains(queue)).findFirst().orElse(null);
        if (slot == null || phase.get() != Phase.RUNNING) {
            return;
        }
        slot.retiring = true;
        List<String> rest = slot.queues.stream().filter(q -> !q.equals(queue)).toList();
        if (!rest.isEmpty()) {
            openSlot(rest);
        }
        queueInfo.remove(queue);
        for (Request r : List.copyOf(ready)) {
            if (r != POISON && r.slot == slot && ready.remove(r)) {
                forget(r);
            }
        }
        rateLimits.removeWaiting(r -> r.slot == slot).forEach(this::forget);
        etaHold.remove(r -> r.slot == slot);
        if (slot.running.get() == 0) {
            closeSlot(slot);
            slots.remove(slot);
            LOG.info("{}: no longer consuming from {}", nodeName, queue);
            return;
        }
        AtomicReference<ScheduledFuture<?>> check = new AtomicReference<>();
        check.set(scheduler.scheduleWithFixedDelay(() -> {
            if (slot.running.get() == 0) {
                closeSlot(slot);
                slots.remove(slot);
                ScheduledFuture<?> self = check.get();
                if (self != null) {
                    self.cancel(false);
                }
            }
        }, 20, 50, TimeUnit.MILLISECONDS));
        LOG.info("{}: no longer consuming from {}", nodeName, queue);
    }

    private void closeSlot(Slot s) {
        Consumer c = s.consumer.getNow(null);
        if (c != null) {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the consumer of {} failed: {}", s.queues, e.toString());
            }
        }
    }

    /** Adds {@code n} pool threads and raises the prefetch limit accordingly ({@code pool_grow}). */
    synchronized void grow(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("pool_grow needs n >= 1, got " + n);
        }
        for (int i = 0; i < n; i++) {
            concurrency.incrementAndGet();
            startPoolThread();
        }
        resetPrefetch();
    }

    /** Stops {@code n} pool threads once they are idle and lowers the prefetch limit ({@code pool_shrink}). */
    synchronized void shrink(int n) {
        int c = concurrency.get();
        if (n < 1 || c - n < 1) {
            throw new IllegalArgumentException("Can't shrink pool by " + n + ": it has " + c
                    + " thread(s) and keeps at least one");
        }
        concurrency.addAndGet(-n);
        for (int i = 0; i < n; i++) {
            ready.offerFirst(POISON);
        }
        resetPrefetch();
    }

    private void resetPrefetch() {
        if (multiplier > 0) {
            prefetch = (autoscaler != null ? autoscaler.max() : concurrency.get()) * multiplier;
            updatePrefetch();
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
        cold = true;
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
        ControlServer cs = control;
        control = null;
        if (cs != null) {
            cs.close();
        }
        etaHold.clear();
        List<Request> pending = new ArrayList<>();
        ready.drainTo(pending);
        pending.addAll(rateLimits.stop());
        pending.remove(POISON);
        pending.forEach(this::forget);
        if (!pending.isEmpty()) {
            LOG.info("Giving {} prefetched message(s) back to the broker", pending.size());
        }
        List<Thread> poolThreads = List.copyOf(threads);
        for (int i = 0; i < poolThreads.size(); i++) {
            ready.add(POISON);
        }
        for (Thread t : poolThreads) {
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
        revokeStore.save();
        List<String> unstored = resultStore.flush(resultFlushTimeout);
        if (!unstored.isEmpty()) {
            LOG.error("{}: {} task state(s) could not be stored: the result backend did not take them within {} s "
                    + "(worker_result_flush_timeout); task ids {}. Their acks_late messages stay unacknowledged and go "
                    + "back to the broker to run again; the results of the others are lost.", nodeName, unstored.size(),
                    resultFlushTimeout.toMillis() / 1000.0, unstored);
        }
        for (Slot s : slots) {
            closeSlot(s); // unsettled (prefetched, held, running acks_late after a cold stop) go back
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
