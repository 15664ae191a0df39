package org.celeriac.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * {@code --detach} on the JVM, which cannot fork: the same command is started again as a new session leader
 * ({@code setsid}, when installed), stdin from {@code /dev/null}, stdout and stderr appended to the log file
 * (else {@code /dev/null}), and the caller waits until that process wrote its pid file (Celery's
 * {@code celery/platforms.py detached}). Used by {@code worker --detach}, {@code beat --detach} and
 * {@code multi start}. Stateless; blocks while waiting.
 */
final class Detacher {
    /** How long a detached process may take to write its pid file (a JVM start, the class path scan). */
    static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /**
     * How long the caller then waits for the process to say it is ready (consuming, or beat scheduling) before it
     * returns anyway: a worker whose broker is not up yet keeps retrying in the background, and systemd's start
     * timeout (90 s by default) covers every node of a {@code multi start}.
     */
    static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    /** The environment variable naming the file a detached process writes once it is ready. */
    static final String READY_FILE_ENV = "CELERIAC_DETACH_READY_FILE";

    private Detacher() {
    }

    /**
     * Set by the {@code ./celeriac} launcher for {@code multi} when the user gave no {@code CELERIAC_JAVA_OPTS}: the
     * JVM options, one a line, the launcher gives a {@code worker} (its defaults, see the launcher's header), which
     * the workers {@code multi} starts get instead of the {@code multi} JVM's own.
     */
    static final String WORKER_JAVA_OPTS_ENV = "CELERIAC_LAUNCHER_WORKER_JAVA_OPTS";

    /** {@code java <this JVM's options> -cp <class path> org.celeriac.cli.Main}: this program again. */
    static List<String> javaCommand() {
        return javaCommand(null);
    }

    /**
     * {@code java <options> -cp <class path> org.celeriac.cli.Main}: this program again, with {@code workerOptions}
     * (one a line; see {@link #WORKER_JAVA_OPTS_ENV}) when not null, else with this JVM's options.
     */
    static List<String> javaCommand(String workerOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> options = workerOptions != null
                ? workerOptions.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()
                : ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String a : options) {
            // a debugger port cannot be opened twice; the launcher's options (e.g. -Xmx) are kept
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        return cmd;
    }

    /** The arguments without {@code --detach}/{@code -D} (the child must not detach again). */
    static List<String> withoutDetach(List<String> args) {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            if (!a.equals("--detach") && !a.equals("-D")) {
                out.add(a);
            }
        }
        return out;
    }

    /**
     * Starts {@code celeriacArgs} (e.g. {@code worker -n w1@%h …}, without {@code --detach}) in the background
     * and waits until it wrote {@code pidfile} with its own pid, then until it is ready (it writes the file named by
     * {@link #READY_FILE_ENV}; see {@link #notifyReady()}) or has exited, for at most {@link #READY_TIMEOUT}.
     *
     * @param celeriacArgs the subcommand and its options
     * @param pidfile the expanded pid file the child writes (it must be one of its options)
     * @param logfile the expanded log file its stdout/stderr go to, or null for {@code /dev/null}
     * @param err where a failure is explained (the tail of the log file)
     * @return the child's pid, or -1 when it exited before it was ready (or did not write its pid file in time;
     *     then it is killed) after the reason was printed on {@code err}
     */
    static long spawn(List<String> celeriacArgs, Path pidfile, Path logfile, PrintStream err)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            cmd.add(setsid.toString());
        }
        boolean worker = !celeriacArgs.isEmpty() && celeriacArgs.get(0).equals("worker");
        cmd.addAll(javaCommand(worker ? System.getenv(WORKER_JAVA_OPTS_ENV) : null));
        cmd.addAll(celeriacArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (logfile != null) {
            Path abs = logfile.toAbsolutePath();
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(abs.toFile()));
        } else {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        Path ready = Files.createTempFile("celeriac-ready-", ".pid");
        Files.delete(ready);
        pb.environment().put(READY_FILE_ENV, ready.toString());
        Process p = pb.start();
        try {
            long pid = awaitPidfile(p, pidfile, logfile, err);
            if (pid < 0) {
                return -1;
            }
            long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                if (Files.exists(ready)) {
                    return pid;
                }
                if (!p.isAlive() && !Pidfile.alive(pid)) {
                    err.println("* Child terminated with exit code " + p.exitValue() + tail(logfile));
                    return -1;
                }
                p.waitFor(100, TimeUnit.MILLISECONDS);
            }
            err.println("* Child " + pid + " started but is not ready after " + READY_TIMEOUT.toSeconds()
                    + " s (still connecting?); it goes on in the background" + (logfile == null ? "" : ": see " + logfile));
            return pid;
        } finally {
            Files.deleteIfExists(ready);
        }
    }

    private static long awaitPidfile(Process p, Path pidfile, Path logfile, PrintStream err) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            OptionalLong written;
            try {
                written = Pidfile.readPid(pidfile);
            } catch (IllegalStateException partial) {
                written = OptionalLong.empty(); // being written
            }
            long w = written.orElse(-1);
            if (w > 0 && (w == p.pid() || p.descendants().anyMatch(d -> d.pid() == w))) {
                return w;
            }
            if (!p.isAlive()) {
                err.println("* Child terminated with exit code " + p.exitValue() + tail(logfile));
                return -1;
            }
            p.waitFor(100, TimeUnit.MILLISECONDS);
        }
        p.destroyForcibly();
        err.println("* Child did not write its pid file " + pidfile + " within " + START_TIMEOUT.toSeconds()
                + " s; killed it" + tail(logfile));
        return -1;
    }

    /**
     * Called by a detached process once it is ready (the worker consumes, beat schedules): writes the file its
     * parent waits for. Does nothing when this process was not started by {@link #spawn}. Never fails.
     */
    static void notifyReady() {
        String file = System.getenv(READY_FILE_ENV);
        if (file == null || file.isBlank()) {
            return;
        }
        try {
            Files.writeString(Path.of(file), ProcessHandle.current().pid() + "\n");
        } catch (IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger("celeriac.detach").debug("cannot tell the parent we are ready: {}",
                    e.toString());
        }
    }

    private static String tail(Path logfile) {
        if (logfile == null || !Files.isReadable(logfile)) {
            return "";
        }
        try {
            List<String> lines = Files.readAllLines(logfile, StandardCharsets.UTF_8);
            return "; the end of " + logfile + ":\n    "
                    + String.join("\n    ", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "";
        }
    }
}
