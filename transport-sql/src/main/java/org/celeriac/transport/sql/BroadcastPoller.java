package org.celeriac.transport.sql;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.celeriac.spi.broker.BroadcastHandler;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the broadcasts of {@code celeriac_broadcast} to this broker's subscriptions: one platform
 * thread reads the rows after its cursor (every exchange, in id order), hands each to the subscriptions of
 * its exchange that started before it, and waits the polling interval, or less when this process
 * publishes a broadcast or (PostgreSQL) a NOTIFY arrives. With no subscription the thread waits without
 * querying.
 *
 * <p>Ids come from an identity column, so a row with a smaller id may commit after a larger one was read.
 * The cursor therefore only moves over contiguous ids; rows past a gap are remembered (not delivered
 * twice) and re-read until the gap fills or is {@value #GAP_TIMEOUT_MILLIS} ms old (an id lost to a
 * rollback or an identity cache never comes). Thread-safe.
 */
final class BroadcastPoller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BroadcastPoller.class);
    static final long GAP_TIMEOUT_MILLIS = 2_000;

    private final Database db;
    private final MessageCodec codec;
    private final long pollingNanos;
    private final List<Sub> subs = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeUp = lock.newCondition();
    private boolean signalled;
    private volatile boolean closed;
    private final Thread thread;

    // poller thread only
    private long cursor = -1;
    private final TreeSet<Long> seenAfterGap = new TreeSet<>();
    private long gapSinceMillis;

    private final class Sub implements Subscription {
        final String exchange;
        final BroadcastHandler handler;
        final long startId;
        final AtomicBoolean open = new AtomicBoolean(true);

        Sub(String exchange, BroadcastHandler handler, long startId) {
            this.exchange = exchange;
            this.handler = handler;
            this.startId = startId;
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                subs.remove(this);
            }
        }
    }

    BroadcastPoller(Database db, MessageCodec codec, long pollingNanos) {
        this.db = db;
        this.codec = codec;
        this.pollingNanos = pollingNanos;
        this.thread = Thread.ofPlatform().daemon().name("celeriac-sql-broadcast").unstarted(this::loop);
        thread.start();
    }

    /**
     * Subscribes: messages published to {@code exchange} after this returns are delivered. Blocks for one
     * query (the last broadcast id).
     */
    Subscription subscribe(String exchange, BroadcastHandler handler) {
        long last = db.inTransactionRetrying(java.time.Duration.ofSeconds(10), c -> {
            try (PreparedStatement ps = c.prepareStatement(Statements.LAST_BROADCAST);
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
        Sub sub = new Sub(exchange, handler, last);
        subs.add(sub);
        wake();
        return sub;
    }

    /** True when some subscription reads {@code exchange}. */
    boolean watches(String exchange) {
        for (Sub s : subs) {
            if (s.exchange.equals(exchange)) {
                return true;
            }
        }
        return false;
    }

    /** Ends the current wait early. Never blocks long. */
    void wake() {
        lock.lock();
        try {
            signalled = true;
            wakeUp.signal();
        } finally {
            lock.unlock();
        }
    }

    private void await(long nanos) {
        lock.lock();
        try {
            long left = nanos;
            while (!signalled && !closed && (nanos < 0 || left > 0)) {
                if (nanos < 0) {
                    wakeUp.await();
                } else {
                    left = wakeUp.awaitNanos(left);
                }
            }
            signalled = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    private record Row(long id, String exchange, String routingKey, byte[] headers, byte[] properties, byte[] body) {
    }

    private void loop() {
        long errorWait = TimeUnit.MILLISECONDS.toNanos(50);
        while (!closed) {
            if (subs.isEmpty()) {
                cursor = -1; // start afresh at the next subscription
                seenAfterGap.clear();
                await(-1);
                continue;
            }
            try {
                if (cursor < 0) {
                    long min = Long.MAX_VALUE;
                    for (Sub s : subs) {
                        min = Math.min(min, s.startId);
                    }
                    cursor = min;
                }
                int n = pollOnce();
                errorWait = TimeUnit.MILLISECONDS.toNanos(50);
                if (n < 1000) {
                    await(pollingNanos);
                }
            } catch (RuntimeException e) {
                if (closed) {
                    break;
                }
                LOG.warn("SQL broadcast poller failed to read celeriac_broadcast (retrying in {} ms): {}",
                        TimeUnit.NANOSECONDS.toMillis(errorWait), e.getMessage());
                await(errorWait);
                errorWait = Math.min(errorWait * 2, TimeUnit.SECONDS.toNanos(2));
            }
        }
    }

    /** Reads and delivers the rows after the cursor; returns how many were read. */
    private int pollOnce() {
        long from = cursor;
        List<Row> rows = db.inTransaction(c -> {
            List<Row> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(Statements.BROADCASTS_AFTER)) {
                ps.setLong(1, from);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long id = rs.getLong(1);
                        if (seenAfterGap.contains(id)) {
                            continue;
                        }
                        String exchange = rs.getString(2);
                        boolean wanted = watches(exchange);
                        out.add(new Row(id, exchange, rs.getString(3), wanted ? rs.getBytes(4) : null,
                                wanted ? rs.getBytes(5) : null, wanted ? rs.getBytes(6) : null));
                    }
                }
            }
            return out;
        });
        for (Row r : rows) {
            deliver(r);
            seenAfterGap.add(r.id());
        }
        advance();
        return rows.size();
    }

    private void advance() {
        while (!seenAfterGap.isEmpty() && seenAfterGap.first() == cursor + 1) {
            cursor = seenAfterGap.pollFirst();
        }
        if (seenAfterGap.isEmpty()) {
            gapSinceMillis = 0;
            return;
        }
        long now = System.currentTimeMillis();
        if (gapSinceMillis == 0) {
            gapSinceMillis = now;
        } else if (now - gapSinceMillis > GAP_TIMEOUT_MILLIS) { // the missing ids are not coming
            cursor = seenAfterGap.first() - 1;
            gapSinceMillis = 0;
            advance();
        }
    }

    private void deliver(Row r) {
        if (r.headers() == null) {
            return;
        }
        Message m;
        try {
            m = new Message(codec.decodeHeaders(r.headers()), codec.decodeProperties(r.properties()), r.body());
        } catch (RuntimeException e) {
            LOG.error("Broadcast {} to exchange {} cannot be decoded; skipped", r.id(), r.exchange(), e);
            return;
        }
        for (Sub s : subs) {
            if (s.open.get() && s.exchange.equals(r.exchange()) && r.id() > s.startId) {
                try {
                    s.handler.onMessage(r.routingKey(), m);
                } catch (RuntimeException e) {
                    LOG.error("Broadcast handler of exchange {} failed on message {}; ignored", r.exchange(), r.id(), e);
                }
            }
        }
    }

    /** Stops the thread; subscriptions end. Blocks until the thread stopped (unless called from it). */
    @Override
    public void close() {
        closed = true;
        subs.clear();
        wake();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(java.time.Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
