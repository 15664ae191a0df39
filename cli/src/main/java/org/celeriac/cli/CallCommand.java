package org.celeriac.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.CeleriacException;
import org.celeriac.api.Durations;
import org.celeriac.core.Celeriac;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code celeriac call NAME}: sends a task by name (Celery's {@code celery call}) and prints its id on
 * stdout once the broker has the message.
 */
@Command(name = "call", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Send a task by name and print its id on stdout (Celery's 'celery call').",
                "The task may live in any worker, Java or Python, that consumes the queue."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:sent; the task id is on stdout",
                "2:usage error (e.g. --args is not a JSON array)",
                "3:the broker did not confirm the message in time",
                "4:configuration or connection error"})
final class CallCommand implements Callable<Integer> {
    /** How long to wait for the broker to take the message. */
    static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(60);

    @Parameters(index = "0", paramLabel = "NAME", description = "The task name, e.g. tasks.add.")
    String name;

    @Option(names = {"-a", "--args"}, paramLabel = "JSON", defaultValue = "[]",
            description = "Positional arguments as a JSON array, e.g. '[4, 4]'. Default: ${DEFAULT-VALUE}.")
    String args;

    @Option(names = {"-k", "--kwargs"}, paramLabel = "JSON", defaultValue = "{}",
            description = "Keyword arguments as a JSON object, e.g. '{\"y\": 4}'. Default: ${DEFAULT-VALUE}.")
    String kwargs;

    @Option(names = "--countdown", paramLabel = "SECONDS",
            description = "Run no earlier than this many seconds from now (may be fractional).")
    Double countdown;

    @Option(names = "--eta", paramLabel = "ISO-8601",
            description = "Run no earlier than this time, e.g. 2030-01-01T12:00:00Z (an offset is required).")
    String eta;

    @Option(names = "--expires", paramLabel = "SECONDS|ISO-8601",
            description = "Discard the task if it has not started by then: seconds from now or a time.")
    String expires;

    @Option(names = {"-Q", "--queue"}, paramLabel = "QUEUE", description = "The queue. Default: celery (task_default_queue).")
    String queue;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        JsonCodec json = JsonCodec.load(loader);
        List<?> a = json.parseList("--args", args);
        Map<String, Object> k = json.parseMap("--kwargs", kwargs);
        ApplyOptions options = options();
        try (Celeriac app = connection.builder(loader).build()) {
            AsyncResult<Object> r = app.sendTask(name, a, k, options);
            try {
                Celeriac.published(r).get(PUBLISH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new org.celeriac.api.ResultTimeoutException("the broker did not confirm task " + r.id()
                        + " within " + PUBLISH_TIMEOUT.toSeconds() + " s; it may or may not have been sent");
            } catch (ExecutionException e) {
                throw new CeleriacException("publishing task " + name + " failed: " + e.getCause().getMessage(), e.getCause());
            }
            System.out.println(r.id());
            System.out.flush();
        }
        return Main.OK;
    }

    ApplyOptions options() {
        ApplyOptions.Builder b = ApplyOptions.builder();
        if (countdown != null) {
            if (countdown.isNaN() || countdown < 0) {
                throw new IllegalArgumentException("--countdown must be a number of seconds >= 0, got " + countdown);
            }
            b.countdown(Durations.ofSeconds(countdown));
        }
        if (eta != null) {
            b.eta(parseInstant("--eta", eta));
        }
        if (expires != null) {
            b.expires(parseExpires(expires));
        }
        if (queue != null) {
            b.queue(queue);
        }
        return b.build();
    }

    private static Instant parseExpires(String value) {
        try {
            double seconds = Double.parseDouble(value);
            if (!Double.isNaN(seconds) && seconds >= 0) {
                return Instant.now().plus(Durations.ofSeconds(seconds));
            }
        } catch (NumberFormatException notANumber) {
            return parseInstant("--expires", value);
        }
        throw new IllegalArgumentException("--expires must be seconds >= 0 or an ISO-8601 time, got " + value);
    }

    private static Instant parseInstant(String option, String value) {
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(value);
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException(option + " must be an ISO-8601 time with an offset, such as "
                        + "2030-01-01T12:00:00Z or 2030-01-01T13:00:00+01:00; got " + value);
            }
        }
    }
}
