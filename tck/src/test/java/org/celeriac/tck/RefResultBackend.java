package org.celeriac.tck;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.api.TaskState;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendCapabilities;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;

/** The TCK's tiny reference result backend, with switchable faults. Push-based; expiry by cleanup(). */
final class RefResultBackend implements ResultBackend {

    enum Fault { NON_ATOMIC_CHORD, OVERWRITES_SUCCESS, NEVER_WAKES, FORGET_IS_A_NOOP, DROPS_TRACEBACK, WAKES_ON_UNREADY }

    /** The store: shared by backends that model one server. */
    static final class Store {
        final Map<String, Stored> tasks = new ConcurrentHashMap<>();
        final Map<String, GroupMeta> groups = new ConcurrentHashMap<>();
        final Map<String, Long> counters = new ConcurrentHashMap<>();
        final Map<String, List<CompletableFuture<TaskMeta>>> waiters = new ConcurrentHashMap<>();
    }

    record Stored(TaskMeta meta, Instant at) {
    }

    private final Store store;
    private final Set<Fault> faults;
    private final Duration expires;
    private final List<CompletableFuture<TaskMeta>> mine = new CopyOnWriteArrayList<>();

    RefResultBackend(Store store, Set<Fault> faults, Duration expires) {
        this.store = store;
        this.faults = faults.isEmpty() ? EnumSet.noneOf(Fault.class) : EnumSet.copyOf(faults);
        this.expires = expires;
    }

    @Override
    public ResultBackendCapabilities capabilities() {
        return new ResultBackendCapabilities(true, false, true, false, false);
    }

    @Override
    public void store(TaskMeta meta) {
        TaskMeta m = faults.contains(Fault.DROPS_TRACEBACK)
                ? new TaskMeta(meta.taskId(), meta.state(), meta.result(), null, meta.children(), meta.dateDone(),
                        meta.groupId(), meta.parentId(), meta.extended())
                : meta;
        synchronized (store) {
            Stored old = store.tasks.get(m.taskId());
            if (old != null && old.meta().state().equals(TaskState.SUCCESS) && !faults.contains(Fault.OVERWRITES_SUCCESS)) {
                return;
            }
            store.tasks.put(m.taskId(), new Stored(m, Instant.now()));
        }
        if ((m.state().isReady() || faults.contains(Fault.WAKES_ON_UNREADY)) && !faults.contains(Fault.NEVER_WAKES)) {
            List<CompletableFuture<TaskMeta>> w = store.waiters.remove(m.taskId());
            if (w != null) {
                w.forEach(f -> f.complete(m));
            }
        }
    }

    private boolean expired(Stored s) {
        return expires != null && !Instant.now().isBefore(s.at().plus(expires));
    }

    @Override
    public Optional<TaskMeta> get(String taskId) {
        Stored s = store.tasks.get(taskId);
        return s == null ? Optional.empty() : Optional.of(s.meta());
    }

    @Override
    public CompletableFuture<TaskMeta> whenReady(String taskId, Duration pollInterval) {
        CompletableFuture<TaskMeta> f = new CompletableFuture<>();
        synchronized (store) {
            Stored s = store.tasks.get(taskId);
            if (s != null && s.meta().state().isReady()) {
                f.complete(s.meta());
                return f;
            }
            store.waiters.computeIfAbsent(taskId, k -> new CopyOnWriteArrayList<>()).add(f);
        }
        mine.add(f);
        return f;
    }

    @Override
    public void forget(String taskId) {
        if (!faults.contains(Fault.FORGET_IS_A_NOOP)) {
            store.tasks.remove(taskId);
        }
    }

    @Override
    public void saveGroup(GroupMeta group) {
        store.groups.put(group.groupId(), group);
    }

    @Override
    public Optional<GroupMeta> restoreGroup(String groupId) {
        return Optional.ofNullable(store.groups.get(groupId));
    }

    @Override
    public void forgetGroup(String groupId) {
        store.groups.remove(groupId);
    }

    @Override
    public long incrementChordCounter(String groupId, long delta) {
        if (faults.contains(Fault.NON_ATOMIC_CHORD)) {
            long v = store.counters.getOrDefault(groupId, 0L) + delta;
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            store.counters.put(groupId, v);
            return v;
        }
        return store.counters.merge(groupId, delta, Long::sum);
    }

    @Override
    public long cleanup() {
        long[] n = {0};
        store.tasks.entrySet().removeIf(e -> {
            boolean x = expired(e.getValue());
            if (x) {
                n[0]++;
            }
            return x;
        });
        return n[0];
    }

    @Override
    public void close() {
        for (CompletableFuture<TaskMeta> f : mine) {
            f.completeExceptionally(new ResultBackendException("ref backend closed"));
        }
    }
}
