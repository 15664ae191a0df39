package org.celeriac.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.celeriac.api.CeleriacException;
import org.celeriac.api.ResultTimeoutException;
import org.celeriac.api.TaskFailedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * {@code celeriac}: the command line, mirroring Celery's {@code celery} command. Run by the
 * {@code ./celeriac} launcher at the repository root.
 */
@Command(name = "celeriac", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A Celery-compatible distributed task queue for the JVM.",
        synopsisSubcommandLabel = "COMMAND",
        footerHeading = "%n",
        footer = {"stdout carries only a command's result; logs and progress go to stderr.",
                "Run 'celeriac COMMAND --help' for a command's options."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:the task failed or was revoked (result), or the demo found a wrong result",
                "2:usage error (unknown option, bad JSON in --args/--kwargs, ...)",
                "3:timed out waiting (result --timeout, demo)",
                "4:configuration or connection error (no provider for a URL scheme, broker unreachable, ...)"})
public final class Main implements Runnable {
    /** Success. */
    public static final int OK = 0;
    /** The task failed or was revoked; or the demo saw a wrong result. */
    public static final int TASK_FAILED = 1;
    /** Usage error (picocli's default for parse errors). */
    public static final int USAGE = 2;
    /** Timed out waiting. */
    public static final int TIMEOUT = 3;
    /** Configuration or connection error. */
    public static final int CONFIG = 4;

    /** The exit code list every subcommand shows in {@code --help}. */
    static final String[] EXIT_CODES = {
            "0:success",
            "1:the task failed or was revoked",
            "2:usage error",
            "3:timed out waiting",
            "4:configuration or connection error"};

    /**
     * The subcommands, in the order {@code --help} lists them. Registered in code rather than in
     * {@code @Command(subcommands = …)}: picocli builds a command's model by reflection when it is added, which for
     * all of them took a third of the worker's start-up time on {@code main}; {@link #commandLine(String[])} adds
     * only the one that runs.
     */
    private static final Map<String, Supplier<Object>> COMMANDS = commands();

    private static Map<String, Supplier<Object>> commands() {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("worker", WorkerCommand::new);
        m.put("call", CallCommand::new);
        m.put("result", ResultCommand::new);
        m.put("demo", DemoCommand::new);
        m.put("tck", TckCommand::new);
        m.put("inspect", InspectCommand::new);
        m.put("control", ControlCommand::new);
        m.put("status", StatusCommand::new);
        m.put("events", EventsCommand::new);
        m.put("beat", BeatCommand::new);
        m.put("purge", PurgeCommand::new);
        m.put("multi", MultiCommand::new);
        m.put("help", CommandLine.HelpCommand::new);
        return java.util.Collections.unmodifiableMap(m);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand: worker, call, result, demo, tck, inspect, control, status, events, beat, purge or multi");
    }

    /**
     * The switches of lettuce's JFR events ({@code io.lettuce.core.event.jfr.EventRecorderHolder}) and netty's
     * ({@code io.netty.util.internal.PlatformDependent}), which {@link #main} turns off unless given.
     */
    static final List<String> JFR_SWITCHES = List.of("io.lettuce.core.jfr", "io.netty.jfr.enabled");

