package org.celeriac.core.events;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.celeriac.api.TaskListener;
import org.celeriac.api.TaskState;
import org.celeriac.api.WorkerListener;
import org.celeriac.core.Celeriac;
import org.celeriac.core.internal.Exceptions;
import org.celeriac.core.protocol.PyRepr;
import org.celeriac.core.worker.Worker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a {@link Worker} send Celery's events: {@code worker-online} when it is ready, {@code worker-heartbeat}
 * every {@code freq} seconds (2 by default) and when a monitor sends the {@code heartbeat} control command, and
 * {@code worker-offline} when it shuts down ({@code celery/worker/heartbeat.py Heart}) -- always, as Celery does
 * without {@code -E}; and, while task events are enabled ({@code worker_send_task_events}, {@code -E},
 * {@code enable_events}), {@code task-received}, {@code task-started}, {@code task-succeeded},
 * {@code task-failed} and {@code task-retried}, buffered into {@code task.multi} messages.
 *
 * <p>Built on the app's {@link TaskListener}/{@link WorkerListener} hooks, so: call {@link #attach} before
 * {@link Worker#start()}; one worker per app (the task listener cannot tell two workers of one app apart);
 * {@code task-received} is sent just before {@code task-started} (there is no hook at reception yet) and lacks
 * {@code root_id}, {@code parent_id}, {@code retries}, {@code eta} and {@code expires} (sent as null);
 * {@code task-revoked} is sent for what a {@code revoke} command discards at once (reserved, held and, with
 * terminate, running requests), not yet for a revoked message that arrives later. Nothing is sent when the
 * transport has no broadcast.
 *
 * <p>Thread-safe.
 */
public final class WorkerEvents implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerEvents.class);
    /** Celery's default heartbeat interval. */
    public static final Duration DEFAULT_FREQ = Duration.ofSeconds(2);
    private static final Map<Worker, WorkerEvents> BY_WORKER = Collections.synchronizedMap(new WeakHashMap<>());

    private final Celeriac app;
    private final Worker worker;
    private final Duration freq;
    private final EventDispatcher dispatcher;
    private final AtomicInteger active = new AtomicInteger();
    private final Map<String, Long> started = new ConcurrentHashMap<>();
    private final TaskListener taskListener = new Tasks();
    private final WorkerListener workerListener = new Lifecycle();
    private final ScheduledExecutorService timer;
    private volatile boolean taskEvents;
    private volatile ScheduledFuture<?> heart;
    private volatile boolean closed;

    private WorkerEvents(Celeriac app, Worker worker, Duration freq) {
        this.app = app;
        this.worker = worker;
        this.freq = freq;
        this.taskEvents = app.settings().bool("worker_send_task_events", false);
        this.dispatcher = EventDispatcher.of(app, worker.nodeName(), worker.clock());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "celeriac-heartbeat");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Hooks events onto a worker that has not started yet, with the default 2 s heartbeat.
     *
     * @return the worker's events, or empty when the transport has no broadcast (logged at INFO)
     */
    public static Optional<WorkerEvents> attach(Celeriac app, Worker worker) {
        return attach(app, worker, DEFAULT_FREQ);
    }

    /**
     * Hooks events onto a worker that has not started yet.
     *
     * @param freq the heartbeat interval ({@code freq} in the events)
     * @return the worker's events, or empty when the transport has no broadcast (logged at INFO)
     * @throws IllegalArgumentException when {@code freq} is not positive
     */
    public static Optional<WorkerEvents> attach(Celeriac app, Worker worker, Duration freq) {
        if (freq.isZero() || freq.isNegative()) {
            throw new IllegalArgumentException("the heartbeat interval must be positive, got " + freq);
        }
        if (!app.broker().capabilities().broadcast()) {
            LOG.info("{}: the transport {} has no broadcast, so this worker sends no events", worker.nodeName(),
                    app.broker().getClass().getSimpleName());
            return Optional.empty();
        }
        WorkerEvents e = new WorkerEvents(app, worker, freq);
        BY_WORKER.put(worker, e);
        app.taskListeners().add(e.taskListener);
        app.workerListeners().add(e.workerListener);
        return Optional.of(e);
    }

    /** The events attached to a worker, if any (for its remote-control commands). */
    public static Optional<WorkerEvents> of(Worker worker) {
        return Optional.ofNullable(BY_WORKER.get(worker));
    }

    /** Whether task events are sent. */
    public boolean taskEvents() {
        return taskEvents;
    }

    /** Turns task events on or off ({@code enable_events}/{@code disable_events}); returns the previous value. */
    public boolean setTaskEvents(boolean on) {
        boolean was = taskEvents;
        taskEvents = on;
        return was;
    }

    /** Sends a {@code worker-heartbeat} now (the {@code heartbeat} control command). */
    public void sendHeartbeat() {
        if (!closed) {
            dispatcher.send("worker-heartbeat", heartbeatFields());
        }
    }

    /**
     * Sends {@code task-revoked} ({@code Request._announce_revoked}) when task events are on.
     *
     * @param terminated whether a running task was terminated
     * @param signum the signal number Celery would have sent (15 for SIGTERM), or null
     * @param expired whether it was discarded because it expired
     */
    public void taskRevoked(String taskId, boolean terminated, Integer signum, boolean expired) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("uuid", taskId);
        f.put("terminated", terminated);
        f.put("signum", signum);
        f.put("expired", expired);
        task("task-revoked", f);
    }

    /** The number of tasks running now. */
    public int active() {
        return active.get();
    }

    private Map<String, Object> heartbeatFields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("freq", freq.toMillis() / 1000.0);
        f.put("active", active.get());
        f.put("processed", worker.processed());
        f.put("loadavg", loadavg());
        f.put("sw_ident", "celeriac");
        f.put("sw_ver", version());
        f.put("sw_sys", System.getProperty("os.name"));
        return f;
    }

    private static String version() {
        String v = WorkerEvents.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0";
    }

    /** Celery's {@code load_average()}: the 1, 5 and 15 minute load, rounded up to 2 decimals. */
    static List<Double> loadavg() {
        List<Double> out = new ArrayList<>();
        try {
            Path p = Path.of("/proc/loadavg");
            if (Files.isReadable(p)) {
                String[] parts = Files.readString(p).trim().split("\\s+");
                for (int i = 0; i < 3; i++) {
                    out.add(Math.ceil(Double.parseDouble(parts[i]) * 100) / 100);
                }
                return out;
            }
        } catch (IOException | RuntimeException e) {
            out.clear();
        }
        double one = Math.max(0, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        double r = Math.ceil(one * 100) / 100;
        return List.of(r, r, r);
    }

    private void online() {
        if (app.settings().bool("worker_without_heartbeat", false)) {
            // celery worker --without-heartbeat: no Heart step, so no worker-online/-heartbeat/-offline;
            // task events still flow. heart stays null, so close() sends no worker-offline either.
            LOG.debug("worker_without_heartbeat: no worker-online, worker-heartbeat or worker-offline events");
            return;
        }
        dispatcher.send("worker-online", heartbeatFields());
        long ms = freq.toMillis();
        heart = timer.scheduleAtFixedRate(this::sendHeartbeat, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Stops the heartbeat, flushes task events, sends {@code worker-offline} and unhooks from the app. Called at
     * worker shutdown; idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        ScheduledFuture<?> h = heart;
        if (h != null) {
            h.cancel(false);
        }
        timer.shutdownNow();
        dispatcher.flush();
        closed = true;
        if (h != null) {
            try {
                dispatcher.send("worker-offline", heartbeatFields()).get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debug("worker-offline not confirmed: {}", e.toString());
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        dispatcher.close();
        app.taskListeners().remove(taskListener);
        app.workerListeners().remove(workerListener);
        BY_WORKER.remove(worker);
    }

    /** Whether task events go out now ({@code -E}, {@code enable_events}); the listener builds none otherwise. */
    private boolean sendingTaskEvents() {
        return taskEvents && !closed;
    }

    private void task(String type, Map<String, Object> fields) {
        if (sendingTaskEvents()) {
            dispatcher.sendBuffered(type, fields);
        }
    }

    private double runtime(String id) {
        Long t0 = started.get(id);
        return t0 == null ? 0.0 : (System.nanoTime() - t0) / 1e9;
    }

    private final class Lifecycle implements WorkerListener {
        @Override
        public void workerReady(String nodeName) {
            if (nodeName.equals(worker.nodeName()) && !closed) {
                online();
            }
        }

        @Override
        public void workerShutdown(String nodeName) {
            if (nodeName.equals(worker.nodeName())) {
                close();
            }
        }
    }

    private final class Tasks implements TaskListener {
        @Override
        public void taskPrerun(String taskId, String taskName, List<Object> args, Map<String, Object> kwargs) {
            active.incrementAndGet();
            started.put(taskId, System.nanoTime());
            if (!sendingTaskEvents()) {
                return; // nothing built: the reprs of args and results cost every task its microseconds
            }
            Map<String, Object> received = new LinkedHashMap<>();
            received.put("uuid", taskId);
            received.put("name", taskName);
            received.put("args", PyRepr.argsRepr(args, PyRepr.MAX_LENGTH));
            received.put("kwargs", PyRepr.repr(kwargs, PyRepr.MAX_LENGTH));
            received.put("root_id", null);
            received.put("parent_id", null);
            received.put("retries", null);
            received.put("eta", null);
            received.put("expires", null);
            task("task-received", received);
            task("task-started", uuid(taskId));
        }

        @Override
        public void taskSuccess(String taskId, String taskName, Object result) {
            if (!sendingTaskEvents()) {
                return;
            }
            Map<String, Object> f = uuid(taskId);
            f.put("result", PyRepr.repr(result, PyRepr.MAX_LENGTH));
            f.put("runtime", runtime(taskId));
            task("task-succeeded", f);
        }

        @Override
        public void taskFailure(String taskId, String taskName, Throwable exception, String traceback) {
            if (!sendingTaskEvents()) {
                return;
            }
            Map<String, Object> f = uuid(taskId);
            f.put("exception", Exceptions.shortRepr(Exceptions.info(exception)));
            f.put("traceback", traceback);
            task("task-failed", f);
        }

        @Override
        public void taskRetry(String taskId, String taskName, Throwable reason) {
            if (!sendingTaskEvents()) {
                return;
            }
            Map<String, Object> f = uuid(taskId);
            f.put("exception", Exceptions.shortRepr(Exceptions.info(reason)));
            f.put("traceback", Exceptions.traceback(reason));
            task("task-retried", f);
        }

        @Override
        public void taskPostrun(String taskId, String taskName, Object returnValue, TaskState state) {
            active.decrementAndGet();
            started.remove(taskId);
        }

        private Map<String, Object> uuid(String taskId) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("uuid", taskId);
            return f;
        }
    }
}
