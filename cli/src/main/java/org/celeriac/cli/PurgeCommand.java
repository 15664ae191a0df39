package org.celeriac.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.celeriac.core.Celeriac;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.BrokerException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code celeriac purge}: erases the ready messages of the known task queues, as Celery's {@code celery purge}
 * ({@code celery/bin/purge.py}): asks first unless {@code -f}, then prints one line per queue and Celery's
 * {@code Purged N messages from M known task queues.}.
 */
@Command(name = "purge", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Erase all messages from all known task queues (Celery's 'celery purge'): task_queues, else "
                + "task_default_queue. Messages a worker holds unacknowledged are not removed.",
                "There is no undo for this operation."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:purged (or nothing to purge)",
                "1:not confirmed (Aborted!)",
                "2:usage error",
                "4:configuration or connection error"})
final class PurgeCommand implements Callable<Integer> {

    @Option(names = {"-f", "--force"}, description = "Don't prompt for verification.")
    boolean force;

    @Option(names = {"-Q", "--queues"}, paramLabel = "QUEUE", split = ",",
            description = "Comma separated list of queue names to purge. Default: the app's known task queues.")
    List<String> queues = new ArrayList<>();

    @Option(names = {"-X", "--exclude-queues"}, paramLabel = "QUEUE", split = ",",
            description = "Comma separated list of queues names not to purge.")
    List<String> excludeQueues = new ArrayList<>();

    @Option(names = {"-A", "--app"}, paramLabel = "CLASS",
            description = "Accepted as 'celery -A app purge' is; the queues come from the configuration "
                    + "(task_queues, task_default_queue).")
    String appClass;

    @Mixin
    ConnectionOptions connection;

    /** Where the confirmation is read from (tests replace it). */
    BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    @Override
    public Integer call() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        PrintStream out = System.out;
        PrintStream err = System.err;
        try (Celeriac app = connection.builder(loader).build()) {
            TreeSet<String> names = new TreeSet<>(queues.isEmpty() ? knownQueues(app.settings(), app.defaultQueue())
                    : queues);
            names.removeAll(excludeQueues);
            int qnum = names.size();
            if (qnum == 0) {
                out.println("No messages purged from 0 queues.");
                return Main.OK;
            }
            String queuesHeadline = pluralize(qnum, "queue");
            if (!force && !confirm(err, "WARNING: This will remove all tasks from " + queuesHeadline + ": "
                    + String.join(", ", names) + ".\n         There is no undo for this operation!\n\n"
                    + "(to skip this prompt use the -f option)\nAre you sure you want to delete all tasks? [y/N]: ")) {
                err.println("Aborted!");
                return Main.TASK_FAILED;
            }
            Map<String, Long> purged = new LinkedHashMap<>();
            long messages = 0;
            for (String q : names) {
                long n;
                try {
                    n = Math.max(0, app.broker().purge(q));
                } catch (BrokerException e) {
                    // Celery counts a queue the broker refuses (e.g. not declared) as 0 (conn.channel_errors)
                    err.println("celeriac purge: " + q + ": " + e.getMessage());
                    n = 0;
                }
                purged.put(q, n);
                messages += n;
            }
            purged.forEach((q, n) -> out.println("  " + q + ": " + n + " " + pluralize(n, "message")));
            if (messages > 0) {
                out.println("Purged " + messages + " " + pluralize(messages, "message") + " from " + qnum
                        + " known task " + queuesHeadline + ".");
            } else {
                out.println("No messages purged from " + qnum + " " + queuesHeadline + ".");
            }
            return Main.OK;
        }
    }

    private boolean confirm(PrintStream err, String prompt) {
        err.print(prompt);
        err.flush();
        String answer;
        try {
            answer = input.readLine();
        } catch (IOException e) {
            answer = null;
        }
        if (answer == null) {
            err.println();
            return false;
        }
        String a = answer.strip().toLowerCase(Locale.ROOT);
        return a.equals("y") || a.equals("yes");
    }

    /** Celery's {@code app.amqp.queues}: the names in {@code task_queues}, else the default queue. */
    static List<String> knownQueues(Settings settings, String defaultQueue) {
        List<String> out = new ArrayList<>(Celeriac.knownQueues(settings));
        if (out.isEmpty()) {
            out.add(defaultQueue);
        }
        return out;
    }

    /** Celery's {@code celery.utils.text.pluralize}: {@code n word(s)}. */
    static String pluralize(long n, String word) {
        return n == 1 ? word : word + "s";
    }
}
