package org.celeriac.spi.coordination;

import java.time.Duration;
import java.util.Optional;

/**
 * Leases (beat's single leader), atomic counters (chords, global rate limits) and key/value with TTL
 * (persistent revokes), stored in a broker or result backend so that every process of a cluster sees
 * the same values. Thread-safe; every method blocks for one round trip to the store.
 */
public interface Coordination {

    /**
     * Takes the lease {@code name} for {@code owner}, or renews it when {@code owner} already holds it.
     *
     * @param ttl how long the lease lasts unless renewed; positive
     * @return true when {@code owner} holds the lease after the call
     */
    boolean tryAcquireLease(String name, String owner, Duration ttl);

    /** Gives the lease up if {@code owner} holds it; otherwise does nothing. */
    void releaseLease(String name, String owner);

    /**
     * Atomically adds {@code delta} to a counter (missing counters start at 0) and returns the new value.
     *
     * @param ttl how long the counter lives after this update; null keeps it forever
     */
    long incrementAndGet(String key, long delta, Duration ttl);

    /**
     * Stores a value.
     *
     * @param ttl how long it lives; null keeps it forever
     */
    void put(String key, byte[] value, Duration ttl);

    /** The value of {@code key}, empty when missing or expired. */
    Optional<byte[]> get(String key);

    /** Removes {@code key}; missing keys are ignored. */
    void delete(String key);
}
