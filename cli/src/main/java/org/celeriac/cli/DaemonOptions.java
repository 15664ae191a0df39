package org.celeriac.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The daemonizing options of {@code worker} and {@code beat} (Celery's "Daemonization Options"):
 * {@code -f/--logfile}, {@code --pidfile} and {@code -D/--detach}, with Celery's {@code %n}/{@code %h}/{@code %i}
 * … expansion ({@link NodeFormat#worker}). Not thread-safe; used once at start-up.
 */
final class DaemonOptions {

    @Option(names = {"-f", "--logfile"}, paramLabel = "FILE",
            description = "Log to this file instead of stderr (appended; SIGHUP reopens it, for logrotate). "
                    + "%%n (node short name), %%h (host), %%d (domain), %%p (node name), %%i/%%I (process index: "
                    + "0/empty) are expanded as Celery does.")
    String logfile;

    @Option(names = "--pidfile", paramLabel = "FILE",
            description = "Write this process's pid here (same %%-expansion). A second start while that process "
                    + "runs is refused (exit 73); a stale file is replaced; the file is removed on exit.")
    String pidfile;

    @Option(names = {"-D", "--detach"},
            description = "Run in the background: the JVM cannot fork, so the same command is started again as a "
                    + "new session (setsid), stdin/stdout/stderr detached (output to --logfile), and this process "
                    + "exits 0 once that one wrote its --pidfile (default: %%n.pid for a worker, celerybeat.pid for beat, "
                    + "in the current directory) and is ready (consuming; at most 30 s, then it goes on in the "
                    + "background), or exits 1 with the end of its log when it stopped.")
    boolean detach;

    /** What {@link #start} decided. */
    record Started(Integer exitCode, Pidfile pidfile, LogFile logFile) implements AutoCloseable {
        /** True when the command must return {@link #exitCode()} at once (a detaching parent, or a refusal). */
        boolean exit() {
            return exitCode != null;
        }

        @Override
        public void close() {
            if (pidfile != null) {
                pidfile.close();
            }
        }
    }

    /**
     * Detaches (this process then only waits for the child's pid file), or takes the pid file and opens the log
     * file. Call first thing in a command, before connecting.
     *
     * @param spec the running command (its original arguments are re-run when detaching)
     * @param nodeName the node name the {@code %} abbreviations refer to (null: {@code celery@<host>})
     * @param defaultPidfile the pid file a detached process writes when {@code --pidfile} is not given
     * @param err where refusals go (Celery prints them on stderr)
     * @throws IllegalArgumentException for an unknown {@code %} abbreviation
     * @throws org.celeriac.api.CeleriacException when the pid or log file cannot be written
     */
    Started start(CommandSpec spec, String nodeName, String defaultPidfile, PrintStream err) throws IOException, InterruptedException {
        String pid = NodeFormat.worker(pidfile, nodeName);
        String log = NodeFormat.worker(logfile, nodeName);
        if (detach) {
            List<String> original = spec.root().commandLine().getParseResult().originalArgs();
            List<String> args = Detacher.withoutDetach(original);
            if (pid == null) {
                pid = NodeFormat.worker(defaultPidfile, nodeName);
                args.add("--pidfile=" + pid);
            }
            if (log == null) {
                err.println("celeriac " + spec.name() + ": --detach without --logfile: the log goes to /dev/null");
            }
            long child = Detacher.spawn(args, Path.of(pid), log == null ? null : Path.of(log), err);
            return new Started(child < 0 ? Main.TASK_FAILED : Main.OK, null, null);
        }
        Pidfile lock = null;
        if (pid != null) {
            try {
                lock = Pidfile.acquire(Path.of(pid), err);
            } catch (Pidfile.LockedException e) {
                err.println(e.getMessage());
                err.flush();
                return new Started(Pidfile.EX_CANTCREAT, null, null);
            }
        }
        LogFile lf = log == null ? null : LogFile.open(Path.of(log));
        return new Started(null, lock, lf);
    }
}
