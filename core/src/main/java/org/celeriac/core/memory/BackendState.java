package org.celeriac.core.memory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.TaskMeta;

/** The results of one namespace. Maps other than the chord counters are guarded by {@code this}. */
final class BackendState {
    record Stored<T>(T value, Instant storedAt) {
    }

    final Map<String, Stored<TaskMeta>> tasks = new HashMap<>();
    final Map<String, Stored<GroupMeta>> groups = new HashMap<>();
    final Map<String, List<CompletableFuture<TaskMeta>>> waiters = new HashMap<>();
    final Map<String, AtomicLong> chordCounters = new ConcurrentHashMap<>();

    /** Caller holds the monitor. */
    void addWaiter(String taskId, CompletableFuture<TaskMeta> f) {
        waiters.computeIfAbsent(taskId, k -> new ArrayList<>()).add(f);
    }

    /** Caller holds the monitor. */
    void removeWaiter(String taskId, CompletableFuture<TaskMeta> f) {
        List<CompletableFuture<TaskMeta>> l = waiters.get(taskId);
        if (l != null) {
            l.remove(f);
            if (l.isEmpty()) {
                waiters.remove(taskId);
            }
        }
    }
}
