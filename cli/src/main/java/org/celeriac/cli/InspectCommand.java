package org.celeriac.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code celeriac inspect ACTION [ARGS]}: asks the workers (Java or Python) about their state over the
 * broker's broadcast, as Celery's {@code celery inspect} does, and prints each node's reply as it arrives.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Inspect the workers at runtime (Celery's 'celery inspect'); Java and Python workers answer alike.",
                "Actions: " + InspectCommand.ACTIONS_TEXT,
                "Needs a transport with broadcast (Redis, RabbitMQ, SQL, memory://)."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:at least one node replied",
                "2:usage error (e.g. an unknown action)",
                "4:configuration or connection error (e.g. a transport without broadcast)",
                "69:no node replied within --timeout (Celery's EX_UNAVAILABLE); 'inspect ping -d NODE' is a liveness probe"})
final class InspectCommand implements Callable<Integer> {
    static final List<String> ACTIONS = List.of("active", "active_queues", "clock", "conf", "ping", "query_task",
            "registered", "report", "reserved", "revoked", "scheduled", "stats");
    static final String ACTIONS_TEXT = "active, active_queues, clock, conf [include_defaults], ping, query_task ID..., "
            + "registered [ATTR...], report, reserved, revoked, scheduled, stats.";

    @Parameters(index = "0", paramLabel = "ACTION", description = "What to ask: one of the actions above.")
    String action;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "The action's arguments (query_task ids, ...).")
    List<String> args = new ArrayList<>();

    @Mixin
    RemoteControlOptions remote;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() {
        if (!RemoteControlOptions.knownAction("inspect", action, ACTIONS)) {
            return Main.USAGE;
        }
        Map<String, Object> arguments = arguments(action, args);
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        JsonCodec json = JsonCodec.load(loader);
        ControlOptions options = remote.printingOptions(json);
        Map<String, Object> replies;
        try (Celeriac app = connection.builder(loader).build(); ControlClient client = new ControlClient(app)) {
            replies = client.call(action, arguments, options);
        }
        if (RemoteControlOptions.noReply(replies)) {
            return RemoteControlOptions.NO_REPLY;
        }
        if (remote.json) {
            System.out.println(json.format(replies));
            System.out.flush();
            return Main.OK;
        }
        RemoteControlOptions.nodesOnline(System.out, replies.size());
        return Main.OK;
    }

    /** Celery's {@code _compile_arguments} for the inspect commands. */
    static Map<String, Object> arguments(String action, List<String> args) {
        Map<String, Object> a = new LinkedHashMap<>();
        switch (action) {
            case "query_task" -> a.put("ids", List.copyOf(args));
            case "registered" -> a.put("taskinfoitems", List.copyOf(args));
            case "conf" -> a.put("with_defaults", !args.isEmpty() && List.of("1", "true", "yes", "on", "y")
                    .contains(args.get(0).toLowerCase(java.util.Locale.ROOT)));
            default -> {
                if (!args.isEmpty()) {
                    throw new IllegalArgumentException("inspect " + action + " takes no arguments, got " + args);
                }
            }
        }
        return a;
    }
}
