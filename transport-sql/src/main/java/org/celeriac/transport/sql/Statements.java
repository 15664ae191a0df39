package org.celeriac.transport.sql;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * The SQL of the transport, written once for H2, PostgreSQL and MariaDB ({@code LIMIT ?} and
 * {@code FOR UPDATE SKIP LOCKED}, the latter spelled by the Hibernate dialect). Id lists use
 * {@code IN (...)} padded to a power of two so that only a handful of distinct statements exist
 * (drivers and H2 cache prepared statements by text). Stateless.
 */
final class Statements {
    static final String COLUMNS = "id, queue, exchange, routing_key, delivery_count, headers, properties, body";

    static final String INSERT = "insert into celeriac_message (queue, exchange, routing_key, priority, not_before, "
            + "lease_until, delivery_count, published_at, headers, properties, body) "
            + "values (?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?)";

    static final String INSERT_BROADCAST = "insert into celeriac_broadcast (exchange, routing_key, published_at, "
            + "headers, properties, body) values (?, ?, ?, ?, ?, ?)";
    static final String EXPIRE_BROADCASTS = "delete from celeriac_broadcast where published_at < ?";
    static final String LAST_BROADCAST = "select coalesce(max(id), 0) from celeriac_broadcast";
    /** Broadcasts after a cursor, every exchange (ids of other exchanges must not look like gaps). */
    static final String BROADCASTS_AFTER = "select id, exchange, routing_key, headers, properties, body "
            + "from celeriac_broadcast where id > ? order by id limit 1000";

    static final String BINDINGS = "select queue from celeriac_binding where exchange = ? and routing_key = ?";
    static final String BINDING_EXISTS =
            "select 1 from celeriac_binding where exchange = ? and routing_key = ? and queue = ?";
    static final String BIND = "insert into celeriac_binding (exchange, routing_key, queue) values (?, ?, ?)";

    static final String COUNT_READY =
            "select count(*) from celeriac_message where queue = ? and lease_until < ? and not_before <= ?";
    static final String PURGE = "delete from celeriac_message where queue = ? and lease_until < ?";

    /** A consumer's heartbeat row, written before its first claim. Parameters: owner, expires_at. */
    static final String INSERT_HEARTBEAT = "insert into celeriac_heartbeat (owner, expires_at) values (?, ?)";
    /** Removes a closed consumer's heartbeat. Parameter: owner. */
    static final String DELETE_HEARTBEAT = "delete from celeriac_heartbeat where owner = ?";
    /** Removes the heartbeats that were not renewed in time (their consumers are presumed dead). Parameter: now. */
    static final String EXPIRE_HEARTBEATS = "delete from celeriac_heartbeat where expires_at < ?";
    /**
     * Gives back every claim whose consumer has no heartbeat row any more (expired and removed, or never
     * written): the message becomes claimable at once and is delivered with {@code redelivered = true}.
     * No parameters. A scan of the claimed rows; run only after heartbeats expired and every tenth lease.
     */
    static final String RELEASE_ORPHANS = "update celeriac_message set claimed_by = null, lease_until = 0 "
            + "where claimed_by is not null and lease_until > 0 and not exists "
            + "(select 1 from celeriac_heartbeat h where h.owner = celeriac_message.claimed_by)";

    /** Renews heartbeats: parameters expires_at, owners…. */
    static String renewHeartbeats(int owners) {
        return "update celeriac_heartbeat set expires_at = ? where owner in (" + placeholders(owners) + ")";
    }

    /** Which of the owners have a heartbeat row: parameters owners…. */
    static String heartbeatsIn(int owners) {
        return "select owner from celeriac_heartbeat where owner in (" + placeholders(owners) + ")";
    }

    private Statements() {
    }

    /**
     * Step 1 of a claim, per queue and without locks: the ids of the first ready messages. {@code queue = ?}
     * and {@code ORDER BY queue, priority DESC, id} let H2 read them off the {@code celeriac_message_claim}
     * index in order and stop at the limit (with {@code queue IN (...)} or without {@code queue} in the
     * ORDER BY it sorts the whole queue). Parameters: queue, now, now, limit.
     */
    static final String CANDIDATES = "select id, priority from celeriac_message where queue = ? and not_before <= ? "
            + "and lease_until < ? order by queue, priority desc, id limit ?";

    /**
     * Step 2: lock the candidates that are still ready, skipping rows another transaction holds. By primary
     * key only, because H2 locks every row that matches a {@code FOR UPDATE} query's condition before it
     * applies the limit. Parameters: ids…, now, now.
     */
    static String lockCandidates(int ids, String skipLocked) {
        return "select " + COLUMNS + " from celeriac_message where id in (" + placeholders(padded(ids))
                + ") and not_before <= ? and lease_until < ?" + skipLocked;
    }

    /** Finds which of the ids this claim round took (after a race). Parameters: ids…, claimed_by, lease_until. */
    static String claimedIn(int ids) {
        return "select id from celeriac_message where id in (" + placeholders(padded(ids))
                + ") and claimed_by = ? and lease_until = ?";
    }

    /**
     * Marks locked candidates as claimed, re-checking readiness on the current row versions (the rows are
     * locked, so the update count says whether every one was still ready). Parameters: claimed_by,
     * lease_until, ids…, now, now.
     */
    static String markClaimed(int ids) {
        return "update celeriac_message set claimed_by = ?, lease_until = ?, delivery_count = delivery_count + 1 "
                + "where id in (" + placeholders(padded(ids)) + ") and not_before <= ? and lease_until < ?";
    }

    /** Ack: parameters ids…, claimed_by. */
    static String delete(int ids) {
        return "delete from celeriac_message where id in (" + placeholders(padded(ids)) + ") and claimed_by = ?";
    }

    /** Requeue / give back: parameters ids…, claimed_by. */
    static String release(int ids) {
        return "update celeriac_message set claimed_by = null, lease_until = 0 where id in ("
                + placeholders(padded(ids)) + ") and claimed_by = ?";
    }

    /** Dead-letter copy: parameters dead_lettered_at, ids…, claimed_by (null claimed_by: any). */
    static String deadLetter(int ids) {
        return "insert into celeriac_dead_letter (id, queue, exchange, routing_key, priority, delivery_count, "
                + "published_at, dead_lettered_at, headers, properties, body) select id, queue, exchange, routing_key, "
                + "priority, delivery_count, published_at, ?, headers, properties, body from celeriac_message "
                + "where id in (" + placeholders(padded(ids)) + ") and claimed_by = ?";
    }

    static int padded(int n) {
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    static String placeholders(int n) {
        return "?" + ", ?".repeat(Math.max(0, n - 1));
    }

    /** Binds {@code ids} padded by repeating the last one, starting at parameter {@code from}; returns the next index. */
    static int bindIds(PreparedStatement ps, int from, List<Long> ids) throws SQLException {
        int n = padded(ids.size());
        for (int i = 0; i < n; i++) {
            ps.setLong(from + i, ids.get(Math.min(i, ids.size() - 1)));
        }
        return from + n;
    }
}
