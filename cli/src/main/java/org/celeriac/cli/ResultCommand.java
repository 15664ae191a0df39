package org.celeriac.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.Durations;
import org.celeriac.api.ResultTimeoutException;
import org.celeriac.api.TaskFailedException;
import org.celeriac.core.Celeriac;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code celeriac result ID}: waits for a task's result and prints it as one line of JSON on stdout
 * (Celery's {@code celery result}); a failed task's remote error goes to stderr with exit code 1.
 */
@Command(name = "result", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Wait for a task's result and print it on stdout as one line of JSON (Celery's 'celery result').",
                "A failed or revoked task prints its remote error type and message (and with --traceback the",
                "remote traceback) on stderr instead."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:the task succeeded; its result is on stdout",
                "1:the task failed or was revoked; the error is on stderr",
                "2:usage error",
                "3:no result within --timeout (the task is still pending or running)",
                "4:configuration or connection error (e.g. no result backend configured)"})
final class ResultCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ID", description = "The task id printed by 'celeriac call'.")
    String id;

    @Option(names = {"-t", "--timeout"}, paramLabel = "SECONDS", defaultValue = "30",
            description = "How long to wait for the task to finish; 0 waits forever. Default: ${DEFAULT-VALUE}.")
    double timeout;

    @Option(names = "--traceback", description = "For a failed task, print the remote traceback too.")
    boolean traceback;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() {
        if (Double.isNaN(timeout) || timeout < 0) {
            throw new IllegalArgumentException("--timeout must be a number of seconds >= 0, got " + timeout);
        }
        Duration wait = timeout == 0 ? null : Durations.ofSeconds(timeout);
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        JsonCodec json = JsonCodec.load(loader);
        try (Celeriac app = connection.builder(loader).build()) {
            if (isRpc(app.settings().string("result_backend").orElse(""))) {
                System.err.println("celeriac result: the result backend is rpc://, which sends each result to the "
                        + "client that sent the task (its private reply queue), so no other process can read task "
                        + id + " by id. Read it from the sending program (AsyncResult.get), or configure a shared "
                        + "result backend (redis://…, jdbc:…, mongodb://…) to use 'celeriac result'");
                return Main.CONFIG;
            }
            AsyncResult<Object> r = app.asyncResult(id);
            Object value;
            try {
                value = r.get(wait, true);
            } catch (TaskFailedException e) {
                printFailure(System.err, e, traceback);
                return Main.TASK_FAILED;
            } catch (ResultTimeoutException e) {
                System.err.println("celeriac result: task " + id + " is not ready after " + timeout
                        + " s (state " + safeState(r) + "); wait longer with --timeout SECONDS (0 = forever)");
                return Main.TIMEOUT;
            }
            System.out.println(json.format(value));
            System.out.flush();
            return Main.OK;
        }
    }

    /** {@code rpc://…}, or Celery 3's bare {@code amqp} that means the same. */
    static boolean isRpc(String resultBackend) {
        String b = resultBackend.trim().toLowerCase(java.util.Locale.ROOT);
        return b.startsWith("rpc:") || b.equals("rpc") || b.equals("amqp");
    }

    private static String safeState(AsyncResult<?> r) {
        try {
            return String.valueOf(r.state());
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    /** Prints a remote failure as Celery shows it: {@code ValueError: message}, then the traceback if asked. */
    static void printFailure(PrintStream err, TaskFailedException e, boolean withTraceback) {
        err.println("Task " + e.taskId() + " " + e.state() + ": "
                + (e.excType() == null ? "Exception" : e.excType())
                + (e.excMessage().isEmpty() ? "" : ": " + e.excMessage()));
        if (withTraceback) {
            if (e.remoteTraceback() != null && !e.remoteTraceback().isBlank()) {
                err.println(e.remoteTraceback().stripTrailing());
            } else {
                err.println("(no traceback stored)");
            }
        }
        err.flush();
    }
}
