package org.celeriac.core;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.CeleriacException;
import org.celeriac.api.ResultTimeoutException;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskState;
import org.celeriac.core.internal.ValueConverter;
import org.celeriac.spi.backend.ExceptionInfo;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;

/**
 * {@link AsyncResult} backed by a {@link ResultBackend}. Thread-safe. Also exposes the broker's
 * acknowledgement of the publish ({@link #published()}).
 */
final class AsyncResultImpl<T> implements AsyncResult<T> {
    private final String id;
    private final Class<T> type;
    private final ResultBackend backend; // nullable: no result backend configured
    private final Duration pollInterval;
    private final CompletableFuture<Void> published;
    private volatile TaskMeta ready; // cached once ready

    AsyncResultImpl(String id, Class<T> type, ResultBackend backend, Duration pollInterval, CompletableFuture<Void> published) {
        this.id = id;
        this.type = type;
        this.backend = backend;
        this.pollInterval = pollInterval;
        this.published = published;
    }

    /** Completes when the broker has the message (durably where the transport is durable). */
    CompletableFuture<Void> published() {
        return published;
    }

    @Override
    public String id() {
        return id;
    }

    private ResultBackend backend() {
        if (backend == null) {
            throw new CeleriacException("no result backend is configured, so the result of task " + id
                    + " cannot be read: set result_backend (e.g. the embedded default, redis://…)");
        }
        return backend;
    }

    private Optional<TaskMeta> meta() {
        TaskMeta r = ready;
        if (r != null) {
            return Optional.of(r);
        }
        Optional<TaskMeta> m = backend().get(id);
        m.filter(x -> x.state().isReady()).ifPresent(x -> ready = x);
        return m;
    }

    @Override
    public TaskState state() {
        return meta().map(TaskMeta::state).orElse(TaskState.PENDING);
    }

    @Override
    public T get(Duration timeout) {
        return get(timeout, true);
    }

    @Override
    public T get(Duration timeout, boolean propagate) {
        TaskMeta m = ready;
        if (m == null && !backend().capabilities().push()) {
            // A polling backend answers a ready result at once with one read instead of a poll round.
            m = backend().get(id).filter(x -> x.state().isReady()).orElse(null);
        }
        if (m == null) {
            CompletableFuture<TaskMeta> f = backend().whenReady(id, pollInterval);
            try {
                m = timeout == null ? f.get() : f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                f.cancel(false);
                throw new ResultTimeoutException("task " + id + " was not ready within " + timeout
                        + " (state " + state() + "): is a worker consuming its queue?");
            } catch (InterruptedException e) {
                f.cancel(false);
                Thread.currentThread().interrupt();
                throw new CeleriacException("interrupted while waiting for task " + id, e);
            } catch (ExecutionException e) {
                throw new CeleriacException("cannot read the result of task " + id + ": " + e.getCause().getMessage(), e.getCause());
            }
            ready = m;
        }
        return value(m, propagate);
    }

    private T value(TaskMeta m, boolean propagate) {
        if (m.state().propagates() && propagate) {
            throw failure(m);
        }
        if (m.state().isException()) {
            @SuppressWarnings("unchecked")
            T raw = (T) m.result();
            return raw;
        }
        return ValueConverter.convert(m.result(), type);
    }

    static TaskFailedException failure(TaskMeta m) {
        Optional<ExceptionInfo> info = m.exception();
        return new TaskFailedException(m.taskId(), m.state().name(), info.map(ExceptionInfo::excType).orElse(null),
                info.map(ExceptionInfo::excModule).orElse(null),
                info.map(ExceptionInfo::excMessage).orElse(m.result() == null ? List.of() : List.of(m.result())),
                m.traceback());
    }

    @Override
    public Object result() {
        return meta().map(TaskMeta::result).orElse(null);
    }

    @Override
    public String traceback() {
        return meta().map(TaskMeta::traceback).orElse(null);
    }

    @Override
    public void forget() {
        ready = null;
        backend().forget(id);
    }

    @Override
    public CompletableFuture<T> toCompletableFuture() {
        CompletableFuture<TaskMeta> f = ready != null ? CompletableFuture.completedFuture(ready)
                : backend().whenReady(id, pollInterval);
        CompletableFuture<T> out = f.thenApply(m -> {
            ready = m;
            return value(m, true);
        });
        out.whenComplete((v, e) -> {
            if (e instanceof CancellationException || (e instanceof CompletionException c && c.getCause() instanceof CancellationException)) {
                f.cancel(false);
            }
        });
        return out;
    }

    @Override
    public String toString() {
        return "AsyncResult[" + id + "]";
    }

    /** For eager mode: a result that is already known. */
    static <T> AsyncResult<T> ready(TaskMeta meta, Class<T> type) {
        return new EagerResult<>(meta, type);
    }

    private record EagerResult<T>(TaskMeta meta, Class<T> type) implements AsyncResult<T> {
        @Override
        public String id() {
            return meta.taskId();
        }

        @Override
        public TaskState state() {
            return meta.state();
        }

        @Override
        public T get(Duration timeout) {
            return get(timeout, true);
        }

        @Override
        public T get(Duration timeout, boolean propagate) {
            if (meta.state().propagates() && propagate) {
                throw failure(meta);
            }
            if (meta.state().isException()) {
                @SuppressWarnings("unchecked")
                T raw = (T) meta.result();
                return raw;
            }
            return ValueConverter.convert(meta.result(), type);
        }

        @Override
        public Object result() {
            return meta.result();
        }

        @Override
        public String traceback() {
            return meta.traceback();
        }

        @Override
        public void forget() {
        }

        @Override
        public CompletableFuture<T> toCompletableFuture() {
            try {
                return CompletableFuture.completedFuture(get(Duration.ZERO));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
    }

}
