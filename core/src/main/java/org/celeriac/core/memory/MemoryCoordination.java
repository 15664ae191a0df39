package org.celeriac.core.memory;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.celeriac.spi.coordination.Coordination;

/**
 * In-memory {@link Coordination}: leases, counters and key/value with TTL, expired lazily against a
 * clock. Thread-safe (every method is atomic); never blocks for long.
 */
public final class MemoryCoordination implements Coordination {
    private final InstantSource clock;
    private final Map<String, Lease> leases = new HashMap<>();
    private final Map<String, Counter> counters = new HashMap<>();
    private final Map<String, Value> values = new HashMap<>();

    private record Lease(String owner, Instant expires) {
    }

    private record Counter(long value, Instant expires) {
    }

    private record Value(byte[] bytes, Instant expires) {
    }

    /** @param clock the time source for expiry (tests pass a controllable one) */
    public MemoryCoordination(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    private boolean expired(Instant expires, Instant now) {
        return expires != null && !now.isBefore(expires);
    }

    private Instant expiry(Duration ttl, Instant now) {
        if (ttl == null) {
            return null;
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive (or null for no expiry), was " + ttl);
        }
        return now.plus(ttl);
    }

    @Override
    public synchronized boolean tryAcquireLease(String name, String owner, Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        Instant now = clock.instant();
        Lease held = leases.get(name);
        if (held == null || expired(held.expires(), now) || held.owner().equals(owner)) {
            leases.put(name, new Lease(owner, expiry(ttl, now)));
            return true;
        }
        return false;
    }

    @Override
    public synchronized void releaseLease(String name, String owner) {
        Lease held = leases.get(name);
        if (held != null && held.owner().equals(owner)) {
            leases.remove(name);
        }
    }

    @Override
    public synchronized long incrementAndGet(String key, long delta, Duration ttl) {
        Instant now = clock.instant();
        Counter c = counters.get(key);
        long base = c == null || expired(c.expires(), now) ? 0 : c.value();
        long next = base + delta;
        counters.put(key, new Counter(next, expiry(ttl, now)));
        return next;
    }

    @Override
    public synchronized void put(String key, byte[] value, Duration ttl) {
        values.put(key, new Value(value.clone(), expiry(ttl, clock.instant())));
    }

    @Override
    public synchronized Optional<byte[]> get(String key) {
        Value v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (expired(v.expires(), clock.instant())) {
            values.remove(key);
            return Optional.empty();
        }
        return Optional.of(v.bytes().clone());
    }

    @Override
    public synchronized void delete(String key) {
        values.remove(key);
        counters.remove(key);
    }
}
