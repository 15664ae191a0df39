package org.celeriac.examples;

import java.time.Duration;
import java.util.List;
import org.celeriac.api.DefaultValue;
import org.celeriac.api.Durations;
import org.celeriac.api.PythonException;
import org.celeriac.api.Task;
import org.celeriac.api.TaskContext;

/**
 * The {@code tasks.*} example app, the Java twin of a Python module {@code tasks.py}; the demo and
 * the interop tests call these from Python and from Java. Arithmetic is Python's ({@link PyNumbers}):
 * {@code tasks.add(2**70, 1)} is exact, {@code tasks.add(1, 0.5)} is {@code 1.5}.
 *
 * <pre>{@code
 * @app.task(name="tasks.add")
 * def add(x, y): return x + y
 * }</pre>
 */
public final class Tasks {
    private Tasks() {
    }

    /** {@code tasks.add(x, y)}: Python's {@code x + y} on numbers. */
    @Task(name = "tasks.add")
    public static Object add(Object x, Object y) {
        return PyNumbers.add(x, y);
    }

    /** {@code tasks.mul(x, y)}: Python's {@code x * y} on numbers. */
    @Task(name = "tasks.mul")
    public static Object mul(Object x, Object y) {
        return PyNumbers.mul(x, y);
    }

    /** {@code tasks.echo(obj)}: returns its argument unchanged (any JSON value). */
    @Task(name = "tasks.echo")
    public static Object echo(Object obj) {
        return obj;
    }

    /**
     * {@code tasks.fail(msg, retries=0, countdown=0.5)}: retries itself {@code retries} times, each
     * after {@code countdown} seconds, then raises {@code ValueError(msg)} (exc_module builtins).
     */
    @Task(name = "tasks.fail")
    public static Object fail(TaskContext ctx, String msg, @DefaultValue("0") long retries,
            @DefaultValue("0.5") double countdown) {
        if (ctx.retries() < retries) {
            throw ctx.retry(null, Durations.ofSeconds(countdown), (int) retries);
        }
        throw PythonException.valueError(msg);
    }

    /**
     * {@code tasks.sleep(seconds)}: sleeps that many seconds (a float is fine) and returns
     * {@code seconds} as given. Blocks the worker thread that runs it.
     *
     * @throws PythonException ValueError for a negative number, as Python's {@code time.sleep}
     */
    @Task(name = "tasks.sleep")
    public static Number sleep(Number seconds) throws InterruptedException {
        double s = seconds.doubleValue();
        if (s < 0 || Double.isNaN(s)) {
            throw PythonException.valueError("sleep length must be non-negative");
        }
        Duration d = Durations.ofSeconds(s);
        if (!d.isZero()) {
            Thread.sleep(d);
        }
        return seconds;
    }

    /**
     * {@code tasks.xsum(numbers)}: Python's {@code sum(numbers)} ({@code []} gives 0); like Celery's
     * test task, an element that is a list is summed first (a chord body over group results).
     */
    @Task(name = "tasks.xsum")
    public static Object xsum(List<Object> numbers) {
        return PyNumbers.sum(numbers);
    }
}
