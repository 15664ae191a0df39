package org.celeriac.backend.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.coordination.Coordination;

/**
 * {@link Coordination} in the {@code celeriac_backend_kv} table: one row per key, with the key's kind as a
 * prefix ({@code lease:}, {@code counter:}, {@code kv:}) so the three name spaces never collide.
 * Leases hold {@code owner} and {@code expires_at}; counters {@code num_value}; values {@code kv_value}.
 * Expired rows read as missing and are deleted by {@link JdbcResultBackend#cleanup()}. Times come from
 * this process's clock (processes sharing a database should share a clock, as on one machine).
 * Thread-safe; every method blocks for one or a few round trips.
 */
final class JdbcCoordination implements Coordination {
    private static final int ATTEMPTS = 10;
    private final Database db;

    JdbcCoordination(Database db) {
        this.db = db;
    }

    /**
     * {@inheritDoc} {@code UPDATE ... WHERE owner = ? OR expires_at <= now}, else {@code INSERT}; a
     * duplicate key on the insert means another owner holds it.
     */
    @Override
    public boolean tryAcquireLease(String name, String owner, Duration ttl) {
        Objects.requireNonNull(owner, "owner");
        requirePositive(ttl, "lease " + name);
        String key = "lease:" + Objects.requireNonNull(name, "name");
        Instant now = Instant.now();
        Instant until = TaskMetaRows.expiresAt(now, ttl);
        return db.withConnection("acquiring lease " + name, c -> {
            int n = Sql.upsert(c,
                    "UPDATE celeriac_backend_kv SET owner = ?, expires_at = ? WHERE kv_key = ? AND (owner = ? OR expires_at <= ?)",
                    ps -> {
                        ps.setString(1, owner);
                        TaskMetaRows.setInstant(ps, 2, until);
                        ps.setString(3, key);
                        ps.setString(4, owner);
                        TaskMetaRows.setInstant(ps, 5, now);
                    },
                    "INSERT INTO celeriac_backend_kv (kv_key, owner, expires_at) VALUES (?, ?, ?)",
                    ps -> {
                        ps.setString(1, key);
                        ps.setString(2, owner);
                        TaskMetaRows.setInstant(ps, 3, until);
                    });
            return n > 0;
        });
    }

    @Override
    public void releaseLease(String name, String owner) {
        String key = "lease:" + Objects.requireNonNull(name, "name");
        db.withConnection("releasing lease " + name, c -> Sql.execute(c,
                "DELETE FROM celeriac_backend_kv WHERE kv_key = ? AND owner = ?", ps -> {
                    ps.setString(1, key);
                    ps.setString(2, Objects.requireNonNull(owner, "owner"));
                }));
    }

    /** {@inheritDoc} One transaction per attempt, as for chord counters; an expired counter restarts at 0. */
    @Override
    public long incrementAndGet(String key, long delta, Duration ttl) {
        String k = "counter:" + Objects.requireNonNull(key, "key");
        for (int attempt = 1; ; attempt++) {
            Instant now = Instant.now();
            Instant until = TaskMetaRows.expiresAt(now, ttl);
            try {
                return db.inTransaction("incrementing counter " + key, c -> {
                    int n = Sql.execute(c, "UPDATE celeriac_backend_kv SET num_value = CASE WHEN expires_at <= ? THEN ? "
                            + "ELSE num_value + ? END, expires_at = ? WHERE kv_key = ?", ps -> {
                                TaskMetaRows.setInstant(ps, 1, now);
                                ps.setLong(2, delta);
                                ps.setLong(3, delta);
                                TaskMetaRows.setInstant(ps, 4, until);
                                ps.setString(5, k);
                            });
                    if (n == 0) {
                        Sql.execute(c, "INSERT INTO celeriac_backend_kv (kv_key, num_value, expires_at) VALUES (?, ?, ?)", ps -> {
                            ps.setString(1, k);
                            ps.setLong(2, delta);
                            TaskMetaRows.setInstant(ps, 3, until);
                        });
                        return delta;
                    }
                    try (PreparedStatement ps = c.prepareStatement("SELECT num_value FROM celeriac_backend_kv WHERE kv_key = ?")) {
                        ps.setString(1, k);
                        try (ResultSet rs = ps.executeQuery()) {
                            if (!rs.next()) {
                                throw new SQLException("counter row " + key + " vanished");
                            }
                            return rs.getLong(1);
                        }
                    }
                });
            } catch (ResultBackendException e) {
                if (attempt < ATTEMPTS && (Sql.isDuplicateKey(e) || Vendor.isTransient(e))) {
                    continue;
                }
                throw e;
            }
        }
    }

    @Override
    public void put(String key, byte[] value, Duration ttl) {
        String k = "kv:" + Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Instant until = ttl == null ? null : TaskMetaRows.expiresAt(Instant.now(), requirePositive(ttl, "key " + key));
        Sql.Binder binder = ps -> {
            ps.setBytes(1, value);
            TaskMetaRows.setInstant(ps, 2, until);
            ps.setString(3, k);
        };
        db.withConnection("storing key " + key, c -> Sql.upsert(c,
                "UPDATE celeriac_backend_kv SET kv_value = ?, expires_at = ? WHERE kv_key = ?", binder,
                "INSERT INTO celeriac_backend_kv (kv_value, expires_at, kv_key) VALUES (?, ?, ?)", binder));
    }

    @Override
    public Optional<byte[]> get(String key) {
        String k = "kv:" + Objects.requireNonNull(key, "key");
        Instant now = Instant.now();
        return db.withConnection("reading key " + key, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT kv_value FROM celeriac_backend_kv WHERE kv_key = ? AND (expires_at IS NULL OR expires_at > ?)")) {
                ps.setString(1, k);
                TaskMetaRows.setInstant(ps, 2, now);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.ofNullable(rs.getBytes(1)) : Optional.<byte[]>empty();
                }
            }
        });
    }

    @Override
    public void delete(String key) {
        String k = "kv:" + Objects.requireNonNull(key, "key");
        db.withConnection("deleting key " + key, c -> Sql.execute(c, "DELETE FROM celeriac_backend_kv WHERE kv_key = ?",
                ps -> ps.setString(1, k)));
    }

    private static Duration requirePositive(Duration ttl, String what) {
        if (ttl == null || ttl.isZero() || ttl.isNegative()) {
            throw new IllegalArgumentException("the ttl of " + what + " must be positive, was " + ttl);
        }
        return ttl;
    }
}
