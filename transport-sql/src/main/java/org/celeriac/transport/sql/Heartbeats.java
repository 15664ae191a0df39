package org.celeriac.transport.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases of one broker's consumers. Each consumer owns a row of {@code celeriac_heartbeat} (its token,
 * {@code expires_at} in epoch ms) written before its first claim; its claimed messages name it in
 * {@code celeriac_message.claimed_by}. One thread per broker ({@code celeriac-sql-heartbeat}, started with
 * the first consumer) runs every {@link TransportOptions#heartbeatInterval()} (a third of
 * {@code lease_timeout}):
 * <ol>
 *   <li>renews the rows of all live consumers of this broker with one {@code UPDATE … WHERE owner IN (…)}
 *       in one transaction (one write per broker per interval, never per task), re-inserting a row that
 *       another broker expired (the consumer stalled for longer than the lease: its claims may have been
 *       handed out again, which is logged);</li>
 *   <li>deletes every heartbeat row of any process that expired ({@code expires_at < now}) and, when it
 *       deleted some (and every tenth lease in any case, for claims whose owner row vanished otherwise),
 *       gives back every claim whose owner has no heartbeat row, in the same transaction.</li>
 * </ol>
 * So a message stays claimed while its consumer's broker keeps renewing (a task of any length runs once),
 * and the claims of a consumer that died (or was {@link SqlBroker#crash crashed}: it is no longer renewed)
 * return within {@code lease_timeout} plus one interval. Deleting an expired row before releasing its
 * claims makes a late renewal notice the loss (its update count is short) instead of silently keeping
 * claims that were released. Mirrors no Celery code: kombu's SQL transport has no leases at all.
 *
 * <p>Thread-safe. {@link #register} and {@link #unregister} block for one transaction; the thread never
 * throws (failures are logged and retried next interval).
 */
final class Heartbeats {
    private static final Logger LOG = LoggerFactory.getLogger(Heartbeats.class);
    private static final int CHUNK = 256;
    /** Every this many intervals the orphan release runs even when no heartbeat expired (10 leases). */
    private static final int SWEEP_EVERY = 30;

    private final Database db;
    private final long leaseMillis;
    private final long intervalMillis;
    private final Supplier<? extends Iterable<SqlConsumer>> consumers;
    private final Object lock = new Object();
    private ScheduledExecutorService thread;
    private boolean closed;
    private int ticks;

    Heartbeats(Database db, TransportOptions options, Supplier<? extends Iterable<SqlConsumer>> consumers) {
        this.db = db;
        this.leaseMillis = options.leaseTimeout().toMillis();
        this.intervalMillis = Math.max(10, options.heartbeatInterval().toMillis());
        this.consumers = consumers;
    }

    /** Starts the heartbeat thread if it is not running. Never blocks. */
    void start() {
        synchronized (lock) {
            if (thread != null || closed) {
                return;
            }
            thread = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("celeriac-sql-heartbeat").factory());
            thread.scheduleWithFixedDelay(this::tick, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Writes the heartbeat row of a new consumer (before its first claim). Blocks for one transaction.
     *
     * @throws RuntimeException when the database cannot be reached (the consumer loop retries)
     */
    void register(String owner) {
        long expires = System.currentTimeMillis() + leaseMillis;
        try {
            db.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement(Statements.INSERT_HEARTBEAT)) {
                    ps.setString(1, owner);
                    ps.setLong(2, expires);
                    ps.executeUpdate();
                }
                return null;
            });
        } catch (RuntimeException e) {
            if (!SqlErrors.isDuplicateKey(e)) { // a retry after a commit whose answer was lost
                throw e;
            }
        }
    }

    /** Removes a closed consumer's heartbeat row (after its claims were given back). Best effort; blocks. */
    void unregister(String owner) {
        try {
            db.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement(Statements.DELETE_HEARTBEAT)) {
                    ps.setString(1, owner);
                    ps.executeUpdate();
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.debug("Could not delete the heartbeat row of closed consumer {}; it expires by itself: {}", owner,
                    e.getMessage());
        }
    }

    /** One interval: renew this broker's consumers, then expire dead heartbeats and release their claims. */
    void tick() {
        try {
            renew();
        } catch (RuntimeException e) {
            LOG.warn("SQL transport could not renew its consumers' heartbeats (retrying in {} ms; after {} ms "
                    + "without renewal their messages are handed to other consumers): {}", intervalMillis,
                    leaseMillis, e.getMessage());
        }
        try {
            reap(++ticks % SWEEP_EVERY == 0);
        } catch (RuntimeException e) {
            LOG.warn("SQL transport could not expire dead consumers' heartbeats (retrying in {} ms): {}",
                    intervalMillis, e.getMessage());
        }
    }

    private void renew() {
        List<SqlConsumer> live = new ArrayList<>();
        for (SqlConsumer c : consumers.get()) {
            if (c.heartbeatRegistered()) {
                live.add(c);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        long expires = System.currentTimeMillis() + leaseMillis;
        List<SqlConsumer> lost = db.inTransaction(c -> {
            List<SqlConsumer> missing = new ArrayList<>();
            for (int from = 0; from < live.size(); from += CHUNK) {
                List<SqlConsumer> chunk = live.subList(from, Math.min(live.size(), from + CHUNK));
                int updated;
                try (PreparedStatement ps = c.prepareStatement(Statements.renewHeartbeats(chunk.size()))) {
                    ps.setLong(1, expires);
                    for (int i = 0; i < chunk.size(); i++) {
                        ps.setString(i + 2, chunk.get(i).heartbeatOwner());
                    }
                    updated = ps.executeUpdate();
                }
                if (updated < chunk.size()) {
                    missing.addAll(missing(c, chunk));
                }
            }
            return missing;
        });
        for (SqlConsumer c : lost) {
            if (!c.heartbeatRegistered()) {
                continue; // closed meanwhile: its row was deleted on purpose
            }
            LOG.warn("The heartbeat of SQL consumer {} expired (not renewed for {} ms: a stalled process or an "
                    + "unreachable database); messages it held may have been delivered to other consumers, and "
                    + "its acks of them are ignored. Renewing it.", c, leaseMillis);
            register(c.heartbeatOwner());
        }
    }

    private static List<SqlConsumer> missing(Connection c, List<SqlConsumer> chunk) throws SQLException {
        Set<String> present = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(Statements.heartbeatsIn(chunk.size()))) {
            for (int i = 0; i < chunk.size(); i++) {
                ps.setString(i + 1, chunk.get(i).heartbeatOwner());
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    present.add(rs.getString(1));
                }
            }
        }
        return chunk.stream().filter(s -> !present.contains(s.heartbeatOwner())).toList();
    }

    /** Deletes expired heartbeats and, if any (or {@code sweep}), releases the claims without a heartbeat. */
    int reap(boolean sweep) {
        long now = System.currentTimeMillis();
        return db.inTransaction(c -> {
            int expired;
            try (PreparedStatement ps = c.prepareStatement(Statements.EXPIRE_HEARTBEATS)) {
                ps.setLong(1, now);
                expired = ps.executeUpdate();
            }
            if (expired == 0 && !sweep) {
                return 0;
            }
            int released;
            try (PreparedStatement ps = c.prepareStatement(Statements.RELEASE_ORPHANS)) {
                released = ps.executeUpdate();
            }
            if (released > 0) {
                LOG.info("SQL transport gave back {} message(s) claimed by {} consumer(s) whose heartbeat expired "
                        + "(lease_timeout {} ms)", released, expired, leaseMillis);
            }
            return released;
        });
    }

    /** Stops the thread (waits up to 5 s for a running interval). Idempotent. */
    void close() {
        ScheduledExecutorService t;
        synchronized (lock) {
            closed = true;
            t = thread;
            thread = null;
        }
        if (t != null) {
            t.shutdown(); // no interrupt: an interrupted H2 file channel closes the database
            try {
                t.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
