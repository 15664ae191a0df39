package org.celeriac.core.control;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Celery's {@code LimitedSet} ({@code celery/utils/collections.py}), used for the revoked task ids: a set
 * with a maximum size (the oldest entries go first) whose entries expire. Timestamps are seconds on the
 * monotonic clock ({@link System#nanoTime()}, which on Linux is the {@code CLOCK_MONOTONIC} Python's
 * {@code time.monotonic()} reads, so the values a Java worker sends in a {@code hello} reply mean the same
 * to a Python worker on the same machine). Thread-safe (every method is synchronized).
 */
public final class LimitedSet {
    /** Celery's {@code REVOKES_MAX}. */
    public static final int REVOKES_MAX = 50_000;
    /** Celery's {@code REVOKE_EXPIRES}, seconds (3 hours). */
    public static final double REVOKE_EXPIRES = 10_800;

    private final int maxLen;
    private final double expires;
    private final LinkedHashMap<String, Double> data = new LinkedHashMap<>();

    /**
     * @param maxLen maximum number of entries; 0 or less means unbounded
     * @param expires seconds after which an entry is dropped; 0 or less means never
     */
    public LimitedSet(int maxLen, double expires) {
        this.maxLen = maxLen;
        this.expires = expires;
    }

    /** A set with Celery's revoke limits: 50 000 entries, 3 hours. */
    public static LimitedSet forRevokes() {
        return new LimitedSet(REVOKES_MAX, REVOKE_EXPIRES);
    }

    /** Seconds on the monotonic clock (Python's {@code time.monotonic()} on Linux). */
    public static double monotonic() {
        return System.nanoTime() / 1e9;
    }

    /** Adds (or refreshes) an id, now. */
    public void add(String id) {
        add(id, monotonic());
    }

    /** Adds (or refreshes) an id with its timestamp (seconds, monotonic). */
    public synchronized void add(String id, double timestamp) {
        data.remove(id);
        data.put(id, timestamp);
        purgeLocked(monotonic());
    }

    /**
     * Merges what another node sent ({@code LimitedSet.update}): a map of {@code id -> [timestamp, id]} or
     * {@code id -> timestamp}, or a list of ids. Malformed entries are skipped.
     */
    public void update(Object other) {
        if (other instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                Object v = e.getValue();
                if (v instanceof List<?> l && !l.isEmpty()) {
                    v = l.get(0);
                }
                if (v instanceof Number n) {
                    add(String.valueOf(e.getKey()), n.doubleValue());
                }
            }
        } else if (other instanceof Iterable<?> it) {
            for (Object o : it) {
                if (o != null) {
                    add(String.valueOf(o));
                }
            }
        }
    }

    /** True when the id is in the set (and not expired). */
    public synchronized boolean contains(String id) {
        Double ts = data.get(id);
        if (ts == null) {
            return false;
        }
        if (expires > 0 && ts < monotonic() - expires) {
            data.remove(id);
            return false;
        }
        return true;
    }

    /** Drops expired entries and those over the size limit. */
    public synchronized void purge() {
        purgeLocked(monotonic());
    }

    private void purgeLocked(double now) {
        Iterator<Map.Entry<String, Double>> it = data.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Double> e = it.next();
            boolean over = maxLen > 0 && data.size() > maxLen;
            boolean expired = expires > 0 && e.getValue() < now - expires;
            if (!over && !expired) {
                break; // insertion order: the rest is newer (timestamps of merged entries may be older; fine)
            }
            it.remove();
        }
    }

    /** The ids, oldest first. */
    public synchronized List<String> ids() {
        purgeLocked(monotonic());
        return new ArrayList<>(data.keySet());
    }

    /** Celery's {@code _data} as sent in a {@code hello} reply: {@code {id: [timestamp, id]}}. */
    public synchronized Map<String, Object> asData() {
        purgeLocked(monotonic());
        Map<String, Object> out = new LinkedHashMap<>();
        data.forEach((id, ts) -> out.put(id, List.of(ts, id)));
        return out;
    }

    /** Number of entries. */
    public synchronized int size() {
        return data.size();
    }
}
