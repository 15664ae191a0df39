package org.celeriac.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import org.celeriac.core.internal.NodeNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code celeriac multi}: starts and stops several named workers in the background, as Celery's
 * {@code celery multi} ({@code celery/bin/multi.py MultiTool}, {@code celery/apps/multi.py Cluster, Node,
 * MultiParser, NamespacedOptionParser}), with the same node names, {@code %n}/{@code %h} expansion,
 * per-node options ({@code -c:1 4}, {@code -Q:w1,w2 q}, {@code -c:1-3 10}) and output lines. Each worker is
 * {@code celeriac worker} started detached ({@link Detacher}) with {@code -n NAME --pidfile=… --logfile=…};
 * stop/kill find it again through its pid file, so give the same {@code --pidfile} to every verb.
 */
@Command(name = "multi", sortOptions = false,
        description = {"Start multiple worker instances (Celery's 'celery multi').",
                "",
                "  celeriac multi start <node1 node2 nodeN|N> [worker options]",
                "  celeriac multi stop <n1 n2 nN|N> [-SIG (default: -TERM)] [--pidfile=…]",
                "  celeriac multi stopwait <n1 n2 nN|N> [-SIG] [--pidfile=…]   (waits until they are gone)",
                "  celeriac multi restart <n1 n2 nN|N> [-SIG] [worker options]",
                "  celeriac multi kill <n1 n2 nN|N> [--pidfile=…]              (SIGKILL)",
                "  celeriac multi show|names <n1 n2 nN|N> [worker options]",
                "  celeriac multi get NODENAME <n1 n2 nN|N> [worker options]",
                "  celeriac multi expand TEMPLATE <n1 n2 nN|N>",
                "",
                "'start 3' names the nodes celery1@<host> … celery3@<host> (--range-prefix, --hostname change that);",
                "'start w1 w2' names them w1@<host>, w2@<host>. Options for some nodes only: -c:1 4, -c:w1,w2 4, -Q:1-3 q.",
                "--pidfile and --logfile (default /var/run/celeriac/%%n.pid and /var/log/celeriac/%%n%%I.log) expand",
                "%%n (short name), %%h (node name), %%d (host), %%i/%%I (process index); use the same --pidfile for stop.",
                "Also: --nosplash, -q/--quiet, --verbose (prints each worker's command line)."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:success",
                "1:a node failed to start, or 'get' found no such node",
                "2:usage error"})
final class MultiCommand implements Callable<Integer> {
    static final String DEFAULT_PIDFILE = "/var/run/celeriac/%n.pid";
    static final String DEFAULT_LOGFILE = "/var/log/celeriac/%n%I.log";
    private static final int EX_FAILURE = 1;
    private static final Map<String, Integer> SIGNALS = Map.of("HUP", 1, "INT", 2, "QUIT", 3, "KILL", 9,
            "USR1", 10, "USR2", 12, "TERM", 15);

    @Unmatched
    List<String> argv = new ArrayList<>();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private PrintStream out = System.out;
    private PrintStream err = System.err;
    private boolean quiet;
    private boolean verbose;
    private boolean nosplash;

    @Override
    public Integer call() throws Exception {
        out = System.out;
        err = System.err;
        List<String> args = new ArrayList<>(argv);
        nosplash = args.remove("--nosplash");
        quiet = args.remove("--quiet") | args.remove("-q");
        verbose = args.remove("--verbose");
        args.remove("--no-color");
        if (!args.isEmpty() && List.of("-h", "--help", "help").contains(args.get(0))) {
            spec.commandLine().usage(out);
            return Main.OK;
        }
        if (args.isEmpty() || args.get(0).startsWith("-")) {
            return usage(args.isEmpty() || args.get(0).equals("help") || args.get(0).startsWith("--help")
                    || args.get(0).equals("-h") ? null : "Invalid command: " + args.get(0));
        }
        String command = args.remove(0);
        return switch (command) {
            case "start" -> start(cluster(args));
            case "stop" -> stop(args, false);
            case "stopwait", "stop_verify" -> stop(args, true);
            case "restart" -> restart(args);
            case "kill" -> kill(cluster(args));
            case "names" -> {
                out.println(String.join("\n", cluster(args).stream().map(Node::name).toList()));
                yield Main.OK;
            }
            case "show" -> {
                for (Node n : cluster(args)) {
                    out.println(String.join(" ", n.argvWithExecutable()));
                }
                yield Main.OK;
            }
            case "get" -> {
                if (args.isEmpty()) {
                    yield usage("get needs a node name");
                }
                String wanted = args.remove(0);
                for (Node n : cluster(args)) {
                    if (n.name().equals(wanted)) {
                        out.println(String.join(" ", n.argv()));
                        yield Main.OK;
                    }
                }
                yield EX_FAILURE;
            }
            case "expand" -> {
                if (args.isEmpty()) {
                    yield usage("expand needs a template");
                }
                String template = args.remove(0);
                for (Node n : cluster(args)) {
                    out.println(NodeFormat.multi(template, n.name()));
                }
                yield Main.OK;
            }
            default -> usage("Invalid command: " + command);
        };
    }

