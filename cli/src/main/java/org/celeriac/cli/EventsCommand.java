package org.celeriac.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import org.celeriac.core.control.LamportClock;
import org.celeriac.core.events.EventDumper;
import org.celeriac.core.events.EventReceiver;
import org.celeriac.core.events.EventState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code celeriac events}: follows the events of the event exchange ({@code celeryev}), Java and Python workers
 * alike. With {@code --dump}, one line per event as Celery's {@code celery events --dump}
 * ({@code celery/events/dumper.py}); without, a view of the workers and the latest tasks redrawn every
 * {@code --frequency} seconds (a plain-text stand-in for Celery's curses monitor). Like Celery's receiver it sends
 * the {@code heartbeat} control command first, so that workers announce themselves at once.
 */
@Command(name = "events", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Follow the events of workers and tasks (Celery's 'celery events').",
                "Workers send worker events always and task events when started with -E (or after "
                        + "'celeriac control enable_events')."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:stopped (Ctrl-C, --limit or --timeout reached)",
                "2:usage error",
                "4:configuration or connection error (e.g. a transport without broadcast)"})
final class EventsCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.events");
    private static final int SHOWN_TASKS = 20;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    @Option(names = {"-d", "--dump"}, description = "Print each event as a line on stdout, as 'celery events --dump'.")
    boolean dump;

    @Option(names = {"-F", "--frequency", "--freq"}, paramLabel = "SECONDS", defaultValue = "1.0",
            description = "Without --dump: redraw the view every SECONDS. Default: ${DEFAULT-VALUE}.")
    double frequency;

    @Option(names = "--limit", paramLabel = "N", description = "Stop after N events (default: run until interrupted).")
    long limit;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Stop after this many seconds (default: run until interrupted).")
    Double timeout;

    @Option(names = "--no-wakeup", description = "Do not send the 'heartbeat' control command at start.")
    boolean noWakeup;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be >= 0, got " + limit);
        }
        if (timeout != null && !(timeout > 0)) {
            throw new IllegalArgumentException("--timeout must be > 0 seconds, got " + timeout);
        }
        if (!(frequency > 0)) {
            throw new IllegalArgumentException("--frequency must be > 0 seconds, got " + frequency);
        }
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        PrintStream out = System.out;
        EventDumper dumper = new EventDumper();
        EventState state = new EventState(10_000);
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong seen = new AtomicLong();
        long deadline = timeout == null ? 0 : System.nanoTime() + Math.round(timeout * 1e9);
        try (Celeriac app = connection.builder(loader).build()) {
            try (EventReceiver receiver = EventReceiver.of(app, new LamportClock(), event -> {
                synchronized (dumper) {
                    if (done.getCount() == 0) {
                        return;
                    }
                    if (dump) {
                        out.println(dumper.format(event));
                        out.flush();
                    } else {
                        state.event(event);
                    }
                    if (limit > 0 && seen.incrementAndGet() >= limit) {
                        done.countDown();
                    }
                }
            })) {
                // after subscribing: events from now on are seen
                System.err.println(dump ? "-> evdump: starting capture..." : "-> celeriac events: starting capture...");
                System.err.flush();
                if (!noWakeup) {
                    wakeup(app);
                }
                long step = Math.max(1, Math.round(frequency * 1000));
                boolean tty = System.console() != null;
                while (true) {
                    long left = timeout == null ? Long.MAX_VALUE : (deadline - System.nanoTime()) / 1_000_000;
                    boolean stopped = dump ? done.await(Math.max(0, Math.min(left, 1000)), TimeUnit.MILLISECONDS)
                            : done.await(Math.max(0, Math.min(left, step)), TimeUnit.MILLISECONDS);
                    boolean last = stopped || timeout != null && System.nanoTime() - deadline >= 0;
                    if (!dump) {
                        synchronized (dumper) {
                            out.print((tty ? "\033[H\033[2J" : "") + render(state, Instant.now()));
                            out.flush();
                        }
                    }
                    if (last) {
                        break;
                    }
                }
            }
        }
        return Main.OK;
    }

    /** Celery's {@code EventReceiver.wakeup_workers}: a {@code heartbeat} broadcast; failures only logged. */
    private static void wakeup(Celeriac app) {
        try (ControlClient c = new ControlClient(app)) {
            c.cast("heartbeat", Map.of(), ControlOptions.defaults());
        } catch (RuntimeException e) {
            LOG.warn("cannot wake the workers up (heartbeat command): {}", e.toString());
        }
    }

    /** One frame of the view: the workers, then the latest tasks (newest last). */
    static String render(EventState state, Instant now) {
        double t = now.getEpochSecond() + now.getNano() / 1e9;
        List<EventState.WorkerInfo> workers = state.workers();
        long online = workers.stream().filter(w -> w.alive(t)).count();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "celeriac events -- %s -- %d worker(s), %d online%n%n", CLOCK.format(now),
                workers.size(), online));
        sb.append(String.format(Locale.ROOT, "%-36s %-8s %6s %10s  %-18s %s%n", "WORKER", "STATUS", "ACTIVE",
                "PROCESSED", "LOAD", "SOFTWARE"));
        for (EventState.WorkerInfo w : workers) {
            String load = w.loadavg().stream().map(d -> String.format(Locale.ROOT, "%.2f", d))
                    .reduce((a, b) -> a + " " + b).orElse("-");
            sb.append(String.format(Locale.ROOT, "%-36s %-8s %6d %10d  %-18s %s%n", w.hostname(),
                    w.alive(t) ? "ONLINE" : "OFFLINE", w.active(), w.processed(), load, w.software()));
        }
        List<EventState.TaskInfo> tasks = state.tasks(SHOWN_TASKS);
        sb.append(String.format(Locale.ROOT, "%n%-36s %-24s %-8s %-24s %8s  %s%n", "UUID", "NAME", "STATE", "WORKER",
                "RUNTIME", "RESULT / EXCEPTION"));
        for (EventState.TaskInfo k : tasks) {
            String outcome = k.exception() != null ? k.exception() : k.result() != null ? k.result()
                    : k.args() != null ? "args=" + k.args() + " kwargs=" + k.kwargs() : "";
            sb.append(String.format(Locale.ROOT, "%-36s %-24s %-8s %-24s %8s  %s%n", k.uuid(),
                    k.name() == null ? "?" : k.name(), k.state(), k.hostname() == null ? "?" : k.hostname(),
                    k.runtime() == null ? "" : String.format(Locale.ROOT, "%.3fs", k.runtime()),
                    outcome.length() > 60 ? outcome.substring(0, 57) + "..." : outcome));
        }
        return sb.toString();
    }
}
