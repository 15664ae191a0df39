package org.celeriac.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code celeriac control ACTION [ARGS]}: commands the workers (Java or Python) over the broker's broadcast,
 * as Celery's {@code celery control} does, with Celery's argument order and reply texts.
 */
@Command(name = "control", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Workers remote control (Celery's 'celery control'); Java and Python workers obey alike.",
                "Actions:",
                "  rate_limit TASK RATE            e.g. rate_limit tasks.add 10/m ('' or 0 disables)",
                "  time_limit TASK SOFT [HARD]     seconds",
                "  revoke ID...                    revoke tasks (they end REVOKED when a worker sees them)",
                "  terminate [SIGNAL] ID...        revoke and interrupt running tasks",
                "  shutdown                        warm shutdown (workers do not reply to it)",
                "  pool_grow [N] | pool_shrink [N] resize the pool (default 1)",
                "  add_consumer QUEUE [EXCHANGE [TYPE [ROUTING_KEY]]] | cancel_consumer QUEUE",
                "  enable_events | disable_events | heartbeat",
                "Needs a transport with broadcast (Redis, RabbitMQ, SQL, memory://)."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:at least one node replied (or shutdown was sent)",
                "2:usage error (unknown action, missing argument)",
                "4:configuration or connection error (e.g. a transport without broadcast)",
                "69:no node replied within --timeout (Celery's EX_UNAVAILABLE)"})
final class ControlCommand implements Callable<Integer> {
    static final List<String> ACTIONS = List.of("add_consumer", "cancel_consumer", "disable_events", "enable_events",
            "heartbeat", "pool_grow", "pool_shrink", "rate_limit", "revoke", "shutdown", "terminate", "time_limit");

    @Parameters(index = "0", paramLabel = "ACTION", description = "The command: one of the actions above.")
    String action;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "The command's arguments.")
    List<String> args = new ArrayList<>();

    @Mixin
    RemoteControlOptions remote;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() {
        if (!RemoteControlOptions.knownAction("control", action, ACTIONS)) {
            return Main.USAGE;
        }
        Map<String, Object> arguments = arguments(action, args);
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        JsonCodec json = JsonCodec.load(loader);
        ControlOptions options = remote.printingOptions(json);
        Map<String, Object> replies;
        try (Celeriac app = connection.builder(loader).build(); ControlClient client = new ControlClient(app)) {
            if (action.equals("shutdown")) {
                client.cast(action, arguments, options);
                System.out.println("-> shutdown sent" + (remote.destination.isEmpty() ? " to every node"
                        : " to " + String.join(", ", remote.destination)) + " (workers do not reply to shutdown)");
                System.out.flush();
                return Main.OK;
            }
            replies = client.call(action, arguments, options);
        }
        if (RemoteControlOptions.noReply(replies)) {
            return RemoteControlOptions.NO_REPLY;
        }
        if (remote.json) {
            System.out.println(json.format(replies));
            System.out.flush();
        }
        return Main.OK;
    }

    /**
     * Celery's {@code _compile_arguments} for the control commands ({@code celery/worker/control.py} signatures).
     *
     * @throws IllegalArgumentException naming the action's signature when an argument is missing or malformed
     */
    static Map<String, Object> arguments(String action, List<String> args) {
        Map<String, Object> a = new LinkedHashMap<>();
        switch (action) {
            case "rate_limit" -> {
                need(action, args, 2, "TASK RATE (e.g. tasks.add 10/m)");
                a.put("task_name", args.get(0));
                a.put("rate_limit", args.get(1));
            }
            case "time_limit" -> {
                need(action, args, 2, "TASK SOFT [HARD] (seconds)");
                a.put("task_name", args.get(0));
                a.put("soft", seconds(action, args.get(1)));
                a.put("hard", args.size() > 2 ? seconds(action, args.get(2)) : null);
            }
            case "revoke" -> {
                need(action, args, 1, "ID...");
                a.put("task_id", List.copyOf(args));
            }
            case "terminate" -> {
                need(action, args, 1, "[SIGNAL] ID...");
                List<String> ids = new ArrayList<>(args);
                String signal = "SIGTERM";
                if (ids.size() > 1 && isSignal(ids.get(0))) {
                    signal = ids.remove(0);
                }
                a.put("signal", signal);
                a.put("task_id", ids);
            }
            case "pool_grow", "pool_shrink" -> {
                int n = 1;
                if (!args.isEmpty()) {
                    try {
                        n = Integer.parseInt(args.get(0));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(action + " takes [N], a whole number; got " + args.get(0));
                    }
                }
                a.put("n", n);
            }
            case "add_consumer" -> {
                need(action, args, 1, "QUEUE [EXCHANGE [TYPE [ROUTING_KEY]]]");
                a.put("queue", args.get(0));
                a.put("exchange", args.size() > 1 ? args.get(1) : null);
                a.put("exchange_type", args.size() > 2 ? args.get(2) : null);
                a.put("routing_key", args.size() > 3 ? args.get(3) : null);
            }
            case "cancel_consumer" -> {
                need(action, args, 1, "QUEUE");
                a.put("queue", args.get(0));
            }
            default -> {
                if (!args.isEmpty()) {
                    throw new IllegalArgumentException("control " + action + " takes no arguments, got " + args);
                }
            }
        }
        return a;
    }

    private static void need(String action, List<String> args, int n, String signature) {
        if (args.size() < n) {
            throw new IllegalArgumentException("Command '" + action + "' takes arguments: " + signature);
        }
    }

    private static double seconds(String action, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(action + ": '" + v + "' is not a number of seconds");
        }
    }

    private static boolean isSignal(String s) {
        String u = s.toUpperCase(Locale.ROOT);
        return u.startsWith("SIG") || List.of("TERM", "KILL", "INT", "HUP", "QUIT", "USR1", "USR2").contains(u)
                || s.matches("\\d{1,2}");
    }
}