    private int usage(String error) {
        if (error != null) {
            err.println(error);
        }
        splash();
        out.println("usage: celeriac multi start <node1 node2 nodeN|range> [worker options]\n"
                + "       celeriac multi stop <n1 n2 nN|range> [-SIG (default: -TERM)]\n"
                + "       celeriac multi stopwait <n1 n2 nN|range> [-SIG (default: -TERM)]\n"
                + "       celeriac multi restart <n1 n2 nN|range> [-SIG] [worker options]\n"
                + "       celeriac multi kill <n1 n2 nN|range>\n\n"
                + "       celeriac multi show <n1 n2 nN|range> [worker options]\n"
                + "       celeriac multi get hostname <n1 n2 nN|range> [-qv] [worker options]\n"
                + "       celeriac multi names <n1 n2 nN|range>\n"
                + "       celeriac multi expand template <n1 n2 nN|range>\n"
                + "       celeriac multi help\n\n"
                + "additional options (must appear after command name):\n\n"
                + "    * --nosplash:   Don't display program info.\n"
                + "    * --quiet:      Don't show as much output.\n"
                + "    * --verbose:    Show more output.\n"
                + "    * --no-color:   Don't display colors.");
        return error == null ? Main.OK : Main.USAGE;
    }

    private void splash() {
        if (!nosplash) {
            note("celeriac multi v" + new Main.Version().getVersion()[0].replace("celeriac ", ""));
        }
    }

    private void note(String s) {
        if (!quiet) {
            out.println(s);
        }
    }

    private void noteNoNewline(String s) {
        if (!quiet) {
            out.print(s);
            out.flush();
        }
    }

    // ------------------------------------------------------------------------------------------------ verbs

    private int start(List<Node> cluster) throws IOException, InterruptedException {
        splash();
        note("> Starting nodes...");
        boolean failed = false;
        for (Node node : cluster) {
            noteNoNewline("\t> " + node.name() + ": ");
            failed |= startNode(node) != 0;
        }
        return failed ? EX_FAILURE : Main.OK;
    }

    /** Starts one node and prints OK or FAILED; returns 0 when it runs. */
    private int startNode(Node node) throws IOException, InterruptedException {
        OptionalLong running = pid(node);
        if (running.isPresent() && Pidfile.alive(running.getAsLong())) {
            note("FAILED");
            err.println("ERROR: Pidfile (" + node.pidfileForWorker() + ") already exists.\n"
                    + "Seems we're already running? (pid: " + running.getAsLong() + ")");
            return Pidfile.EX_CANTCREAT;
        }
        if (verbose) {
            note("  " + String.join(" ", node.argvWithExecutable()));
        }
        long pid = Detacher.spawn(node.argv(), Path.of(node.pidfileForWorker()), Path.of(node.logfileForWorker()), err);
        note(pid < 0 ? "FAILED" : "OK");
        return pid < 0 ? EX_FAILURE : 0;
    }

    private int stop(List<String> args, boolean wait) {
        int sig = findSignal(args);
        splash();
        stopNodes(cluster(args), sig, wait, null);
        return Main.OK;
    }

