package org.celeriac.transport.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.DeliveryHandler;
import org.celeriac.spi.broker.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer of the SQL transport: one platform thread that, in a loop, settles what was acked or
 * rejected since the last round and claims up to the free prefetch window in the same transaction
 * ({@code SELECT … FOR UPDATE SKIP LOCKED} + {@code UPDATE … SET claimed_by, lease_until}), then hands the
 * claimed deliveries to the handler on that thread. When a claim finds nothing the loop waits, doubling
 * from 1 ms up to the polling interval; a publish of this process to a watched queue, a settlement and
 * {@link #setPrefetch} wake it at once.
 *
 * <p>Thread-safe: {@link #ack}, {@link #reject} and {@link #setPrefetch} may be called from any thread and
 * never block (they queue the work for the loop); {@link #close} blocks until the loop stopped.
 */
final class SqlConsumer implements Consumer {
    private static final Logger LOG = LoggerFactory.getLogger(SqlConsumer.class);
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Duration CLEANUP_BUDGET = Duration.ofSeconds(5);
    private static final long MIN_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_ERROR_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final SqlBroker broker;
    private final Database db;
    private final MessageCodec codec;
    private final List<String> queues;
    private final Set<String> queueSet;
    private final DeliveryHandler handler;
    private final String token = UUID.randomUUID().toString();
    private final String skipLocked;
    private final long pollingNanos;
    /** Hard bound on a claim (visibility_timeout) in ms, or 0 for none: the heartbeat alone decides. */
    private final long visibilityMillis;
    /** True once the heartbeat row is written (before the first claim) and until close. */
    private volatile boolean heartbeatRegistered;
    private final int maxBatch;

    private volatile int prefetch;
    private final ConcurrentHashMap<Long, Delivery> unsettled = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Long> acks = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Long> requeues = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Long> deadLetters = new ConcurrentLinkedQueue<>();
    // owned by the loop thread: settlements drained but not yet committed
    private final List<Long> toAck = new ArrayList<>();
    private final List<Long> toRequeue = new ArrayList<>();
    private final List<Long> toDeadLetter = new ArrayList<>();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeUp = lock.newCondition();
    private boolean signalled;
    /** Set by a claim that found candidates but lost them to another consumer (loop thread only). */
    private boolean contended;
    /** Claims in a row that lost every candidate to other consumers (loop thread only). */
    private int contendedInARow;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set by {@link #abandon()}: stop like a dead process, settling nothing. */
    private volatile boolean abandoned;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread thread;

    SqlConsumer(SqlBroker broker, Database db, MessageCodec codec, TransportOptions options, List<String> queues,
                int prefetch, DeliveryHandler handler) {
        this.broker = broker;
        this.db = db;
        this.codec = codec;
        this.queues = List.copyOf(new LinkedHashSet<>(queues));
        this.queueSet = Set.copyOf(this.queues);
        this.handler = handler;
        this.prefetch = prefetch;
        this.skipLocked = broker.skipLockedClause();
        this.pollingNanos = options.pollingInterval().toNanos();
        this.visibilityMillis = options.visibilityTimeout() == null ? 0 : options.visibilityTimeout().toMillis();
        this.maxBatch = options.claimBatch();
        this.thread = Thread.ofPlatform().daemon()
                .name("celeriac-sql-consumer-" + COUNTER.incrementAndGet() + "-" + String.join(",", this.queues))
                .unstarted(this::loop);
    }

    void start() {
        thread.start();
    }

    /** The owner name of this consumer's heartbeat row and claims ({@code claimed_by}). */
    String heartbeatOwner() {
        return token;
    }

    /** True while the broker must renew this consumer's heartbeat (written, not closed, not crashed). */
    boolean heartbeatRegistered() {
        return heartbeatRegistered && !closed.get();
    }

    /** True when this consumer reads {@code queue}. */
    boolean watches(String queue) {
        return queueSet.contains(queue);
    }

    /** Epoch ms of the earliest delayed message announced by NOTIFY and not yet due; MAX_VALUE for none. */
    private final java.util.concurrent.atomic.AtomicLong nextDue = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);

    /**
     * A message was published to a watched queue by some process (PostgreSQL NOTIFY): due now wakes the loop,
     * a later {@code notBefore} (epoch ms) shortens the idle wait so the message is claimed on time.
     */
    void noteDue(long notBefore) {
        if (notBefore > System.currentTimeMillis()) {
            nextDue.accumulateAndGet(notBefore, Math::min);
        }
        wake();
    }

    /** The idle wait, shortened to the next announced delayed message. */
    private long boundedByNextDue(long nanos) {
        long due = nextDue.get();
        if (due == Long.MAX_VALUE) {
            return nanos;
        }
        long untilDue = TimeUnit.MILLISECONDS.toNanos(due - System.currentTimeMillis());
        if (untilDue <= 0) {
            nextDue.compareAndSet(due, Long.MAX_VALUE);
            return 0;
        }
        return Math.min(nanos, untilDue);
    }

    /** Wakes the polling loop (a local publish, a settlement, a prefetch change, close). Never blocks long. */
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
            while (!signalled && left > 0 && !closed.get()) {
                left = wakeUp.awaitNanos(left);
            }
            signalled = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Acknowledges: the row is deleted with the next round of the loop (batched). Non-blocking, thread-safe.
     *
     * @throws BrokerException when the consumer is closed
     */
    @Override
    public void ack(Delivery delivery) {
        settle(delivery, acks, "ack");
    }

    /**
     * Rejects: with {@code requeue} the claim is released and the message is delivered again (to any
     * consumer) with {@code redelivered = true}; without, it moves to {@code celeriac_dead_letter}.
     * Non-blocking, thread-safe.
     *
     * @throws BrokerException when the consumer is closed
     */
    @Override
    public void reject(Delivery delivery, boolean requeue) {
        settle(delivery, requeue ? requeues : deadLetters, requeue ? "reject(requeue)" : "reject");
    }

    private void settle(Delivery delivery, ConcurrentLinkedQueue<Long> into, String what) {
        if (closed.get()) {
            throw new BrokerException("cannot " + what + " delivery " + delivery.deliveryTag() + ": the consumer of "
                    + queues + " is closed (its unsettled messages were given back to the queue)");
        }
        Long id = parseTag(delivery.deliveryTag());
        if (id == null || !unsettled.remove(id, delivery)) {
            LOG.warn("Ignoring {} of delivery {} from queue {}: not an unsettled delivery of this consumer "
                    + "(settled twice, or from another consumer)", what, delivery.deliveryTag(), delivery.queue());
            return;
        }
        into.add(id);
        wake();
    }

    private static Long parseTag(String tag) {
        try {
            return Long.valueOf(tag);
        } catch (NumberFormatException | NullPointerException e) {
            return null;
        }
    }

    /** Non-blocking, thread-safe; wakes the loop so that a larger window is used at once. */
    @Override
    public void setPrefetch(int prefetch) {
        if (prefetch < 0) {
            throw new IllegalArgumentException("prefetch must be >= 0 (0 = unlimited), got " + prefetch);
        }
        this.prefetch = prefetch;
        wake();
    }

    /** Never blocks. */
    @Override
    public int prefetch() {
        return prefetch;
    }

    /** Number of deliveries handed out and not yet settled; for tests and diagnostics. */
    int unsettledCount() {
        return unsettled.size();
    }

    private int window() {
        int p = prefetch;
        return p == 0 ? maxBatch : Math.min(maxBatch, p - unsettled.size());
    }

    private void loop() {
        long idleWait = 0;
        long errorWait = TimeUnit.MILLISECONDS.toNanos(50);
        try {
            while (!closed.get()) {
                int window = window();
                List<Delivery> batch;
                contended = false;
                try {
                    if (!heartbeatRegistered) { // claims must name a consumer with a heartbeat row
                        broker.heartbeats().register(token);
                        heartbeatRegistered = true;
                    }
                    batch = settleAndClaim(window);
                    errorWait = TimeUnit.MILLISECONDS.toNanos(50);
                } catch (RuntimeException e) {
                    LOG.warn("SQL consumer of {} failed to claim messages (retrying in {} ms): {}", queues,
                            TimeUnit.NANOSECONDS.toMillis(errorWait), e.getMessage());
                    await(errorWait);
                    errorWait = Math.min(errorWait * 2, MAX_ERROR_WAIT_NANOS);
                    continue;
                }
                for (Delivery d : batch) {
                    if (closed.get()) {
                        break; // the rest is given back by cleanup()
                    }
                    dispatch(d);
                }
                if (!batch.isEmpty()) {
                    idleWait = 0;
                    contendedInARow = 0;
                } else if (contended && ++contendedInARow <= 3) {
                    idleWait = 0; // another consumer held the rows we saw: the queue is not empty, look again
                } else if (window <= 0) {
                    await(pollingNanos); // a settlement or setPrefetch wakes us
                } else {
                    idleWait = idleWait == 0 ? MIN_WAIT_NANOS : Math.min(idleWait * 2, broker.idleCapNanos());
                    long wait = boundedByNextDue(idleWait);
                    if (wait > 0) {
                        await(wait);
                    }
                }
            }
        } catch (Throwable t) {
            LOG.error("SQL consumer of {} stopped unexpectedly", queues, t);
            throw t;
        } finally {
            try {
                cleanup();
            } finally {
                finished.countDown();
            }
        }
    }

    private void dispatch(Delivery d) {
        try {
            handler.onDelivery(d);
        } catch (RuntimeException e) {
            LOG.error("Delivery handler failed on delivery {} from {}; rejecting it with requeue", d.deliveryTag(),
                    d.queue(), e);
            Long id = parseTag(d.deliveryTag());
            if (id != null && unsettled.remove(id, d)) {
                requeues.add(id);
            }
        }
    }

    private void drainSettlements() {
        drain(acks, toAck);
        drain(requeues, toRequeue);
        drain(deadLetters, toDeadLetter);
    }

    private static void drain(ConcurrentLinkedQueue<Long> from, List<Long> to) {
        for (Long id; (id = from.poll()) != null; ) {
            to.add(id);
        }
    }

    /**
     * Rows a failed round tried to claim (loop thread only). A round that fails while committing (the connection
     * died: a database crash or restart) may have committed all the same, leaving rows claimed by this live
     * consumer that it never handed out; its heartbeat would keep them from everyone else for ever. The next round
     * that succeeds gives them back first (a no-op for rows the failed round did not take).
     */
    private final List<Long> uncertainClaims = new ArrayList<>();

    private List<Delivery> settleAndClaim(int window) {
        drainSettlements();
        List<Long> attempt = new ArrayList<>();
        List<Delivery> claimed;
        try {
            claimed = db.inTransaction(c -> {
                flushSettlements(c);
                if (!uncertainClaims.isEmpty()) {
                    runIds(c, uncertainClaims, Statements::release);
                }
                return window > 0 && !closed.get() ? claim(c, window, window * Math.min(contendedInARow, 4), attempt)
                        : List.of();
            });
        } catch (RuntimeException e) {
            uncertainClaims.addAll(attempt);
            throw e;
        }
        if (!uncertainClaims.isEmpty()) {
            LOG.info("SQL consumer of {}: gave back {} message(s) whose claim was in doubt after a failed commit",
                    queues, uncertainClaims.size());
            uncertainClaims.clear();
        }
        toAck.clear();
        toRequeue.clear();
        toDeadLetter.clear();
        for (Delivery d : claimed) {
            unsettled.put(Long.valueOf(d.deliveryTag()), d);
        }
        return claimed;
    }

    private void flushSettlements(Connection c) throws SQLException {
        if (!toDeadLetter.isEmpty()) {
            broker.deadLetter(c, toDeadLetter, token);
        }
        runIds(c, toAck, Statements::delete);
        runIds(c, toRequeue, Statements::release);
    }

    private void runIds(Connection c, List<Long> ids, java.util.function.IntFunction<String> sql) throws SQLException {
        for (int from = 0; from < ids.size(); from += maxBatch) {
            List<Long> chunk = ids.subList(from, Math.min(ids.size(), from + maxBatch));
            try (PreparedStatement ps = c.prepareStatement(sql.apply(chunk.size()))) {
                int next = Statements.bindIds(ps, 1, chunk);
                ps.setString(next, token);
                ps.executeUpdate();
            }
        }
    }

    private record Row(long id, String queue, String exchange, String routingKey, int deliveryCount,
                       byte[] headers, byte[] properties, byte[] body) {
    }

    private record Candidate(long id, int priority) {
    }

    /** Loop thread only: which queue a multi-queue claim looks at first. */
    private int roundRobin;

    /**
     * Merges per-queue candidate lists (each in priority, then id order) into one claim order: higher
     * priority first, and among equal priorities one message from each queue in turn (kombu's round-robin
     * cycle), so a long queue cannot starve a short one.
     */
    private static List<Candidate> interleave(List<List<Candidate>> perQueue, int max) {
        if (perQueue.size() == 1) {
            List<Candidate> only = perQueue.get(0);
            return only.size() <= max ? only : only.subList(0, max);
        }
        int[] next = new int[perQueue.size()];
        List<Candidate> out = new ArrayList<>();
        while (out.size() < max) {
            int best = Integer.MIN_VALUE;
            for (int q = 0; q < perQueue.size(); q++) {
                if (next[q] < perQueue.get(q).size()) {
                    best = Math.max(best, perQueue.get(q).get(next[q]).priority());
                }
            }
            if (best == Integer.MIN_VALUE) {
                break;
            }
            for (int q = 0; q < perQueue.size() && out.size() < max; q++) {
                List<Candidate> list = perQueue.get(q);
                if (next[q] < list.size() && list.get(next[q]).priority() == best) {
                    out.add(list.get(next[q]++));
                }
            }
        }
        return out;
    }

    /**
     * Claims up to {@code limit} messages: (1) per queue, the first ready ids in priority then publish order,
     * without locks, merged across queues (after a lost race, the {@code skip} first ones are left to the
     * consumer that holds them); (2) those rows locked by primary key with
     * {@code FOR UPDATE SKIP LOCKED} (rows another consumer is claiming are skipped) and read; (3) marked
     * claimed with a re-check of readiness. Sets {@link #contended} when candidates existed but another
     * transaction had them. The ids about to be marked are added to {@code attempt} first (see
     * {@link #uncertainClaims}).
     */
    private List<Delivery> claim(Connection c, int limit, int skip, List<Long> attempt) throws SQLException {
        long now = System.currentTimeMillis();
        List<List<Candidate>> perQueue = new ArrayList<>(queues.size());
        try (PreparedStatement ps = c.prepareStatement(Statements.CANDIDATES)) {
            int n = queues.size();
            int first = Math.floorMod(roundRobin++, n); // rotate so that no queue is always served first
            for (int i = 0; i < n; i++) {
                ps.setString(1, queues.get((first + i) % n));
                ps.setLong(2, now);
                ps.setLong(3, now);
                ps.setInt(4, skip + limit);
                List<Candidate> list = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        list.add(new Candidate(rs.getLong(1), rs.getInt(2)));
                    }
                }
                perQueue.add(list);
            }
        }
        List<Candidate> candidates = interleave(perQueue, skip + limit);
        if (skip > 0 && candidates.size() <= skip) { // all we saw are held by others: take them in order again
            skip = Math.max(0, candidates.size() - limit);
        }
        candidates = candidates.subList(skip, Math.min(candidates.size(), skip + limit));
        if (candidates.isEmpty()) {
            return List.of();
        }
        List<Long> candidateIds = candidates.stream().map(Candidate::id).toList();
        Map<Long, Row> locked = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(Statements.lockCandidates(candidateIds.size(), skipLocked))) {
            int i = Statements.bindIds(ps, 1, candidateIds);
            ps.setLong(i++, now);
            ps.setLong(i, now);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Row r = new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                            rs.getBytes(6), rs.getBytes(7), rs.getBytes(8));
                    locked.put(r.id(), r);
                }
            }
        }
        if (locked.isEmpty()) {
            contended = true;
            return List.of();
        }
        List<Long> ids = candidateIds.stream().filter(locked::containsKey).toList();
        attempt.addAll(ids);
        long leaseUntil = visibilityMillis > 0 ? now + visibilityMillis : Long.MAX_VALUE;
        int updated;
        try (PreparedStatement ps = c.prepareStatement(Statements.markClaimed(ids.size()))) {
            ps.setString(1, token);
            ps.setLong(2, leaseUntil);
            int i = Statements.bindIds(ps, 3, ids);
            ps.setLong(i++, now);
            ps.setLong(i, now);
            updated = ps.executeUpdate();
        }
        if (updated < ids.size()) { // a row changed between reading and locking it: keep what we really took
            contended = true;
            List<Long> taken = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(Statements.claimedIn(ids.size()))) {
                int i = Statements.bindIds(ps, 1, ids);
                ps.setString(i++, token);
                ps.setLong(i, leaseUntil);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        taken.add(rs.getLong(1));
                    }
                }
            }
            ids = ids.stream().filter(taken::contains).toList();
        }
        List<Delivery> out = new ArrayList<>(ids.size());
        List<Long> poison = new ArrayList<>();
        for (Long id : ids) {
            Row r = locked.get(id);
            try {
                Message m = new Message(codec.decodeHeaders(r.headers()), codec.decodeProperties(r.properties()),
                        r.body());
                out.add(new Delivery(m, r.queue(), r.exchange(), r.routingKey(), r.deliveryCount() > 0,
                        Long.toString(r.id())));
            } catch (RuntimeException e) {
                LOG.error("Message {} in queue {} cannot be decoded; moving it to celeriac_dead_letter", r.id(),
                        r.queue(), e);
                poison.add(r.id());
            }
        }
        if (!poison.isEmpty()) {
            broker.deadLetter(c, poison, token);
        }
        return out;
    }

    /** Flushes settlements and gives every unsettled delivery back, in one transaction. */
    private void cleanup() {
        if (abandoned) {
            unsettled.clear();
            return;
        }
        boolean givenBack = false;
        try {
            givenBack = giveBack();
        } finally {
            if (heartbeatRegistered) {
                heartbeatRegistered = false;
                if (givenBack) { // otherwise the row expires and the claims come back through the reaper
                    broker.heartbeats().unregister(token);
                }
            }
        }
    }

    /** True when nothing is left claimed by this consumer (or nothing could be). */
    private boolean giveBack() {
        drainSettlements();
        List<Long> giveBack = new ArrayList<>(unsettled.keySet());
        unsettled.clear();
        toRequeue.addAll(giveBack);
        if (toAck.isEmpty() && toRequeue.isEmpty() && toDeadLetter.isEmpty()) {
            return true;
        }
        try {
            db.inTransactionRetrying(CLEANUP_BUDGET, c -> {
                flushSettlements(c);
                return null;
            });
            return true;
        } catch (RuntimeException e) {
            LOG.warn("SQL consumer of {} could not give back {} unsettled message(s) on close; they are delivered "
                    + "again when its heartbeat expires (lease_timeout): {}", queues, giveBack.size(), e.getMessage());
            return false;
        }
    }

    /**
     * Stops the loop, flushes pending acks and gives unsettled deliveries back to their queues at once
     * ({@code redelivered = true} on their next delivery). Blocks until done (except when called from the
     * delivery handler, which cannot wait for its own thread). Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            wake();
        }
        if (Thread.currentThread() != thread) {
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        broker.unregister(this);
    }

    /** Stops like a consumer whose process died: no acks flushed, claims left to expire (test support). */
    void abandon() {
        abandoned = true;
        close();
    }

    @Override
    public String toString() {
        return "SqlConsumer[" + queues + ", prefetch=" + prefetch + ", unsettled=" + unsettled.size() + "]";
    }
}
