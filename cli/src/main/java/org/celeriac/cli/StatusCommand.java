package org.celeriac.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code celeriac status}: the workers that answer a ping, as Celery's {@code celery status}. */
@Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show the list of workers that are online (Celery's 'celery status'): Java and Python workers."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:at least one node replied",
                "2:usage error",
                "4:configuration or connection error (e.g. a transport without broadcast)",
                "69:no node replied within --timeout (Celery's EX_UNAVAILABLE)"})
final class StatusCommand implements Callable<Integer> {

    @Mixin
    RemoteControlOptions remote;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        JsonCodec json = JsonCodec.load(loader);
        ControlOptions options = remote.options();
        if (!remote.json) {
            options = options.withCallback((node, reply) -> RemoteControlOptions.say(System.out, json, node, reply, false));
        }
        Map<String, Object> replies;
        try (Celeriac app = connection.builder(loader).build(); ControlClient client = new ControlClient(app)) {
            replies = client.ping(options);
        }
        if (RemoteControlOptions.noReply(replies)) {
            return RemoteControlOptions.NO_REPLY;
        }
        if (remote.json) {
            System.out.println(json.format(replies));
        }
        RemoteControlOptions.nodesOnline(System.out, replies.size());
        return Main.OK;
    }
}
