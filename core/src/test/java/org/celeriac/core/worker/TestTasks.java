package org.celeriac.core.worker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.celeriac.api.PythonException;
import org.celeriac.api.TaskContext;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;

/** Hand-written task definitions for core's tests (independent of the annotation processor). */
final class TestTasks {
    private TestTasks() {
    }

    static TaskDefinition task(String name, TaskOptions options, BiFunction<TaskContext, List<Object>, Object> body) {
        return TaskDefinition.of(name, options, (context, args, kwargs) -> body.apply(context, args));
    }

    static TaskDefinition add() {
        return task("t.add", TaskOptions.DEFAULTS, (c, a) -> ((Number) a.get(0)).longValue() + ((Number) a.get(1)).longValue());
    }

    static TaskDefinition mul() {
        return task("t.mul", TaskOptions.DEFAULTS, (c, a) -> ((Number) a.get(0)).longValue() * ((Number) a.get(1)).longValue());
    }

    static TaskDefinition fail() {
        return task("t.fail", TaskOptions.DEFAULTS, (c, a) -> {
            throw PythonException.valueError(String.valueOf(a.get(0)));
        });
    }

    /** Retries until it has been retried {@code args[0]} times, then returns the retry count. */
    static TaskDefinition flaky() {
        return task("t.flaky", TaskOptions.DEFAULTS, (c, a) -> {
            if (c.retries() < ((Number) a.get(0)).intValue()) {
                throw c.retry(new IllegalStateException("not yet"), Duration.ofMillis(50), 5);
            }
            return (long) c.retries();
        });
    }

    /** Blocks until the latch opens (at most 30 s). */
    static TaskDefinition block(CountDownLatch latch, CountDownLatch started) {
        return task("t.block", new TaskOptions(null, null, null, null, true, null, null, null, null, null), (c, a) -> {
            started.countDown();
            try {
                return latch.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
        });
    }
}