    /** Runs the command line and exits the JVM with its exit code. */
    public static void main(String[] args) {
        Thread.currentThread().setName("MainProcess"); // Celery's %(processName)s in log lines
        // lettuce's and netty's JFR events load ~170 classes (JFR's and theirs) at connect, for recordings that
        // nobody takes by default; -Dio.lettuce.core.jfr=true / -Dio.netty.jfr.enabled=true bring them back
        for (String jfr : JFR_SWITCHES) {
            if (System.getProperty(jfr) == null) {
                System.setProperty(jfr, "false");
            }
        }
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (for tests: does not exit the JVM). */
    public static int execute(String... args) {
        CommandLine cl = commandLine(args);
        return cl.execute(globalOptionsMoved(cl, args));
    }

    /** Celery 5's global options, which may come before the command ({@code celery -A proj worker}). */
    private static final java.util.Set<String> GLOBAL_OPTIONS = java.util.Set.of("-A", "--app", "-b", "--broker",
            "--result-backend", "--config");

    /**
     * Moves Celery's global options given before the command ({@code celeriac -A app -b URL worker …}, the form of
     * Celery's systemd unit and of {@code celery -A proj inspect ping}) after the command name, as
     * {@code celery/bin/multi.py} does for {@code multi} (where they go last). An option the command does not
     * have ({@code -A} of {@code inspect}: Celeriac's remote control needs no app) is dropped.
     */
    static String[] globalOptionsMoved(CommandLine cl, String[] args) {
        List<String> global = new java.util.ArrayList<>();
        int i = 0;
        while (i < args.length) {
            String a = args[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (!a.startsWith("-") || !GLOBAL_OPTIONS.contains(name)) {
                break;
            }
            if (a.contains("=")) {
                global.add(a);
                i++;
            } else if (i + 1 < args.length) {
                global.add(a + "=" + args[i + 1]);
                i += 2;
            } else {
                break;
            }
        }
        if (global.isEmpty() || i >= args.length) {
            return args;
        }
        String command = args[i];
        CommandLine sub = cl.getSubcommands().get(command);
        if (sub == null) {
            return args; // picocli reports the unknown command
        }
        List<String> out = new java.util.ArrayList<>(List.of(args).subList(i, args.length));
        if (command.equals("multi")) {
            out.addAll(global);
            return out.toArray(String[]::new);
        }
        List<String> kept = new java.util.ArrayList<>();
        for (String g : global) {
            if (sub.getCommandSpec().findOption(g.substring(0, g.indexOf('='))) != null) {
                kept.add(g);
            }
        }
        out.addAll(1, kept);
        return out.toArray(String[]::new);
    }

    /** The configured picocli command line with every subcommand (for help, and for tests). */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The configured picocli command line for {@code args}: with only the subcommand they name when they name one
     * (after Celery's global options, see {@link #globalOptionsMoved}), else (no command, {@code --help},
     * {@code help}, {@code --version}, an unknown command) with all of them, so that help and errors list them all.
     *
     * @param args the command line, or null for every subcommand
     */
    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        String command = args == null ? null : commandName(args);
        if (command != null && !command.equals("help") && COMMANDS.containsKey(command)) {
            cl.addSubcommand(COMMANDS.get(command).get());
        } else {
            COMMANDS.values().forEach(s -> cl.addSubcommand(s.get()));
        }
        cl.setExecutionExceptionHandler(new Errors());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        // the last of a repeated option wins, as with Celery's click (multi passes "--concurrency=8 -c 2")
        cl.setOverwrittenOptionsAllowed(true);
        return cl;
    }

    /** The first argument after Celery's global options (and their values), or null when there is none. */
    private static String commandName(String[] args) {
        int i = 0;
        while (i < args.length) {
            String a = args[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (!a.startsWith("-")) {
                return a;
            }
            if (!GLOBAL_OPTIONS.contains(name)) {
                return null;
            }
            i += a.contains("=") ? 1 : 2;
        }
        return null;
    }

    /** Maps exceptions to documented exit codes with a one-line message on stderr (stack traces at DEBUG). */
    static final class Errors implements IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
            PrintWriter err = cmd.getErr();
            if (ex instanceof CommandLine.ParameterException pe) {
                throw pe;
            }
            if (ex instanceof IllegalArgumentException) {
                err.println("celeriac " + cmd.getCommandName() + ": error: " + ex.getMessage());
                err.println("Run 'celeriac " + cmd.getCommandName() + " --help' for usage.");
                err.flush();
                return USAGE;
            }
            org.slf4j.LoggerFactory.getLogger(Main.class).debug("command failed", ex);
            int code = ex instanceof TaskFailedException ? TASK_FAILED
                    : ex instanceof ResultTimeoutException ? TIMEOUT
                    : CONFIG;
            err.println("celeriac " + cmd.getCommandName() + ": error: " + describe(ex));
            err.flush();
            return code;
        }

        private static String describe(Throwable ex) {
            StringBuilder sb = new StringBuilder(String.valueOf(ex.getMessage() == null ? ex : ex.getMessage()));
            if (!(ex instanceof CeleriacException) || ex.getMessage() == null) {
                sb.insert(0, ex.getClass().getSimpleName() + ": ");
            }
            Throwable c = ex.getCause();
            int depth = 0;
            while (c != null && c != ex && depth++ < 3) {
                if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
                    sb.append("\n  caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
                }
                c = c.getCause();
            }
            return sb.toString();
        }
    }

    /** The version from the jar manifest, or the development version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"celeriac " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