    private int restart(List<String> args) throws IOException, InterruptedException {
        int sig = findSignal(args);
        splash();
        List<Integer> retvals = new ArrayList<>();
        List<Node> cluster = cluster(args);
        // Celery: nodes that are down start at once, the others once they stopped
        StopCallback onDown = node -> {
            noteNoNewline("> Restarting node " + node.name() + ": ");
            retvals.add(startNode(node));
        };
        stopNodes(cluster, sig, true, onDown);
        return retvals.stream().anyMatch(r -> r != 0) ? EX_FAILURE : Main.OK;
    }

    private int kill(List<Node> cluster) {
        splash();
        for (Node node : cluster) {
            OptionalLong pid = pid(node);
            if (pid.isEmpty()) {
                note("> " + node.name() + ": DOWN");
                continue;
            }
            note("Sending KILL to node " + node.name() + " (" + pid.getAsLong() + ")");
            if (!send(pid.getAsLong(), 9)) {
                note("Could not signal " + node.name() + " (" + pid.getAsLong() + "): No such process");
            }
        }
        return Main.OK;
    }

    @FunctionalInterface
    private interface StopCallback {
        void down(Node node) throws IOException, InterruptedException;
    }

    /** Celery's {@code Cluster._stop_nodes}/{@code shutdown_nodes}: signal each, then (wait) poll until gone. */
    private void stopNodes(List<Node> cluster, int sig, boolean wait, StopCallback onDownOrNull) {
        StopCallback onDown = onDownOrNull != null ? onDownOrNull : n -> note("> " + n.name() + ": DOWN");
        Map<Node, Long> pids = new LinkedHashMap<>();
        try {
            for (Node node : cluster) {
                OptionalLong pid = pid(node);
                if (pid.isPresent()) {
                    pids.put(node, pid.getAsLong());
                } else {
                    onDown.down(node);
                }
            }
            if (pids.isEmpty()) {
                return;
            }
            note("> Stopping nodes...");
            Set<Node> waiting = new LinkedHashSet<>();
            for (Map.Entry<Node, Long> e : pids.entrySet()) {
                note("\t> " + e.getKey().name() + ": " + signalName(sig) + " -> " + e.getValue());
                if (send(e.getValue(), sig)) {
                    waiting.add(e.getKey());
                } else {
                    note("Could not signal " + e.getKey().name() + " (" + e.getValue() + "): No such process");
                    onDown.down(e.getKey());
                }
            }
            if (!wait) {
                return;
            }
            stillWaitingFor(waiting, pids);
            while (!waiting.isEmpty()) {
                noteNoNewline(".");
                for (Iterator<Node> it = waiting.iterator(); it.hasNext(); ) {
                    Node node = it.next();
                    if (!Pidfile.alive(pids.get(node))) {
                        it.remove();
                        note("\n\t> " + node.name() + ": OK");
                        onDown.down(node);
                        stillWaitingFor(waiting, pids);
                    }
                }
                if (!waiting.isEmpty()) {
                    Thread.sleep(500); // polling another process; Celery sleeps 2 s per round
                }
            }
            note("");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stillWaitingFor(Set<Node> waiting, Map<Node, Long> pids) {
        if (!waiting.isEmpty()) {
            noteNoNewline("> Waiting for " + waiting.size() + " " + PurgeCommand.pluralize(waiting.size(), "node")
                    + " -> " + String.join(", ", waiting.stream().map(n -> String.valueOf(pids.get(n))).toList())
                    + "...");
        }
    }

    /** The pid in the node's pid file; empty when there is none (or it is broken). */
    private static OptionalLong pid(Node node) {
        try {
            return Pidfile.readPid(Path.of(node.pidfileForWorker()));
        } catch (IllegalStateException e) {
            return OptionalLong.empty();
        }
    }

    /** Sends a signal; false when there is no such process. */
    static boolean send(long pid, int sig) {
        var handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return false;
        }
        if (sig == 15) {
            return handle.get().destroy();
        }
        if (sig == 9) {
            return handle.get().destroyForcibly();
        }
        try {
            return new ProcessBuilder("kill", "-" + sig, String.valueOf(pid)).inheritIO().start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String signalName(int sig) {
        return SIGNALS.entrySet().stream().filter(e -> e.getValue() == sig).map(Map.Entry::getKey).findFirst()
                .orElse(String.valueOf(sig));
    }

    /**
     * Celery's {@code _find_sig_argument}: the last {@code -9}, {@code -KILL} or {@code -SIGKILL} argument (removed
     * from {@code args}); default SIGTERM.
     */
    static int findSignal(List<String> args) {
        int sig = 15;
        for (Iterator<String> it = args.iterator(); it.hasNext(); ) {
            String a = it.next();
            if (a.length() < 2 || a.charAt(0) != '-' || a.charAt(1) == '-') {
                continue;
            }
            String name = a.substring(1);
            if (name.chars().allMatch(Character::isDigit)) {
                sig = Integer.parseInt(name);
                it.remove();
                continue;
            }
            String upper = name.toUpperCase(Locale.ROOT);
            upper = upper.startsWith("SIG") ? upper.substring(3) : upper;
            if (name.equals(name.toUpperCase(Locale.ROOT)) && SIGNALS.containsKey(upper)) {
                sig = SIGNALS.get(upper);
                it.remove();
            }
        }
        return sig;
    }

    // ------------------------------------------------------------------------------------------- parsing

    /** One worker of the cluster: its node name and its worker options (Celery's {@code Node}). */
    record Node(String name, LinkedHashMap<String, String> options, List<String> passthrough) {

        String pidfile() {
            return option("--pidfile", "-p", DEFAULT_PIDFILE);
        }

        String logfile() {
            return option("--logfile", "-f", DEFAULT_LOGFILE);
        }

        private String option(String longName, String shortName, String def) {
            String v = options.containsKey(shortName) ? options.get(shortName) : options.get(longName);
            return NodeFormat.multi(v == null ? def : v, name);
        }

        /** The pid file as the worker writes it (its own %i/%I expanded). */
        String pidfileForWorker() {
            return NodeFormat.worker(pidfile(), name);
        }

        String logfileForWorker() {
            return NodeFormat.worker(logfile(), name);
        }

        /** {@code worker -n NAME --pidfile=… --logfile=… <options>} (Celery's {@code Node.argv}). */
        List<String> argv() {
            List<String> out = new ArrayList<>(List.of("worker", "-n", name, "--pidfile=" + pidfile(),
                    "--logfile=" + logfile()));
            for (Map.Entry<String, String> e : options.entrySet()) {
                String opt = e.getKey();
                if (Set.of("-n", "--hostname", "--pidfile", "-p", "--logfile", "-f", "--detach", "-D").contains(opt)) {
                    continue;
                }
                String v = e.getValue() == null ? null : NodeFormat.multi(e.getValue(), name);
                if (v == null || v.isEmpty()) {
                    out.add(opt);
                } else if (opt.startsWith("--")) {
                    out.add(opt + "=" + v);
                } else {
                    out.add(opt);
                    out.add(v);
                }
            }
            out.addAll(passthrough);
            return out;
        }

        List<String> argvWithExecutable() {
            List<String> out = new ArrayList<>(List.of("celeriac"));
            out.addAll(argv());
            return out;
        }
    }

    /**
     * Celery's {@code NamespacedOptionParser} + {@code MultiParser}: node names (or a count), shared options and
     * per-node ones ({@code -c:1 4}, {@code -c:w1,w2 4}, {@code -c:1-3 4}).
     *
     * @throws IllegalArgumentException for a per-node option naming a node that is not there
     */
    static List<Node> cluster(List<String> args) {
        List<String> values = new ArrayList<>();
        LinkedHashMap<String, String> options = new LinkedHashMap<>();
        Map<String, LinkedHashMap<String, String>> namespaces = new LinkedHashMap<>();
        List<String> passthrough = new ArrayList<>();
        List<String> rargs = args.stream().filter(a -> !a.isEmpty()).toList();
        for (int pos = 0; pos < rargs.size(); pos++) {
            String arg = rargs.get(pos);
            if (arg.equals("--")) {
                passthrough.addAll(rargs.subList(pos + 1, rargs.size()));
                break;
            }
            if (arg.startsWith("--")) {
                String name = arg.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                addOption(options, namespaces, "--", name, value);
            } else if (arg.startsWith("-") && arg.length() > 1) {
                String value = null;
                if (pos + 1 < rargs.size() && !rargs.get(pos + 1).startsWith("-")) {
                    value = rargs.get(++pos);
                }
                addOption(options, namespaces, "-", arg.substring(1), value);
            } else {
                values.add(arg);
            }
        }
        String hostname = options.containsKey("--hostname") ? options.remove("--hostname")
                : options.containsKey("-n") ? options.remove("-n") : NodeNames.hostname();
        String prefix = orEmpty(options.remove("--prefix"));
        String suffix = orEmpty(options.remove("--suffix"));
        suffix = suffix.isEmpty() ? hostname : suffix.equals("\"\"") || suffix.equals("''") ? "" : suffix;
        String rangePrefix = orEmpty(options.remove("--range-prefix"));
        rangePrefix = rangePrefix.isEmpty() ? "celery" : rangePrefix;
        options.remove("--cmd");
        options.remove("--append");
        options.remove("--executable");
        List<String> names = values;
        boolean ranges = values.size() == 1;
        if (ranges && values.get(0).chars().allMatch(Character::isDigit)) {
            int n = Integer.parseInt(values.get(0));
            names = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                names.add(String.valueOf(i));
            }
            prefix = rangePrefix;
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no nodes given: name them (multi start w1 w2) or count them "
                    + "(multi start 3)");
        }
        // -c:1 refers to the first name; then expand -c:1-3 and -c:a,b
        for (Map.Entry<String, LinkedHashMap<String, String>> e : new ArrayList<>(namespaces.entrySet())) {
            String ns = e.getKey();
            if (ns.chars().allMatch(Character::isDigit)) {
                int index = Integer.parseInt(ns) - 1;
                if (index < 0) {
                    throw new IllegalArgumentException("Indexes start at 1 got: '" + ns + "'");
                }
                if (index >= names.size()) {
                    throw new IllegalArgumentException("No node at index '" + ns + "'");
                }
                namespaces.computeIfAbsent(names.get(index), k -> new LinkedHashMap<>()).putAll(e.getValue());
            }
        }
        for (Map.Entry<String, LinkedHashMap<String, String>> e : new ArrayList<>(namespaces.entrySet())) {
            String ns = e.getKey();
            if (ns.contains(",") || (ranges && ns.contains("-"))) {
                for (String sub : ns.split(",")) {
                    if (ranges && sub.contains("-")) {
                        String[] se = sub.split("-", 2);
                        for (int i = Integer.parseInt(se[0]); i <= Integer.parseInt(se[1]); i++) {
                            namespaces.computeIfAbsent(String.valueOf(i), k -> new LinkedHashMap<>()).putAll(e.getValue());
                        }
                    } else {
                        namespaces.computeIfAbsent(sub, k -> new LinkedHashMap<>()).putAll(e.getValue());
                    }
                }
                namespaces.remove(ns);
            }
        }
        List<Node> nodes = new ArrayList<>();
        for (String name : names) {
            String nodename;
            String namespace;
            if (name.contains("@")) {
                nodename = NodeNames.expand(name);
                namespace = name.substring(0, name.indexOf('@'));
            } else {
                nodename = prefix + name + "@" + suffix;
                namespace = name;
            }
            if (namespaces.containsKey(nodename)) {
                namespace = nodename;
            }
            LinkedHashMap<String, String> merged = new LinkedHashMap<>(options);
            merged.putAll(namespaces.getOrDefault(namespace, new LinkedHashMap<>()));
            nodes.add(new Node(nodename, merged, passthrough));
        }
        return nodes;
    }

    private static void addOption(LinkedHashMap<String, String> options,
            Map<String, LinkedHashMap<String, String>> namespaces, String prefix, String name, String value) {
        int colon = name.indexOf(':');
        if (colon >= 0) {
            namespaces.computeIfAbsent(name.substring(colon + 1), k -> new LinkedHashMap<>())
                    .put(prefix + name.substring(0, colon), value);
        } else {
            options.put(prefix + name, value);
        }
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
