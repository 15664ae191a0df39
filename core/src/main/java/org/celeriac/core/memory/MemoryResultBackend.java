package org.celeriac.core.memory;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.celeriac.api.TaskState;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendCapabilities;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.coordination.Coordination;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code memory://} result backend: a handle on one namespace's results (see
 * {@link MemoryNamespaces}). Values are kept as given, without a serializer, but deep-copied on store
 * (maps and lists become unmodifiable copies). A stored SUCCESS is never overwritten. Results and
 * groups older than {@code result_expires} are hidden by {@link #get} and removed by {@link #cleanup()}.
 * {@link #whenReady} is pushed by {@link #store}. Thread-safe; no method blocks for long.
 */
public final class MemoryResultBackend implements ResultBackend {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryResultBackend.class);

    private final MemoryNamespaces.Namespace namespace;
    private final BackendState state;
    private final Duration expires;
    private final InstantSource clock;
    private final Set<Waiter> pending = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private record Waiter(String taskId, CompletableFuture<TaskMeta> future) {
    }

    /**
     * Opens a handle on a namespace.
     *
     * @param namespace the URL host ({@code ""} for {@code memory://})
     * @param expires how long results live ({@code result_expires}); null or zero: forever
     * @param clock the time source for expiry
     */
    public MemoryResultBackend(String namespace, Duration expires, InstantSource clock) {
        this.namespace = MemoryNamespaces.get(namespace);
        this.state = this.namespace.backend;
        this.expires = expires == null || expires.isZero() || expires.isNegative() ? null : expires;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public ResultBackendCapabilities capabilities() {
        return new ResultBackendCapabilities(true, false, true, false, false);
    }

    private void ensureOpen() {
        if (closed) {
            throw new ResultBackendException("the memory://" + namespace.name
                    + " result backend is closed; create a new one");
        }
    }

    private boolean expired(Instant storedAt, Instant now) {
        return expires != null && !now.isBefore(storedAt.plus(expires));
    }

    @Override
    public void store(TaskMeta meta) {
        ensureOpen();
        TaskMeta copy = Values.copy(meta);
        List<CompletableFuture<TaskMeta>> wake = List.of();
        synchronized (state) {
            Instant now = clock.instant();
            BackendState.Stored<TaskMeta> old = state.tasks.get(copy.taskId());
            if (old != null && !expired(old.storedAt(), now) && old.value().state().equals(TaskState.SUCCESS)) {
                LOG.debug("memory://{}: task {} is already SUCCESS; {} not stored", namespace.name, copy.taskId(),
                        copy.state());
                return;
            }
            state.tasks.put(copy.taskId(), new BackendState.Stored<>(copy, now));
            if (copy.state().isReady()) {
                List<CompletableFuture<TaskMeta>> w = state.waiters.remove(copy.taskId());
                if (w != null) {
                    wake = w;
                }
            }
        }
        for (CompletableFuture<TaskMeta> f : wake) {
            f.complete(copy);
        }
    }

    @Override
    public Optional<TaskMeta> get(String taskId) {
        ensureOpen();
        synchronized (state) {
            BackendState.Stored<TaskMeta> s = state.tasks.get(taskId);
            return s == null || expired(s.storedAt(), clock.instant()) ? Optional.empty() : Optional.of(s.value());
        }
    }

    @Override
    public CompletableFuture<TaskMeta> whenReady(String taskId, Duration pollInterval) {
        CompletableFuture<TaskMeta> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new ResultBackendException("the memory://" + namespace.name
                    + " result backend is closed; create a new one"));
            return f;
        }
        synchronized (state) {
            BackendState.Stored<TaskMeta> s = state.tasks.get(taskId);
            if (s != null && !expired(s.storedAt(), clock.instant()) && s.value().state().isReady()) {
                f.complete(s.value());
                return f;
            }
            state.addWaiter(taskId, f);
        }
        Waiter w = new Waiter(taskId, f);
        pending.add(w);
        f.whenComplete((v, e) -> {
            pending.remove(w);
            synchronized (state) {
                state.removeWaiter(taskId, f);
            }
        });
        if (closed) {
            failPending();
        }
        return f;
    }

    @Override
    public void forget(String taskId) {
        ensureOpen();
        synchronized (state) {
            state.tasks.remove(taskId);
        }
    }

    @Override
    public void saveGroup(GroupMeta group) {
        ensureOpen();
        GroupMeta copy = new GroupMeta(group.groupId(), group.taskIds(),
                group.dateDone() != null ? group.dateDone() : clock.instant());
        synchronized (state) {
            state.groups.put(group.groupId(), new BackendState.Stored<>(copy, clock.instant()));
        }
    }

    @Override
    public Optional<GroupMeta> restoreGroup(String groupId) {
        ensureOpen();
        synchronized (state) {
            BackendState.Stored<GroupMeta> s = state.groups.get(groupId);
            return s == null || expired(s.storedAt(), clock.instant()) ? Optional.empty() : Optional.of(s.value());
        }
    }

    @Override
    public void forgetGroup(String groupId) {
        ensureOpen();
        synchronized (state) {
            state.groups.remove(groupId);
        }
        state.chordCounters.remove(groupId);
    }

    @Override
    public long incrementChordCounter(String groupId, long delta) {
        ensureOpen();
        return state.chordCounters.computeIfAbsent(groupId, k -> new AtomicLong()).addAndGet(delta);
    }

    @Override
    public long cleanup() {
        ensureOpen();
        if (expires == null) {
            return 0;
        }
        long removed = 0;
        synchronized (state) {
            Instant now = clock.instant();
            for (Iterator<BackendState.Stored<TaskMeta>> it = state.tasks.values().iterator(); it.hasNext(); ) {
                if (expired(it.next().storedAt(), now)) {
                    it.remove();
                    removed++;
                }
            }
            for (Iterator<Map.Entry<String, BackendState.Stored<GroupMeta>>> it = state.groups.entrySet().iterator();
                 it.hasNext(); ) {
                Map.Entry<String, BackendState.Stored<GroupMeta>> e = it.next();
                if (expired(e.getValue().storedAt(), now)) {
                    it.remove();
                    state.chordCounters.remove(e.getKey());
                    removed++;
                }
            }
        }
        return removed;
    }

    @Override
    public Optional<Coordination> coordination() {
        return Optional.of(namespace.coordination);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        failPending();
    }

    private void failPending() {
        for (Waiter w : new ArrayList<>(pending)) {
            w.future().completeExceptionally(new ResultBackendException("the memory://" + namespace.name
                    + " result backend was closed while waiting for task " + w.taskId()));
        }
    }

    @Override
    public String toString() {
        return "MemoryResultBackend[memory://" + namespace.name + "]";
    }
}
