package org.celeriac.api;

import java.util.List;
import java.util.Map;

/**
 * Calls one task by name: {@code delay} and {@code apply_async}. Thread-safe and cheap to create.
 *
 * @param <R> the expected result type
 */
public interface TaskCall<R> {

    /** The task name. */
    String name();

    /**
     * Celery's {@code delay(*args)}: sends with positional arguments and no options.
     * In eager mode ({@code task_always_eager}) the task runs in the caller's thread and the
     * returned result is ready.
     *
     * @throws CeleriacException when the message cannot be encoded or published
     */
    AsyncResult<R> delay(Object... args);

    /**
     * Celery's {@code apply_async(args, kwargs, **options)}.
     *
     * @param args nullable; positional arguments
     * @param kwargs nullable; keyword arguments
     * @param options nullable; call options
     * @throws CeleriacException when the message cannot be encoded or published
     */
    AsyncResult<R> applyAsync(List<?> args, Map<String, ?> kwargs, ApplyOptions options);
}
