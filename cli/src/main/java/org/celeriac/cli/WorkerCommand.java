package org.celeriac.cli;

import ch.qos.logback.classic.Level;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.celeriac.api.CeleriacException;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.events.WorkerEvents;
import org.celeriac.core.internal.NodeNames;
import org.celeriac.core.worker.Worker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code celeriac worker}: consumes queues and runs tasks until SIGTERM/SIGINT (Celery's
 * {@code celery worker}). The first signal is a warm shutdown (running tasks finish, prefetched
 * messages go back, exit code 0), a second one a cold shutdown (running tasks are interrupted, exit 1).
 */
@Command(name = "worker", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Start a worker (Celery's 'celery worker'). It logs '<nodename> ready.' once consuming.",
                "SIGTERM or SIGINT (Ctrl-C): warm shutdown, running tasks finish; a second signal: cold shutdown."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:stopped by a warm shutdown",
                "1:stopped by a cold shutdown (second signal); with --detach: the background worker did not start",
                "2:usage error",
                "4:configuration or connection error, or no tasks to serve",
                "73:--pidfile names a process that is still running (Celery's EX_CANTCREAT)"})
final class WorkerCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.worker");
    /** A cold shutdown waits this long for running tasks to stop before the process exits anyway. */
    private static final Duration COLD_GRACE = Duration.ofSeconds(10);

    @Option(names = {"-A", "--app"}, paramLabel = "CLASS",
            description = "Serve only the tasks declared by this class (its @Task methods). "
                    + "Default: every task registered on the class path.")
    String appClass;

    @Option(names = {"-Q", "--queues"}, paramLabel = "QUEUE", split = ",",
            description = "Queues to consume, comma-separated. Default: celery (task_default_queue).")
    List<String> queues = new ArrayList<>();

    @Option(names = {"-c", "--concurrency"}, paramLabel = "N",
            description = "Tasks run at once. Default: worker_concurrency, else the number of cores.")
    int concurrency;

    @Option(names = {"-n", "--hostname"}, paramLabel = "NAME",
            description = "Node name, with Celery's %%h (host), %%n (name) and %%d (domain). Default: celery@%%h.")
    String nodeName;

    @Option(names = {"-l", "--loglevel"}, paramLabel = "LEVEL", defaultValue = "info",
            converter = Logging.LevelConverter.class,
            description = "debug, info, warning, error or critical. Default: ${DEFAULT-VALUE}.")
    Level logLevel;

    @Option(names = {"-P", "--pool"}, paramLabel = "POOL",
            description = "threads, virtual or solo; Celery's prefork (-> threads), eventlet and gevent "
                    + "(-> virtual) are accepted. Default: worker_pool, else threads.")
    String pool;

    @Option(names = "--prefetch-multiplier", paramLabel = "M",
            description = "Messages reserved per pool slot (prefetch = concurrency x M; 0 = unlimited). "
                    + "Default: worker_prefetch_multiplier, else 4.")
    Integer prefetchMultiplier;

    @Option(names = "--classpath", paramLabel = "JAR", arity = "1..*", split = ":",
            description = "Jars or class directories holding your tasks (repeatable, or separated by ':').")
    List<Path> classpath = new ArrayList<>();

    @Option(names = {"-E", "--events"},
            description = "Send task events (task-received, task-started, task-succeeded, ...) for monitors such as "
                    + "'celery events' and Flower (setting worker_send_task_events). Worker events are always sent.")
    boolean events;

    @Option(names = {"-B", "--beat"},
            description = "Also run beat (periodic tasks from beat_schedule) in this worker, as 'celery worker -B'. "
                    + "Safe with several workers: only the holder of beat's lease sends.")
    boolean beat;

    @Option(names = {"-s", "--schedule"}, paramLabel = "FILE",
            description = "With -B: beat's run-state file (default celerybeat-schedule).")
    Path scheduleFile;

    @Option(names = "--time-limit", paramLabel = "SECONDS",
            description = "Hard time limit of every task, in seconds (setting task_time_limit).")
    Double timeLimit;

    @Option(names = "--soft-time-limit", paramLabel = "SECONDS",
            description = "Soft time limit of every task, in seconds (setting task_soft_time_limit).")
    Double softTimeLimit;

    @Option(names = "--autoscale", paramLabel = "MAX,MIN",
            description = "Grow the pool up to MAX threads under load and shrink it to MIN when idle "
                    + "(setting worker_autoscale), e.g. 10,3.")
    String autoscale;

    @Option(names = "--without-gossip", description = "Do not subscribe to other workers' events (worker_without_gossip).")
    boolean withoutGossip;

    @Option(names = "--without-mingle",
            description = "Do not synchronize with other workers at start-up, e.g. revoked ids (worker_without_mingle).")
    boolean withoutMingle;

    @Option(names = "--without-heartbeat",
            description = "Send no worker-online, worker-heartbeat or worker-offline events (worker_without_heartbeat).")
    boolean withoutHeartbeat;

    @Option(names = {"-S", "--statedb"}, paramLabel = "FILE",
            description = "Keep the revoked task ids in FILE across restarts, as Celery's --statedb (setting "
                    + "worker_state_db; JSON, not Celery's shelve format; %%n, %%h, %%d, %%p, %%i are expanded).")
    String statedb;

    @Option(names = "--max-tasks-per-child", paramLabel = "N",
            description = "Celery replaces a pool process after N tasks (setting worker_max_tasks_per_child). Celeriac's "
                    + "pool is threads of one JVM, so this recycles a pool thread, not memory; the worker says at start "
                    + "what it does with it.")
    Integer maxTasksPerChild;

    @Option(names = "--max-memory-per-child", paramLabel = "KIB",
            description = "Celery replaces a pool process above this resident memory, in KiB (setting "
                    + "worker_max_memory_per_child). The JVM's threads share one heap (size it with -Xmx in "
                    + "CELERIAC_JAVA_OPTS); the worker says at start what it does with it.")
    Integer maxMemoryPerChild;

    @Option(names = {"-O"}, paramLabel = "PROFILE",
            description = "Celery's scheduling profile: 'fair' (or 'default'). Accepted for compatibility: Celeriac's "
                    + "pool threads take the next message from one shared buffer only when they are free, so a long "
                    + "task never holds up messages queued behind it: always what -O fair gives prefork.")
    String optimization;

    @Mixin
    DaemonOptions daemon;

    @Mixin
    ConnectionOptions connection;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Logging.setRootLevel(logLevel);
        checkDaemonFlags();
        try (DaemonOptions.Started started = daemon.start(spec, NodeNames.expand(nodeName), "%n.pid", System.err)) {
            if (started.exit()) {
                return started.exitCode();
            }
            return run();
        }
    }

    /**
     * Checks {@code --autoscale}, {@code --max-*-per-child} and {@code -O}.
     *
     * @throws IllegalArgumentException saying which value is wrong and what is expected
     */
    void checkDaemonFlags() {
        if (autoscale != null) {
            autoscale = normalizeAutoscale(autoscale);
        }
        if (maxTasksPerChild != null && maxTasksPerChild < 1) {
            throw new IllegalArgumentException("--max-tasks-per-child must be >= 1, got " + maxTasksPerChild);
        }
        if (maxMemoryPerChild != null && maxMemoryPerChild < 1) {
            throw new IllegalArgumentException("--max-memory-per-child must be a number of KiB >= 1, got "
                    + maxMemoryPerChild);
        }
        for (Double limit : new Double[] {timeLimit, softTimeLimit}) {
            if (limit != null && (limit.isNaN() || limit <= 0)) {
                throw new IllegalArgumentException("--time-limit/--soft-time-limit must be a number of seconds > 0, got "
                        + limit);
            }
        }
        if (optimization != null && !optimization.equals("fair") && !optimization.equals("default")) {
            throw new IllegalArgumentException("-O " + optimization + ": use fair or default");
        }
    }

    /**
     * Celery's {@code --autoscale MAX[,MIN]} ({@code celery/worker/autoscale.py}: MIN defaults to 0) as
     * {@code "MAX,MIN"}.
     *
     * @throws IllegalArgumentException unless 0 <= MIN <= MAX and MAX >= 1
     */
    static String normalizeAutoscale(String value) {
        String[] parts = value.split(",", -1);
        try {
            if (parts.length > 2) {
                throw new NumberFormatException();
            }
            int max = Integer.parseInt(parts[0].strip());
            int min = parts.length == 2 ? Integer.parseInt(parts[1].strip()) : 0;
            if (max < 1 || min < 0 || min > max) {
                throw new IllegalArgumentException("--autoscale " + value + ": need MAX >= 1 and 0 <= MIN <= MAX");
            }
            return max + "," + min;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--autoscale " + value + ": expected MAX,MIN (two whole numbers, e.g. 10,3)");
        }
    }

    /** The settings the daemon flags set (command-line flags win over the configuration). */
    void applyFlags(Celeriac.Builder builder) {
        if (events) {
            builder.set("worker_send_task_events", true);
        }
        if (timeLimit != null) {
            builder.set("task_time_limit", timeLimit);
        }
        if (softTimeLimit != null) {
            builder.set("task_soft_time_limit", softTimeLimit);
        }
        if (autoscale != null) {
            builder.set("worker_autoscale", autoscale);
        }
        if (withoutGossip) {
            builder.set("worker_without_gossip", true);
        }
        if (withoutMingle) {
            builder.set("worker_without_mingle", true);
        }
        if (withoutHeartbeat) {
            builder.set("worker_without_heartbeat", true);
        }
        if (statedb != null) {
            builder.set("worker_state_db", statedb);
        }
        if (maxTasksPerChild != null) {
            builder.set("worker_max_tasks_per_child", maxTasksPerChild);
        }
        if (maxMemoryPerChild != null) {
            builder.set("worker_max_memory_per_child", maxMemoryPerChild);
        }
    }

    private Integer run() throws Exception {
        Worker.Pool poolKind = pool == null ? null : Worker.Pool.parse(pool);
        if (concurrency < 0) {
            throw new IllegalArgumentException("-c/--concurrency must be >= 1, got " + concurrency);
        }
        if (prefetchMultiplier != null && prefetchMultiplier < 0) {
            throw new IllegalArgumentException("--prefetch-multiplier must be >= 0, got " + prefetchMultiplier);
        }
        ClassLoader loader = classLoader();
        Thread.currentThread().setContextClassLoader(loader);
        Class<?> app = null;
        if (appClass != null) {
            try {
                app = Class.forName(appClass, true, loader);
            } catch (ClassNotFoundException e) {
                throw new CeleriacException("-A " + appClass + ": no such class on the class path"
                        + (classpath.isEmpty() ? "; add the jar that holds it with --classpath JAR" : " " + classpath));
            }
        }
        TaskRegistry registry = TaskRegistry.load(loader, app);
        if (registry.size() == 0) {
            throw new CeleriacException("no tasks to serve: no @Task registrations on the class path. "
                    + "Add your jar with --classpath JAR, and compile it with the @Task annotation processor "
                    + "(javac -proc:full on JDK 23+)");
        }
        Celeriac.Builder builder = connection.builder(loader).registry(registry);
        applyFlags(builder);
        try (Celeriac celeriac = builder.build()) {
            Integer refused = rootGuard(celeriac, "root".equals(System.getProperty("user.name")),
                    System.getenv("C_FORCE_ROOT"));
            if (refused != null) {
                return refused;
            }
            Worker worker = new Worker(celeriac, new Worker.Options(nodeName, queues, concurrency, poolKind,
                    prefetchMultiplier));
            WorkerEvents.attach(celeriac, worker);
            logBanner(worker, registry);
            AtomicBoolean cold = new AtomicBoolean();
            installSignalHandlers(worker, cold);
            worker.start();
            org.celeriac.core.beat.Beat embeddedBeat = null;
            if (beat) {
                embeddedBeat = org.celeriac.core.beat.Beat.forApp(celeriac, scheduleFile);
                embeddedBeat.start();
            }
            Detacher.notifyReady(); // --detach: the parent returns now
            try {
                awaitStop(worker, cold);
            } finally {
                if (embeddedBeat != null) {
                    embeddedBeat.close();
                }
            }
            return cold.get() ? Main.TASK_FAILED : Main.OK;
        }
    }

    /**
     * Celery's root guard ({@code celery/platforms.py check_privileges}): running as root logs a warning, and with
     * an unsafe deserializer enabled (Kryo with {@code kryo_registration_required=false}, the JVM's pickle) the
     * worker refuses to start unless {@code C_FORCE_ROOT=1}.
     *
     * @return an exit code when the worker must not start, else null
     */
    static Integer rootGuard(Celeriac app, boolean root, String forceRoot) {
        if (!root) {
            return null;
        }
        LOG.warn("You're running the worker with superuser privileges: this is absolutely not recommended! "
                + "Run it as an unprivileged user (e.g. User= in the systemd unit)");
        boolean unsafe = !app.settings().bool("kryo_registration_required", true);
        if (unsafe && !"1".equals(forceRoot) && !"true".equalsIgnoreCase(forceRoot)) {
            System.err.println("celeriac worker: refusing to run as root with kryo_registration_required=false: a "
                    + "message could then make this process instantiate any class on its class path. Run as an "
                    + "unprivileged user, keep Kryo's class registration on, or set C_FORCE_ROOT=1 if you really must");
            return Main.CONFIG;
        }
        return null;
    }

    private static void awaitStop(Worker worker, AtomicBoolean cold) throws InterruptedException {
        while (!worker.awaitTermination(Duration.ofSeconds(1))) {
            if (cold.get() && !worker.awaitTermination(COLD_GRACE)) {
                LOG.error("{}: tasks still running {} s after a cold shutdown; exiting anyway",
                        worker.nodeName(), COLD_GRACE.toSeconds());
                break;
            }
        }
    }

    private void logBanner(Worker worker, TaskRegistry registry) {
        LOG.info("{} v{}: concurrency {} ({}), queues {}", worker.nodeName(),
                new Main.Version().getVersion()[0].replace("celeriac ", ""), worker.concurrency(),
                pool == null ? "threads" : pool, worker.queues());
        StringBuilder tasks = new StringBuilder("[tasks]");
        for (String n : registry.names()) {
            tasks.append("\n  . ").append(n);
        }
        LOG.info("{}", tasks);
    }

    private ClassLoader classLoader() throws MalformedURLException {
        ClassLoader parent = WorkerCommand.class.getClassLoader();
        if (classpath.isEmpty()) {
            return parent;
        }
        List<URL> urls = new ArrayList<>();
        for (Path p : classpath) {
            if (!Files.exists(p)) {
                throw new IllegalArgumentException("--classpath " + p + ": no such file or directory");
            }
            urls.add(p.toAbsolutePath().toUri().toURL());
        }
        return new URLClassLoader("celeriac-tasks", urls.toArray(URL[]::new), parent);
    }

    /**
     * Handles SIGTERM and SIGINT directly (not only through a shutdown hook, which would block a second
     * signal): first = warm shutdown, second = cold shutdown, third = halt.
     */
    private static void installSignalHandlers(Worker worker, AtomicBoolean cold) {
        AtomicInteger count = new AtomicInteger();
        Runnable onSignal = () -> {
            int n = count.incrementAndGet();
            if (n == 1) {
                LOG.info("{}: signal received: warm shutdown (running tasks finish; signal again for a cold shutdown)",
                        worker.nodeName());
                worker.shutdown();
            } else if (n == 2) {
                cold.set(true);
                worker.shutdownNow();
            } else {
                Runtime.getRuntime().halt(Main.TASK_FAILED);
            }
        };
        boolean termHandled = false;
        for (String name : List.of("TERM", "INT")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> onSignal.run());
                termHandled |= name.equals("TERM");
            } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
                // e.g. SIGINT ignored by the parent (a background job of a non-interactive shell), or -Xrs
                LOG.debug("not handling SIG{} directly: {}", name, e.toString());
            }
        }
        if (!termHandled) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                worker.shutdown();
                try {
                    worker.awaitTermination(Duration.ofSeconds(60));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "celeriac-shutdown-hook"));
        }
    }
}
