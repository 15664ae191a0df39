package org.celeriac.core.worker;

import java.time.Duration;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.celeriac.api.RetryException;
import org.celeriac.api.RetryPolicy;
import org.celeriac.api.SoftTimeLimitExceededException;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskListener;
import org.celeriac.api.TaskOptions;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.internal.Exceptions;
import org.celeriac.core.protocol.TaskMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one task execution and reports the outcome, calling the task signal listeners
 * ({@code celery/app/trace.py build_tracer}). Shared by the worker and eager mode. Thread-safe.
 */
final class TaskRunner {
    private static final Logger LOG = LoggerFactory.getLogger(TaskRunner.class);
    private final Celeriac app;

    TaskRunner(Celeriac app) {
        this.app = app;
    }

    int maxRetries(TaskOptions o) {
        return o.maxRetries() != null ? o.maxRetries() : app.settings().integer("task_max_retries", 3);
    }

    Duration defaultRetryDelay(TaskOptions o) {
        return o.defaultRetryDelay() != null ? o.defaultRetryDelay()
                : app.settings().duration("task_default_retry_delay", Duration.ofSeconds(180));
    }

    Outcome run(TaskDefinition def, TaskMessage msg, String hostname, String queue, boolean eager,
                BiConsumer<String, Map<String, Object>> stateUpdater) {
        return run(def, msg, hostname, queue, eager, stateUpdater, () -> false);
    }

    /**
     * Runs the task; {@code cancelled} tells whether the worker cancelled this execution (soft time limit,
     * terminate), so that an interruption the task did not handle becomes {@link SoftTimeLimitExceededException}.
     * An exception matching the task's {@code autoretry_for} becomes a retry (Celery's autoretry).
     */
    Outcome run(TaskDefinition def, TaskMessage msg, String hostname, String queue, boolean eager,
                BiConsumer<String, Map<String, Object>> stateUpdater, BooleanSupplier cancelled) {
        RequestContext ctx = new RequestContext(msg, hostname, queue, eager, maxRetries(def.options()),
                defaultRetryDelay(def.options()), app.instances(), stateUpdater, cancelled);
        for (TaskListener l : app.taskListeners()) {
            safe(() -> l.taskPrerun(msg.id(), msg.task(), msg.args(), msg.kwargs()));
        }
        long start = System.nanoTime();
        Outcome outcome;
        try {
            Object value = def.run(ctx, msg.args(), msg.kwargs());
            outcome = new Outcome(value, null, null, null, null, System.nanoTime() - start);
            for (TaskListener l : app.taskListeners()) {
                safe(() -> l.taskSuccess(msg.id(), msg.task(), value));
            }
        } catch (RetryException r) {
            Throwable reason = r.getCause() != null ? r.getCause() : r;
            outcome = new Outcome(null, reason, Exceptions.info(reasonFor(r)), Exceptions.traceback(reason), r,
                    System.nanoTime() - start);
            for (TaskListener l : app.taskListeners()) {
                safe(() -> l.taskRetry(msg.id(), msg.task(), reason));
            }
        } catch (Throwable thrown) {
            Throwable t = cancelled.getAsBoolean() && (isInterruption(thrown) || Thread.currentThread().isInterrupted())
                    ? new SoftTimeLimitExceededException("SoftTimeLimitExceeded()", thrown) : thrown;
            if (t instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            RetryPolicy policy = def.retryPolicy();
            if (!(t instanceof Error) && policy.matches(t)) {
                RuntimeException r = ctx.retry(t, policy.backoff(msg.retries(), java.util.concurrent.ThreadLocalRandom.current()),
                        null);
                if (r instanceof RetryException retry) {
                    Outcome o = new Outcome(null, t, Exceptions.info(t), Exceptions.traceback(t), retry,
                            System.nanoTime() - start);
                    for (TaskListener l : app.taskListeners()) {
                        safe(() -> l.taskRetry(msg.id(), msg.task(), t));
                    }
                    return postrun(msg, o);
                }
                LOG.debug("Task {}[{}]: max_retries reached, {} is final", msg.displayName(), msg.id(), t.toString());
            }
            if (t instanceof Error e && !(t instanceof StackOverflowError) && !(t instanceof AssertionError)
                    && !(t instanceof OutOfMemoryError)) {
                LOG.error("Task {}[{}] raised a JVM error", msg.displayName(), msg.id(), e);
            }
            String tb = Exceptions.traceback(t);
            outcome = new Outcome(null, t, Exceptions.info(t), tb, null, System.nanoTime() - start);
            for (TaskListener l : app.taskListeners()) {
                safe(() -> l.taskFailure(msg.id(), msg.task(), t, tb));
            }
        }
        return postrun(msg, outcome);
    }

    private Outcome postrun(TaskMessage msg, Outcome done) {
        TaskState state = done.retry() != null ? TaskState.RETRY : done.succeeded() ? TaskState.SUCCESS : TaskState.FAILURE;
        for (TaskListener l : app.taskListeners()) {
            safe(() -> l.taskPostrun(msg.id(), msg.task(), done.value(), state));
        }
        return done;
    }

    /** An interruption surfacing from a blocking call, possibly wrapped. */
    static boolean isInterruption(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof InterruptedException || c instanceof java.io.InterruptedIOException
                    || c instanceof java.nio.channels.ClosedByInterruptException
                    || c instanceof SoftTimeLimitExceededException) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    private static Throwable reasonFor(RetryException r) {
        return r.getCause() != null ? r.getCause() : r;
    }

    private static void safe(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("a task listener failed: {}", e.toString(), e);
        }
    }
}
