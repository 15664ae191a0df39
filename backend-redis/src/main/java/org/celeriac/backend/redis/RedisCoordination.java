package org.celeriac.backend.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.celeriac.spi.coordination.Coordination;

/**
 * Leases, counters and values with TTL in Redis, under Celeriac's own keys {@code celeriac.lease.<name>},
 * {@code celeriac.counter.<key>} and {@code celeriac.kv.<key>}. Leases are {@code SET NX PX} with a Lua
 * compare-and-renew / compare-and-delete on the owner. Thread-safe; each method is one round trip.
 */
final class RedisCoordination implements Coordination {
    private static final LuaScript ACQUIRE = new LuaScript("""
            local cur = redis.call('GET', KEYS[1])
            if not cur or cur == ARGV[1] then
              redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
              return 1
            end
            return 0
            """);
    private static final LuaScript RELEASE = new LuaScript("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """);

    private final RedisResultBackend backend;

    RedisCoordination(RedisResultBackend backend) {
        this.backend = backend;
    }

    private static long positiveMillis(Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive (or null for no expiry), was " + ttl);
        }
        return Math.max(1, ttl.toMillis());
    }

    @Override
    public boolean tryAcquireLease(String name, String owner, Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        Long r = backend.await(ACQUIRE.<Long>run(backend.redis, ScriptOutputType.INTEGER,
                new String[] {"celeriac.lease." + name}, LuaScript.arg(owner), LuaScript.arg(positiveMillis(ttl))),
                "taking lease " + name);
        return r != null && r == 1;
    }

    @Override
    public void releaseLease(String name, String owner) {
        backend.await(RELEASE.<Long>run(backend.redis, ScriptOutputType.INTEGER,
                new String[] {"celeriac.lease." + name}, LuaScript.arg(owner)), "releasing lease " + name);
    }

    @Override
    public long incrementAndGet(String key, long delta, Duration ttl) {
        long ms = ttl == null ? 0 : positiveMillis(ttl);
        Long v = backend.await(RedisResultBackend.INCR_EXPIRE.<Long>run(backend.redis, ScriptOutputType.INTEGER,
                new String[] {"celeriac.counter." + key}, LuaScript.arg(delta), LuaScript.arg(ms)),
                "incrementing counter " + key);
        return v == null ? 0 : v;
    }

    @Override
    public void put(String key, byte[] value, Duration ttl) {
        String k = "celeriac.kv." + key;
        backend.await((ttl == null ? backend.redis.set(k, value.clone())
                : backend.redis.set(k, value.clone(), SetArgs.Builder.px(positiveMillis(ttl)))).toCompletableFuture(),
                "storing " + key);
    }

    @Override
    public Optional<byte[]> get(String key) {
        return Optional.ofNullable(backend.await(backend.redis.get("celeriac.kv." + key).toCompletableFuture(),
                "reading " + key));
    }

    @Override
    public void delete(String key) {
        backend.await(backend.redis.del("celeriac.kv." + key, "celeriac.counter." + key).toCompletableFuture(),
                "deleting " + key);
    }
}
