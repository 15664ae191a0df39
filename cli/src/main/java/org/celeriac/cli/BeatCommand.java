package org.celeriac.cli;

import ch.qos.logback.classic.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.celeriac.api.CeleriacException;
import org.celeriac.api.Durations;
import org.celeriac.core.Celeriac;
import org.celeriac.core.beat.Beat;
import org.celeriac.core.beat.BeatEntry;
import org.celeriac.core.registry.TaskRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code celeriac beat}: Celery's {@code celery beat}, sending the periodic tasks of {@code beat_schedule}.
 * Several may run: only the holder of the broker's (or result backend's) lease sends.
 */
@Command(name = "beat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Start the periodic task scheduler (Celery's 'celery beat'): sends the entries of "
                + "beat_schedule (or CELERYBEAT_SCHEDULE) when due.",
                "Run state is kept in --schedule, so a restart neither repeats nor skips a run. Several beats may "
                        + "run: only the holder of a lease in the broker or result backend sends.",
                "SIGTERM or SIGINT: saves the state, releases the lease and exits."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:stopped by a signal",
                "1:with --detach: the background beat did not start",
                "2:usage error",
                "4:configuration or connection error (e.g. a malformed beat_schedule entry)",
                "73:--pidfile names a process that is still running (Celery's EX_CANTCREAT)"})
final class BeatCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.beat");

    @Option(names = {"-A", "--app"}, paramLabel = "CLASS",
            description = "The application class (its @Task methods); beat sends by task name, so this is optional.")
    String appClass;

    @Option(names = {"-s", "--schedule"}, paramLabel = "FILE",
            description = "The run state file (JSON). Default: beat_schedule_filename, else celerybeat-schedule.")
    Path schedule;

    @Option(names = "--max-interval", paramLabel = "SECONDS",
            description = "Longest sleep between checks (beat_max_loop_interval). Default: 300 s.")
    String maxInterval;

    @Option(names = {"-l", "--loglevel"}, paramLabel = "LEVEL", defaultValue = "info",
            converter = Logging.LevelConverter.class,
            description = "debug, info, warning, error or critical. Default: ${DEFAULT-VALUE}.")
    Level logLevel;

    @Mixin
    ConnectionOptions connection;

    @Mixin
    DaemonOptions daemon;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The running beat, once started (tests stop it with {@link Beat#close()}). */
    volatile Beat running;

    @Override
    public Integer call() throws Exception {
        Logging.setRootLevel(logLevel);
        try (DaemonOptions.Started started = daemon.start(spec, null, "celerybeat.pid", System.err)) {
            if (started.exit()) {
                return started.exitCode();
            }
            return run();
        }
    }

    private Integer run() throws Exception {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = BeatCommand.class.getClassLoader();
        }
        Class<?> app = null;
        if (appClass != null) {
            try {
                app = Class.forName(appClass, true, loader);
            } catch (ClassNotFoundException e) {
                throw new CeleriacException("-A " + appClass + ": no such class on the class path");
            }
        }
        Celeriac.Builder builder = connection.builder(loader).registry(TaskRegistry.load(loader, app));
        if (maxInterval != null) {
            Duration d = Durations.parse("--max-interval", maxInterval);
            builder.set("beat_max_loop_interval", Durations.toSeconds(d));
        }
        try (Celeriac celeriac = builder.build()) {
            Beat beat;
            try {
                beat = Beat.forApp(celeriac, schedule);
            } catch (IllegalArgumentException e) {
                throw new CeleriacException("beat_schedule: " + e.getMessage(), e);
            }
            if (beat.entries().isEmpty()) {
                LOG.warn("beat: beat_schedule is empty; nothing will be sent (add entries to your config file)");
            }
            StringBuilder banner = new StringBuilder("beat v")
                    .append(new Main.Version().getVersion()[0].replace("celeriac ", ""))
                    .append(" is starting. schedule file ").append(schedule != null ? schedule
                            : celeriac.settings().string("beat_schedule_filename", "celerybeat-schedule"));
            for (BeatEntry e : beat.entries()) {
                banner.append("\n  . ").append(e.name()).append(": ").append(e.task()).append(' ').append(e.schedule());
            }
            LOG.info("{}", banner);
            // SIGTERM/SIGINT close beat (state saved, lease released) and the command returns: exit code 0, as
            // Celery's beat (its _sync handler raises SystemExit). The JVM's own handling would exit 143 and race
            // the database's shutdown hook. A shutdown hook covers the other ways out.
            Thread hook = new Thread(beat::close, "celeriac-beat-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            java.util.Map<sun.misc.Signal, sun.misc.SignalHandler> previous = new java.util.HashMap<>();
            for (String name : java.util.List.of("TERM", "INT")) {
                try {
                    sun.misc.Signal sig = new sun.misc.Signal(name);
                    previous.put(sig, sun.misc.Signal.handle(sig, s -> {
                        LOG.info("beat: SIG{} received: shutting down", name);
                        beat.close();
                    }));
                } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
                    LOG.debug("not handling SIG{} directly: {}", name, e.toString());
                }
            }
            try {
                beat.start();
                running = beat;
                Detacher.notifyReady();
                beat.join();
                beat.close(); // waits for a close() a signal started, before the connections close
                return Main.OK;
            } finally {
                previous.forEach(sun.misc.Signal::handle);
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs anyway
                }
            }
        }
    }
}
