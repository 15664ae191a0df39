package org.celeriac.transport.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.celeriac.spi.coordination.Coordination;

/**
 * {@link Coordination} over the {@code celeriac_kv} table: one row per key with an owner (leases), a
 * number (counters), a value and {@code expires_at} (epoch ms, 0 = never). Counters and values share one
 * key space, as in Redis (a counter's value reads as its decimal digits); leases live under
 * {@code lease:<name>}. Each call is one transaction
 * that locks the key's row ({@code SELECT … FOR UPDATE}); a missing row is inserted, and an insert that
 * loses a race with another process is retried. Expired rows are treated as absent and overwritten.
 * Thread-safe; every method blocks for one transaction.
 */
final class SqlCoordination implements Coordination {
    private static final Duration RETRY = Duration.ofSeconds(10);
    private static final String SELECT = "select owner, n, v, expires_at from celeriac_kv where k = ? for update";
    private static final String INSERT = "insert into celeriac_kv (k, owner, n, v, expires_at) values (?, ?, ?, ?, ?)";
    private static final String UPDATE = "update celeriac_kv set owner = ?, n = ?, v = ?, expires_at = ? where k = ?";
    private static final String DELETE = "delete from celeriac_kv where k = ?";
    private static final String RELEASE = "delete from celeriac_kv where k = ? and owner = ?";

    private final Database db;

    SqlCoordination(Database db) {
        this.db = db;
    }

    private record Entry(String owner, long n, byte[] v) {
    }

    /** The live entry of {@code key}, locked for this transaction; null when missing or expired. */
    private static Entry read(Connection c, String key, long now, boolean[] exists) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT)) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    exists[0] = false;
                    return null;
                }
                exists[0] = true;
                long expires = rs.getLong(4);
                if (expires != 0 && expires <= now) {
                    return null;
                }
                return new Entry(rs.getString(1), rs.getLong(2), rs.getBytes(3));
            }
        }
    }

    private static void write(Connection c, boolean exists, String key, String owner, long n, byte[] v,
                              long expiresAt) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(exists ? UPDATE : INSERT)) {
            if (exists) {
                ps.setString(1, owner);
                ps.setLong(2, n);
                ps.setBytes(3, v);
                ps.setLong(4, expiresAt);
                ps.setString(5, key);
            } else {
                ps.setString(1, key);
                ps.setString(2, owner);
                ps.setLong(3, n);
                ps.setBytes(4, v);
                ps.setLong(5, expiresAt);
            }
            ps.executeUpdate();
        }
    }

    private static long expiresAt(long now, Duration ttl) {
        return ttl == null ? 0 : now + Math.max(1, ttl.toMillis());
    }

    /** Runs {@code work}, retrying when a concurrent insert of the same key won (duplicate key). */
    private <T> T withKey(Database.Work<T> work) {
        long deadline = System.nanoTime() + RETRY.toNanos();
        while (true) {
            try {
                return db.inTransactionRetrying(RETRY, work);
            } catch (RuntimeException e) {
                if (!SqlErrors.isDuplicateKey(e) || System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    /** Blocks for one transaction. */
    @Override
    public boolean tryAcquireLease(String name, String owner, Duration ttl) {
        Objects.requireNonNull(owner, "owner");
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a lease needs a positive ttl, got " + ttl);
        }
        return withKey(c -> {
            long now = System.currentTimeMillis();
            boolean[] exists = new boolean[1];
            Entry e = read(c, "lease:" + name, now, exists);
            if (e != null && !owner.equals(e.owner())) {
                return false;
            }
            write(c, exists[0], "lease:" + name, owner, 0, null, expiresAt(now, ttl));
            return true;
        });
    }

    /** Blocks for one transaction. */
    @Override
    public void releaseLease(String name, String owner) {
        db.inTransactionRetrying(RETRY, c -> {
            try (PreparedStatement ps = c.prepareStatement(RELEASE)) {
                ps.setString(1, "lease:" + name);
                ps.setString(2, owner);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Blocks for one transaction. */
    @Override
    public long incrementAndGet(String key, long delta, Duration ttl) {
        return withKey(c -> {
            long now = System.currentTimeMillis();
            boolean[] exists = new boolean[1];
            Entry e = read(c, key, now, exists);
            long value = (e == null ? 0 : e.n()) + delta;
            write(c, exists[0], key, null, value, Long.toString(value).getBytes(StandardCharsets.US_ASCII),
                    expiresAt(now, ttl));
            return value;
        });
    }

    /** Blocks for one transaction. */
    @Override
    public void put(String key, byte[] value, Duration ttl) {
        Objects.requireNonNull(value, "value");
        withKey(c -> {
            long now = System.currentTimeMillis();
            boolean[] exists = new boolean[1];
            read(c, key, now, exists);
            write(c, exists[0], key, null, 0, value, expiresAt(now, ttl));
            return null;
        });
    }

    /** Blocks for one query. */
    @Override
    public Optional<byte[]> get(String key) {
        return db.inTransactionRetrying(RETRY, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "select v, expires_at from celeriac_kv where k = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<byte[]>empty();
                    }
                    long expires = rs.getLong(2);
                    return expires != 0 && expires <= System.currentTimeMillis() ? Optional.<byte[]>empty()
                            : Optional.ofNullable(rs.getBytes(1));
                }
            }
        });
    }

    /** Blocks for one transaction. */
    @Override
    public void delete(String key) {
        db.inTransactionRetrying(RETRY, c -> {
            try (PreparedStatement ps = c.prepareStatement(DELETE)) {
                ps.setString(1, key);
                ps.executeUpdate();
            }
            return null;
        });
    }
}
