package org.celeriac.transport.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.celeriac.spi.broker.BrokerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background writer of a broker: takes published messages from an in-memory queue and inserts them in
 * batches (one JDBC batch and one transaction per batch: group commit), completing each publish's future
 * after the commit. Thread-safe: {@link #submit} may be called from any thread and never blocks.
 */
final class PublishWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PublishWriter.class);
    /** How long a batch is retried while the database is unreachable (e.g. the AUTO_SERVER host moves). */
    private static final Duration RETRY_BUDGET = Duration.ofSeconds(15);

    /**
     * One message waiting to be inserted; {@code broadcast} ones go to {@code celeriac_broadcast} (fanout to
     * subscribers) instead of being routed to queues.
     */
    record Pending(String exchange, String routingKey, int priority, long notBefore, byte[] headers,
                   byte[] properties, byte[] body, CompletableFuture<Void> done, boolean broadcast) {
    }

    /** Told after a commit which queues got messages and which exchanges got broadcasts. */
    interface Committed {
        void accept(Set<String> queues, Set<String> broadcastExchanges);
    }

    /** Runs inside a batch's transaction once its rows are inserted (PostgreSQL: NOTIFY). */
    interface BeforeCommit {
        void accept(Connection c, Map<String, Long> queues, Set<String> broadcastExchanges) throws SQLException;
    }

    /** Resolves the queues of an exchange + routing key on a connection. */
    interface Router {
        List<String> route(Connection c, String exchange, String routingKey) throws SQLException;
    }

    private final Database db;
    private final Router router;
    private final Committed onCommitted;
    private final BeforeCommit beforeCommit;
    private final long broadcastTtlMillis;
    /** When expired broadcasts were last deleted (writer thread only). */
    private long lastBroadcastCleanup;
    private final int maxBatch;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final ReentrantReadWriteLock closeLock = new ReentrantReadWriteLock();
    private volatile boolean closing;

    PublishWriter(Database db, Router router, Committed onCommitted, BeforeCommit beforeCommit, int maxBatch,
                  Duration broadcastTtl, String name) {
        this.db = db;
        this.router = router;
        this.onCommitted = onCommitted;
        this.beforeCommit = beforeCommit;
        this.broadcastTtlMillis = broadcastTtl.toMillis();
        this.maxBatch = maxBatch;
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
        thread.start();
    }

    /** Queues a message; its future completes after the commit. Never blocks. */
    void submit(Pending p) {
        closeLock.readLock().lock();
        try {
            if (closing) {
                throw new BrokerException("the SQL broker is closed; create a new one to publish");
            }
            queue.add(p);
        } finally {
            closeLock.readLock().unlock();
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(maxBatch);
        while (!closing || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(50, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                write(batch);
            } catch (InterruptedException e) {
                if (!closing) {
                    LOG.warn("SQL broker publish writer interrupted; pending publishes are written on close");
                }
                Thread.interrupted();
            } catch (RuntimeException e) {
                LOG.error("SQL broker publish writer failed unexpectedly", e);
                batch.forEach(p -> p.done().completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
    }

    /** Inserts a batch in one transaction and completes its futures. */
    private void write(List<Pending> batch) {
        Map<String, Long> touched = new HashMap<>(); // queue -> earliest not_before published to it
        Set<String> exchanges = new HashSet<>();
        try {
            db.inTransactionRetrying(RETRY_BUDGET, c -> {
                touched.clear();
                exchanges.clear();
                insert(c, batch, touched, exchanges);
                if (!touched.isEmpty() || !exchanges.isEmpty()) {
                    beforeCommit.accept(c, touched, exchanges);
                }
                return null;
            });
        } catch (RuntimeException e) {
            BrokerException failure = e instanceof BrokerException b ? b
                    : new BrokerException("publishing to the SQL broker failed: " + e.getMessage(), e);
            LOG.warn("{} published message(s) were not stored: {}", batch.size(), failure.getMessage());
            batch.forEach(p -> p.done().completeExceptionally(failure));
            return;
        }
        if (!touched.isEmpty() || !exchanges.isEmpty()) {
            onCommitted.accept(touched.keySet(), exchanges);
        }
        batch.forEach(p -> p.done().complete(null));
    }

    private void insert(Connection c, List<Pending> batch, Map<String, Long> touched, Set<String> exchanges)
            throws SQLException {
        long now = System.currentTimeMillis();
        int rows = 0;
        int broadcasts = 0;
        for (Pending p : batch) {
            if (p.broadcast()) {
                broadcasts++;
            }
        }
        if (broadcasts > 0) {
            try (PreparedStatement ps = c.prepareStatement(Statements.INSERT_BROADCAST)) {
                for (Pending p : batch) {
                    if (p.broadcast()) {
                        ps.setString(1, p.exchange());
                        ps.setString(2, p.routingKey());
                        ps.setLong(3, now);
                        ps.setBytes(4, p.headers());
                        ps.setBytes(5, p.properties());
                        ps.setBytes(6, p.body());
                        ps.addBatch();
                        exchanges.add(p.exchange());
                    }
                }
                ps.executeBatch();
            }
            if (now - lastBroadcastCleanup > broadcastTtlMillis / 2) { // lazily: at most twice per TTL
                try (PreparedStatement ps = c.prepareStatement(Statements.EXPIRE_BROADCASTS)) {
                    ps.setLong(1, now - broadcastTtlMillis);
                    ps.executeUpdate();
                }
                lastBroadcastCleanup = now;
            }
            if (broadcasts == batch.size()) {
                return;
            }
        }
        try (PreparedStatement ps = c.prepareStatement(Statements.INSERT)) {
            for (Pending p : batch) {
                if (p.broadcast()) {
                    continue;
                }
                for (String q : router.route(c, p.exchange(), p.routingKey())) {
                    bind(ps, q, p, now);
                    ps.addBatch();
                    touched.merge(q, p.notBefore(), Math::min);
                    rows++;
                }
            }
            if (rows > 0) {
                ps.executeBatch();
            }
        }
    }

    /** Binds the insert statement's parameters for one message and one queue. */
    static void bind(PreparedStatement ps, String queue, Pending p, long now) throws SQLException {
        ps.setString(1, queue);
        ps.setString(2, p.exchange());
        ps.setString(3, p.routingKey());
        ps.setInt(4, p.priority());
        ps.setLong(5, p.notBefore());
        ps.setLong(6, now);
        ps.setBytes(7, p.headers());
        ps.setBytes(8, p.properties());
        ps.setBytes(9, p.body());
    }

    /** Writes what is queued, then stops the thread. Blocking; idempotent. */
    @Override
    public void close() {
        closeLock.writeLock().lock();
        try {
            closing = true;
        } finally {
            closeLock.writeLock().unlock();
        }
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Pending> late = new ArrayList<>();
        queue.drainTo(late);
        if (!late.isEmpty()) { // raced with close: write them here
            write(late);
        }
    }
}
