package org.celeriac.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.celeriac.api.Durations;
import org.celeriac.core.control.ControlOptions;
import picocli.CommandLine.Option;

/**
 * The options {@code inspect}, {@code control} and {@code status} share (Celery's "Remote Control Options"),
 * and the way they print replies: Celery's {@code ->  <node>: OK} line, then the reply indented
 * ({@code celery/bin/control.py _say_remote_command_reply} and {@code celery/bin/base.py pretty}).
 */
final class RemoteControlOptions {
    /** Celery's exit code when no node replied ({@code EX_UNAVAILABLE}). */
    static final int NO_REPLY = 69;
    static final String NO_REPLY_MESSAGE = "Error: No nodes replied within time constraint";

    @Option(names = {"-t", "--timeout"}, paramLabel = "SECONDS", defaultValue = "1.0",
            description = "Timeout in seconds waiting for reply. Default: ${DEFAULT-VALUE}.")
    double timeout;

    @Option(names = {"-d", "--destination"}, paramLabel = "NODE", split = ",",
            description = "Comma separated list of destination node names (e.g. celery@host). Default: every node.")
    List<String> destination = new ArrayList<>();

    @Option(names = {"-j", "--json"}, description = "Use json as output format.")
    boolean json;

    /**
     * The client options.
     *
     * @throws IllegalArgumentException when the timeout is not a number of seconds >= 0
     */
    ControlOptions options() {
        if (Double.isNaN(timeout) || timeout < 0) {
            throw new IllegalArgumentException("--timeout must be a number of seconds >= 0, got " + timeout);
        }
        Duration t = Durations.ofSeconds(timeout);
        return ControlOptions.defaults().withTimeout(t).withDestination(destination);
    }

    /**
     * The client options for a command that prints each reply as it arrives (Celery's callback), unless
     * {@code --json} asks for one document at the end.
     *
     * @throws IllegalArgumentException when the timeout is not a number of seconds >= 0
     */
    ControlOptions printingOptions(JsonCodec codec) {
        ControlOptions o = options();
        return json ? o : o.withCallback((node, reply) -> say(System.out, codec, node, reply, true));
    }

    /**
     * Checks a command's action against the valid ones; an unknown one is reported as picocli reports a bad
     * value, listing the valid actions.
     *
     * @return true when {@code action} is valid
     */
    static boolean knownAction(String command, String action, List<String> actions) {
        if (actions.contains(action)) {
            return true;
        }
        System.err.println("celeriac " + command + ": error: Invalid value for 'ACTION': '" + action + "' is not one of "
                + String.join(", ", actions.stream().map(a -> "'" + a + "'").toList()) + ".");
        System.err.flush();
        return false;
    }

    /** Prints Celery's "no nodes replied" error when nobody replied; returns true in that case. */
    static boolean noReply(java.util.Map<String, Object> replies) {
        if (!replies.isEmpty()) {
            return false;
        }
        System.err.println(NO_REPLY_MESSAGE);
        System.err.flush();
        return true;
    }

    /** One reply, as Celery's callback prints it: {@code ->  node: OK} and, with {@code body}, the reply. */
    static void say(PrintStream out, JsonCodec json, String node, Object reply, boolean body) {
        boolean error = reply instanceof Map<?, ?> m && !m.containsKey("ok") && m.containsKey("error");
        out.println("->  " + node + ": " + (error ? "ERROR" : "OK"));
        if (body) {
            out.println(indent(pretty(json, reply), 4));
        }
        out.flush();
    }

    /** Celery's {@code pretty}: lists as {@code * item}, ok/error dicts as their text, other dicts as JSON. */
    static String pretty(JsonCodec json, Object n) {
        if (n instanceof List<?> l) {
            if (l.isEmpty()) {
                return "- empty -";
            }
            List<String> lines = new ArrayList<>();
            for (Object item : l) {
                lines.add("* " + (item instanceof String s ? s : pyish(json, item)));
            }
            return String.join("\n", lines);
        }
        if (n instanceof Map<?, ?> m) {
            if (m.containsKey("ok")) {
                return indent(pretty(json, m.get("ok")), 4);
            }
            if (m.containsKey("error")) {
                return indent(pretty(json, m.get("error")), 4);
            }
            StringBuilder sb = new StringBuilder();
            dumps(json, m, 0, sb);
            return sb.toString();
        }
        if (n instanceof String s) {
            return s;
        }
        return n == null ? "None" : pyish(json, n);
    }

    private static String pyish(JsonCodec json, Object v) {
        return json.format(v);
    }

    /** {@code json.dumps(v, sort_keys=True, indent=4)}. */
    static void dumps(JsonCodec json, Object v, int level, StringBuilder sb) {
        String pad = " ".repeat(4 * (level + 1));
        String end = " ".repeat(4 * level);
        if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            Map<String, Object> sorted = new TreeMap<>();
            m.forEach((k, x) -> sorted.put(String.valueOf(k), x));
            sb.append("{\n");
            int i = 0;
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                sb.append(pad).append(json.format(e.getKey())).append(": ");
                dumps(json, e.getValue(), level + 1, sb);
                sb.append(++i < sorted.size() ? ",\n" : "\n");
            }
            sb.append(end).append('}');
        } else if (v instanceof Collection<?> l) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append("[\n");
            int i = 0;
            for (Object x : l) {
                sb.append(pad);
                dumps(json, x, level + 1, sb);
                sb.append(++i < l.size() ? ",\n" : "\n");
            }
            sb.append(end).append(']');
        } else {
            sb.append(json.format(v));
        }
    }

    static String indent(String text, int n) {
        String pad = " ".repeat(n);
        return String.join("\n", text.lines().map(l -> pad + l).toList());
    }

    /** Celery's closing line: {@code \n1 node online.} */
    static void nodesOnline(PrintStream out, int count) {
        out.println();
        out.println(count + " " + (count == 1 ? "node" : "nodes") + " online.");
        out.flush();
    }
}
