package org.celeriac.core.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.celeriac.core.control.LamportClock;
import org.celeriac.core.control.LimitedSet;
import org.celeriac.spi.coordination.Coordination;
import org.celeriac.spi.serializer.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revoked task ids that outlive the worker (issue #9; Celery keeps them only in memory, or in the
 * {@code --statedb} shelve of one worker): the worker's revoked set (Celery's limits: 50 000 ids, 3 hours) is saved
 * <ul>
 *   <li>in the cluster's {@link Coordination} (the broker's, else the result backend's), under
 *       {@value #KEY} with a 3-hour TTL, when {@code worker_persistent_revokes} is on (the default) — so a worker
 *       started later, on any host, honours revokes made while no worker was running (mingle covers the others);</li>
 *   <li>in the file {@code worker_state_db} ({@code --statedb}), when set: JSON
 *       {@code {"revoked": {id: unix time}, "clock": n}} (not Celery's shelve format), with the Lamport clock.</li>
 * </ul>
 * Each worker writes its whole set (debounced: at most once a second after a revoke, and at shutdown) and merges
 * what it finds at start; since every worker gets every revoke broadcast, the last writer's set holds them all.
 * Failures are logged, never fatal. Thread-safe.
 */
final class RevokeStore {
    private static final Logger LOG = LoggerFactory.getLogger("celeriac.worker");
    static final String KEY = "celeriac.revoked";
    private static final Duration TTL = Duration.ofSeconds((long) LimitedSet.REVOKE_EXPIRES);

    private final LimitedSet revoked;
    private final LamportClock clock;
    private final Coordination coordination; // nullable
    private final Path file; // nullable
    private final Serializer json;
    private final AtomicBoolean savePending = new AtomicBoolean();

    /**
     * @param coordination where the cluster keeps them; empty: not in the cluster
     * @param file {@code worker_state_db}; nullable
     * @param json the {@code json} serializer
     */
    RevokeStore(LimitedSet revoked, LamportClock clock, Optional<Coordination> coordination, Path file,
                Serializer json) {
        this.json = json;
        this.revoked = revoked;
        this.clock = clock;
        this.coordination = coordination.orElse(null);
        this.file = file;
    }

    boolean enabled() {
        return coordination != null || file != null;
    }

    /** Merges what was saved (at start, before consuming). */
    void load() {
        if (coordination != null) {
            try {
                coordination.get(KEY).ifPresent(bytes -> {
                    int n = merge(bytes);
                    LOG.info("Loaded {} revoked task id(s) kept by the cluster ({})", n, KEY);
                });
            } catch (RuntimeException e) {
                LOG.warn("Cannot read the revoked task ids kept by the cluster ({}): {}", KEY, e.toString());
            }
        }
        if (file != null && Files.exists(file)) {
            try {
                int n = merge(Files.readAllBytes(file));
                LOG.info("Loaded {} revoked task id(s) from worker_state_db {}", n, file);
            } catch (IOException | RuntimeException e) {
                Path aside = file.resolveSibling(file.getFileName() + ".corrupt");
                LOG.warn("worker_state_db {} cannot be read ({}); moved aside to {} and started afresh", file,
                        e.toString(), aside);
                try {
                    Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e2) {
                    LOG.warn("cannot move {} aside: {}", file, e2.toString());
                }
            }
        }
    }

    private int merge(byte[] bytes) {
        Object decoded;
        try {
            decoded = json.decode(bytes);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not Celeriac's revoked-ids JSON: " + e.getMessage(), e);
        }
        if (!(decoded instanceof Map<?, ?> doc) || !(doc.get("revoked") instanceof Map<?, ?> ids)) {
            throw new IllegalArgumentException("no 'revoked' object");
        }
        double nowWall = System.currentTimeMillis() / 1000d;
        double nowMono = LimitedSet.monotonic();
        int n = 0;
        for (Map.Entry<?, ?> e : ids.entrySet()) {
            if (e.getValue() instanceof Number wall && nowWall - wall.doubleValue() < LimitedSet.REVOKE_EXPIRES) {
                revoked.add(String.valueOf(e.getKey()), nowMono - (nowWall - wall.doubleValue()));
                n++;
            }
        }
        if (doc.get("clock") instanceof Number c) {
            clock.adjust(c.longValue());
        }
        return n;
    }

    /** After a revoke: saves within a second (several revokes share one write). */
    void changed(ScheduledExecutorService scheduler) {
        if (enabled() && scheduler != null && !scheduler.isShutdown() && savePending.compareAndSet(false, true)) {
            scheduler.schedule(() -> {
                savePending.set(false);
                save();
            }, 1, TimeUnit.SECONDS);
        }
    }

    /** Writes the set now (at shutdown, and debounced after revokes). Blocks for the write. */
    synchronized void save() {
        if (!enabled()) {
            return;
        }
        double nowWall = System.currentTimeMillis() / 1000d;
        double nowMono = LimitedSet.monotonic();
        Map<String, Object> ids = new LinkedHashMap<>();
        revoked.asData().forEach((id, v) -> {
            Object ts = v instanceof List<?> l && !l.isEmpty() ? l.get(0) : v;
            if (ts instanceof Number mono) {
                ids.put(id, nowWall - (nowMono - mono.doubleValue()));
            }
        });
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("revoked", ids);
        doc.put("clock", clock.value());
        byte[] bytes;
        try {
            bytes = json.encode(doc);
        } catch (RuntimeException e) {
            LOG.warn("cannot encode the revoked task ids: {}", e.toString());
            return;
        }
        if (coordination != null && !ids.isEmpty()) {
            try {
                coordination.put(KEY, bytes, TTL);
            } catch (RuntimeException e) {
                LOG.warn("Cannot save the revoked task ids in the cluster ({}): {}", KEY, e.toString());
            }
        }
        if (file != null) {
            try {
                Path parent = file.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException e) {
                LOG.warn("Cannot write worker_state_db {}: {}", file, e.toString());
            }
        }
    }

    /** For the log: what is kept where. */
    @Override
    public String toString() {
        return "RevokeStore[" + (coordination != null ? KEY : "") + (file != null ? " " + file : "") + "]";
    }
}
