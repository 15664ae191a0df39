package org.celeriac.transport.redis;

import io.lettuce.core.LMoveArgs;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.DeliveryHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer of kombu Redis queues. One dispatch thread claims batches with {@link Scripts#CLAIM} (pop and
 * record in {@code unacked} in one script), hands them to the handler in order, and when the lists are
 * empty waits on each list, one dedicated connection per list, with a <b>blocking claim</b>
 * ({@code BLMOVE list <in-flight list> RIGHT LEFT}): Redis moves the oldest message atomically into this
 * connection's own in-flight list and answers with it, so the message is handed to the handler without a second
 * round trip, and {@link Scripts#ADOPT} then records it in {@code unacked} and takes it off the in-flight list
 * (written by the event loop the reply arrived on, on that same connection ahead of the next blocking claim; the
 * message's ack or give-back is sent only once Redis ran it). In-flight lists are
 * registered with their source list and renewed like held deliveries; what a dead consumer left in one goes back
 * to the head of its source list after the visibility timeout ({@link Scripts#RETURN_IN_FLIGHT}), and a clean
 * close gives back its own at once. When the free prefetch window is smaller than the number of watched lists the
 * wait is a blocking <b>peek</b> instead ({@code BLMOVE list list RIGHT RIGHT}, which leaves the list unchanged),
 * whose callback sends the claim script from lettuce's event loop, so a consumer never holds more than its
 * prefetch because several lists woke it at once. Acks are batched into one script call (or, while messages trickle
 * in through blocking claims, sent along with the next claim's ADOPT: {@link #ackAlong}) and wake the dispatch
 * thread only when it waits for prefetch room. Thread-safe.
 */
final class RedisConsumer implements Consumer {
    private static final Logger LOG = LoggerFactory.getLogger(RedisConsumer.class);
    private static final AtomicLong THREADS = new AtomicLong();
    /** Most messages claimed by one script call. */
    static final int MAX_BATCH = 500;
    /** How long one blocking peek waits before it is re-armed (seconds). */
    static final long PEEK_TIMEOUT_SECONDS = 2;
    /** How often lists without a wake-up connection ({@code max_connections} reached) are claimed from when idle. */
    static final long UNWATCHED_CLAIM_MILLIS = 500;

    private final RedisBroker broker;
    private final List<String> queues;
    private final List<String> sortedQueues;
    private final DeliveryHandler handler;
    private volatile int prefetch;
    private final Map<String, Held> unsettled = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> pendingAcks = new ConcurrentLinkedQueue<>();
    /**
     * ADOPTs that settled deliveries wait for (their ack or give-back is sent once Redis ran the ADOPT), and
     * give-backs in flight: close() waits for them.
     */
    private final java.util.Set<CompletableFuture<?>> settling = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final AtomicLong sequence = new AtomicLong();
    private volatile CompletableFuture<Long> lastFlush = CompletableFuture.completedFuture(0L);
    private final Object signal = new Object();
    private boolean signalled;
    private final Map<String, Waiter> waiters = new HashMap<>();
    /** Messages blocking claims moved into in-flight lists, waiting for the dispatch thread. */
    private final ConcurrentLinkedQueue<Woken> woken = new ConcurrentLinkedQueue<>();
    /** This consumer's in-flight lists (renewed by the broker's maintenance, given back at close). */
    private final List<String> inFlightLists = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Names this consumer's in-flight lists. */
    private final String token = UUID.randomUUID().toString();
    /** Lists that got no wake-up connection because of {@code max_connections}; written by the dispatch thread. */
    private final java.util.Set<String> unwatched = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean stopped;
    private volatile boolean crashed;
    /** How often a failed ack call is sent again. */
    private static final int ACK_RETRIES = 3;
    /** How long close() waits for Redis to run outstanding ADOPTs. */
    private static final long CLOSE_ADOPT_WAIT_MILLIS = 2000;
    /**
     * A blocking claim that waited at least this long for its message found an empty list (a trickle: one call at
     * a time); one that returned sooner most likely found a backlog, which the claim script takes in batches.
     * About two round trips to a local Redis.
     */
    static final long TRICKLE_IDLE_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    /**
     * How long acks wait to be sent (microseconds): they are batched over this window, and a just-started task's
     * result store reaches Redis ahead of its early ack.
     */
    static final long ACK_DELAY_MICROS = 1000;
    /**
     * How long acks wait while messages trickle in through blocking claims (microseconds): they ride along with the
     * next claim's {@link Scripts#ADOPT} ({@link #ackAlong}); this timer sends the ones no claim took.
     */
    static final long TRICKLE_ACK_DELAY_MICROS = 10_000;
    /** True while messages come one at a time through blocking claims handed over on the event loop. */
    private volatile boolean trickling;
    /** Dispatch thread only: how long it slept before this round (0 when it did not). */
    private long idleNanos;
    /**
     * Held by whoever calls the handler — the dispatch thread, or an event loop handing over a blocking claim's
     * message directly — so messages reach the handler one at a time, in the order they were taken.
     */
    private final java.util.concurrent.locks.ReentrantLock handing = new java.util.concurrent.locks.ReentrantLock();
    /** How many lists the last idle round watched (what one round of blocking claims may take at most). */
    private volatile int watchedLists = 1;
    private static final byte[] RECORD = RedisBroker.bytes("record");
    private static final byte[] REMOVE = RedisBroker.bytes("remove");
    private int rotation;

    /** An unsettled delivery; {@code adopted} is its {@link Scripts#ADOPT} (null when the claim script took it). */
    private record Held(Delivery delivery, String list, byte[] raw, long seq, CompletableFuture<?> adopted) {
    }

    /** The dispatch thread sleeps; a wake-up callback may claim {@code free} messages from {@code lists}. */
    private record Idle(List<String> order, List<String> lists, int free) {
    }

    /** A claim a wake-up callback sent while the dispatch thread slept. */
    private record Claiming(List<String> order, List<String> lists, int free, CompletableFuture<List<Object>> result) {
    }

    /** {@link Idle} while the dispatch thread sleeps, a {@link Claiming} once a callback claimed, null while awake. */
    private final java.util.concurrent.atomic.AtomicReference<Object> parked = new java.util.concurrent.atomic.AtomicReference<>();
    /** True while the dispatch thread waits for prefetch room (then every settle wakes it). */
    private volatile boolean full;

    /** A blocking claim or peek on one list, on its own connection (a blocking command holds its connection). */
    private static final class Waiter {
        final StatefulRedisConnection<String, byte[]> connection;
        final String list;
        final String queue;
        /** Where its blocking claims move messages to. */
        final String inFlight;
        CompletableFuture<byte[]> pending;
        /** When the pending call was sent (System.nanoTime). */
        volatile long armedNanos;
        /** A blocking claim failed (its reply may be lost): give back its in-flight list before the next one. */
        volatile boolean failed;

        Waiter(StatefulRedisConnection<String, byte[]> connection, String list, String queue, String inFlight) {
            this.connection = connection;
            this.list = list;
            this.queue = queue;
            this.inFlight = inFlight;
        }
    }

    /** A message a blocking claim moved into {@code waiter}'s in-flight list. */
    private record Woken(Waiter waiter, byte[] raw, CompletableFuture<?> adopted) {
    }

    RedisConsumer(RedisBroker broker, List<String> queues, int prefetch, DeliveryHandler handler) {
        this.broker = broker;
        this.queues = queues;
        this.sortedQueues = queues.stream().sorted().toList();
        this.prefetch = prefetch;
        this.handler = handler;
        this.thread = new Thread(this::run, "celeriac-redis-consumer-" + THREADS.incrementAndGet());
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void wake() {
        synchronized (signal) {
            signalled = true;
            signal.notifyAll();
        }
    }

    private void awaitSignal(long millis) {
        synchronized (signal) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while (!signalled && !stopped) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                try {
                    signal.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            signalled = false;
        }
    }

    private void run() {
        long backoff = 50;
        while (!stopped) {
            int handedOver = 0;
            if (!woken.isEmpty()) {
                handing.lock();
                try {
                    for (Woken w; !stopped && (w = woken.poll()) != null; handedOver++) {
                        dispatchInFlight(w);
                    }
                } finally {
                    handing.unlock();
                }
            }
            // a lone message after an idle spell (a trickle, e.g. one call at a time): its list was empty before, so
            // go straight back to the blocking claims rather than run a claim that finds nothing. A burst wakes us
            // again at once (a short idle spell), and then the claim takes batches.
            boolean trickle = handedOver == 1 && idleNanos >= TRICKLE_IDLE_NANOS && unwatched.isEmpty();
            if (stopped) {
                break;
            }
            List<String> order;
            List<String> lists;
            int free;
            CompletableFuture<List<Object>> claiming;
            Object handed = parked.getAndSet(null);
            if (handed instanceof Claiming c) {
                // a wake-up callback already sent the claim from the event loop (see armWaiters)
                order = c.order();
                lists = c.lists();
                free = c.free();
                claiming = c.result();
            } else {
                int p = prefetch;
                free = p == 0 ? MAX_BATCH : Math.min(MAX_BATCH, p - unsettled.size());
                if (free <= 0) {
                    full = true; // settle() wakes us only while this is set: then re-check, or an ack may be missed
                    if (p != 0 && p - unsettled.size() <= 0) {
                        awaitSignal(1000);
                    }
                    full = false;
                    continue;
                }
                order = queueOrder();
                lists = broker.keys.consumeOrder(order);
                claiming = trickle ? CompletableFuture.completedFuture(List.of()) : claimAsync(lists, free);
            }
            List<Object> claimed;
            try {
                claimed = broker.await(claiming, "claiming messages");
                if (claimed == null) {
                    claimed = List.of();
                }
                backoff = 50;
            } catch (RuntimeException e) {
                if (stopped) {
                    break;
                }
                LOG.warn("Redis {}: claiming from {} failed ({}); retrying in {} ms", broker.url(), queues,
                        e.getMessage(), backoff);
                awaitSignal(backoff);
                backoff = Math.min(2000, backoff * 2);
                continue;
            }
            int got = claimed.size() / 2;
            if (got > 0) {
                trickling = false; // a backlog: acks go out on the timer, batched
                handing.lock();
                try {
                    takeClaimed(claimed, lists, order);
                } finally {
                    handing.unlock();
                }
            }
            if (got < free && !stopped) {
                armWaiters(order, lists, free - got);
                parked.set(new Idle(order, lists, free - got));
                long sleep = System.nanoTime();
                awaitSignal(unwatched.isEmpty() ? TimeUnit.SECONDS.toMillis(PEEK_TIMEOUT_SECONDS)
                        : UNWATCHED_CLAIM_MILLIS);
                idleNanos = System.nanoTime() - sleep;
            } else {
                idleNanos = 0;
            }
        }
        // a claim a wake-up callback sent after we stopped: keep its messages as unsettled, so close() gives
        // them back (crash() drops them: they return after the visibility timeout, as from a killed worker)
        if (parked.getAndSet(null) instanceof Claiming c) {
            try {
                List<Object> claimed = broker.await(c.result(), "claiming messages");
                if (claimed != null) {
                    takeClaimed(claimed, c.lists(), c.order()); // stopped: held
                }
            } catch (RuntimeException e) {
                LOG.debug("Redis {}: a claim in flight at close failed ({}); its messages, if any, return after the "
                        + "visibility timeout", broker.url(), e.getMessage());
            }
        }
    }

    /**
     * Hands over what a {@link Scripts#CLAIM} returned ({@code [listIndex, envelope, ...]} over {@code lists}, whose
     * queues are {@code order}), in claim order; once the consumer is stopping, holds them instead, so close() gives
     * them back (they are recorded in unacked already). Dispatch thread only.
     */
    private void takeClaimed(List<Object> claimed, List<String> lists, List<String> order) {
        for (int i = 0; i < claimed.size() / 2; i++) {
            int index = ((Number) claimed.get(2 * i)).intValue() - 1;
            String list = lists.get(index);
            String queue = order.get(index % order.size());
            byte[] raw = (byte[]) claimed.get(2 * i + 1);
            if (stopped) {
                hold(list, queue, raw);
            } else {
                dispatch(list, queue, raw);
            }
        }
    }

    /**
     * Called on lettuce's event loop when a blocking peek found a message: while the dispatch thread sleeps
     * ({@link #parked} holds its {@link Idle} state), send the claim from here at once rather than after waking
     * it, saving a thread hand-off on the way to Redis; the dispatch thread picks the result up. When the dispatch
     * thread is awake, it claims by itself.
     */
    private void claimFromWakeUp() {
        if (stopped || !(parked.get() instanceof Idle idle)) {
            return;
        }
        CompletableFuture<List<Object>> result = new CompletableFuture<>();
        if (parked.compareAndSet(idle, new Claiming(idle.order(), idle.lists(), idle.free(), result))) {
            try {
                claimAsync(idle.lists(), idle.free()).whenComplete((v, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        result.complete(v);
                    }
                });
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }
    }

    /**
     * kombu's {@code queue_order_strategy}: {@code round_robin} rotates the starting queue after each claim,
     * {@code sorted} always goes alphabetically, {@code priority} always in the order given.
     */
    private List<String> queueOrder() {
        if (queues.size() == 1) {
            return queues;
        }
        switch (broker.options.queueOrder()) {
            case PRIORITY -> {
                return queues;
            }
            case SORTED -> {
                return sortedQueues;
            }
            default -> {
                // round robin below
            }
        }
        int start = rotation++ % queues.size();
        List<String> out = new ArrayList<>(queues.size());
        for (int i = 0; i < queues.size(); i++) {
            out.add(queues.get((start + i) % queues.size()));
        }
        return out;
    }

    /** Runs {@link Scripts#CLAIM} on {@code lists}; non-blocking. */
    private CompletableFuture<List<Object>> claimAsync(List<String> lists, int count) {
        String[] k = new String[2 + lists.size()];
        k[0] = broker.keys.unacked;
        k[1] = broker.keys.unackedIndex;
        for (int i = 0; i < lists.size(); i++) {
            k[2 + i] = lists.get(i);
        }
        double now = System.currentTimeMillis() / 1000.0;
        return Scripts.CLAIM.run(broker.redis, ScriptOutputType.MULTI, k, LuaScript.arg(count), LuaScript.arg(now));
    }

    private void dispatch(String list, String queue, byte[] raw) {
        dispatch(list, queue, raw, null);
    }

    private void dispatch(String list, String queue, byte[] raw, CompletableFuture<?> adopted) {
        Delivery delivery = hold(list, queue, raw, adopted);
        if (delivery != null) {
            deliver(delivery, queue);
        }
    }

    private void deliver(Delivery delivery, String queue) {
        try {
            handler.onDelivery(delivery);
        } catch (Throwable t) {
            LOG.warn("Redis {}: the delivery handler threw on {} from queue {}; requeueing it", broker.url(),
                    delivery.deliveryTag(), queue, t);
            try {
                reject(delivery, true);
            } catch (RuntimeException ignored) {
                // closed meanwhile: close() restores it
            }
        }
    }

    /** Hands over a message a blocking claim moved into an in-flight list (adopted already). Dispatch thread only. */
    private void dispatchInFlight(Woken w) {
        dispatch(w.waiter().list, w.waiter().queue, w.raw(), w.adopted());
    }

    /**
     * Runs {@link Scripts#ADOPT} for {@code raw}, which a blocking claim of {@code waiter} just moved into its in-flight
     * list; {@code done} completes when an attempt succeeded or the last one failed, and the message's ack or
     * give-back waits for it ({@link #settle}), so Redis records it before it removes it. The first attempt is sent
     * on lettuce's event loop as the claim's reply arrives, on the waiter's own connection (no other thread woken)
     * and ahead of the blocking claim re-armed on it, as {@code EVALSHA} (the script body is not sent with every
     * message). Retries go on the command connection with {@code EVAL}: at once when Redis answered
     * {@code NOSCRIPT}, else (the connection reset while the call was in flight) up to {@link #ACK_RETRIES} times,
     * recording the message only while it is still unsettled (an ack sent meanwhile must not be undone). What still
     * fails stays in the in-flight list and is given back at close or, when the consumer dies, after the visibility
     * timeout.
     */
    private void adopt(Waiter waiter, byte[] raw, int attempt, CompletableFuture<Void> done) {
        boolean record = true;
        if (attempt > 0) {
            String tag = tagOf(raw);
            record = tag != null && unsettled.containsKey(tag);
        }
        CompletableFuture<Long> f;
        try {
            String[] keys = {broker.keys.unacked, broker.keys.unackedIndex, waiter.inFlight};
            byte[] now = LuaScript.arg(System.currentTimeMillis() / 1000.0);
            f = attempt == 0
                    ? Scripts.ADOPT.runCached(waiter.connection.async(), ScriptOutputType.INTEGER, keys, now, raw, RECORD)
                    : Scripts.ADOPT.runInOrder(broker.redis, ScriptOutputType.INTEGER, keys, now, raw,
                            record ? RECORD : REMOVE);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((v, e) -> {
            if (e == null || crashed) {
                done.complete(null);
                return;
            }
            if (attempt == 0 && !stopped && LuaScript.isNoScript(e)) {
                // Redis lost its script cache (restart, SCRIPT FLUSH): EVAL loads it, on the command connection
                // (the waiter's own now waits behind its blocking claim)
                adopt(waiter, raw, 1, done);
                return;
            }
            if (attempt < ACK_RETRIES && !stopped) {
                try {
                    broker.scheduler.schedule(() -> adopt(waiter, raw, attempt + 1, done), 100L << attempt,
                            TimeUnit.MILLISECONDS);
                    return;
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    // the broker is closing: close() gives the in-flight lists back
                }
            }
            Throwable c = e.getCause() != null ? e.getCause() : e;
            LOG.warn("Redis {}: recording a claimed message in unacked failed ({}); it stays in {} and comes back "
                    + "when this consumer closes or, if it dies, after the visibility timeout", broker.url(),
                    c.getMessage(), waiter.inFlight);
            done.complete(null);
        });
    }

    /** Decodes a claimed message and records it as unsettled; null (logged, acked away) when it is garbage. */
    private Delivery hold(String list, String queue, byte[] raw) {
        return hold(list, queue, raw, null);
    }

    /** {@link #hold(String, String, byte[])} for a message whose {@link Scripts#ADOPT} is {@code adopted}. */
    private Delivery hold(String list, String queue, byte[] raw, CompletableFuture<?> adopted) {
        KombuEnvelope.Decoded d;
        try {
            d = broker.envelope.decode(raw);
            if (d.deliveryTag() == null) {
                throw new SerializationException("no properties.delivery_tag");
            }
        } catch (SerializationException | ClassCastException e) {
            String tag = tagOf(raw);
            LOG.warn("Redis {}: dropped a malformed message of {} bytes from queue {} (not a kombu envelope: {}): {}",
                    broker.url(), raw.length, queue, e.getMessage(), preview(raw));
            if (tag != null) {
                pendingAcks.add(tag);
                scheduleFlush();
            }
            return null;
        }
        Delivery delivery = new Delivery(d.message(), queue, d.exchange(), d.routingKey(), d.redelivered(),
                d.deliveryTag());
        unsettled.put(d.deliveryTag(), new Held(delivery, list, raw, sequence.incrementAndGet(), adopted));
        return delivery;
    }

    private String tagOf(byte[] raw) {
        try {
            Map<String, Object> m = broker.envelope.asMap(raw);
            if (m.get("properties") instanceof Map<?, ?> p && p.get("delivery_tag") instanceof String s) {
                return s;
            }
        } catch (RuntimeException e) {
            // garbage: it was not recorded in unacked
        }
        return null;
    }

    private static String preview(byte[] raw) {
        String s = new String(raw, 0, Math.min(raw.length, 80), StandardCharsets.UTF_8);
        return s.replaceAll("[\\p{Cntrl}]", "?") + (raw.length > 80 ? "..." : "");
    }

    /**
     * Arms a blocking claim (or, when fewer than {@code lists.size()} messages may be taken, a blocking peek) on
     * every list whose previous one has finished. Lists beyond the {@code max_connections} budget (in consuming
     * order, so the highest priorities are watched first) get none: the idle loop claims from them every
     * {@link #UNWATCHED_CLAIM_MILLIS} instead. Dispatch thread only.
     */
    private void armWaiters(List<String> order, List<String> lists, int free) {
        boolean claim = free >= lists.size();
        watchedLists = lists.size();
        for (int index = 0; index < lists.size(); index++) {
            String list = lists.get(index);
            Waiter w = waiters.get(list);
            if (w == null) {
                if (!broker.reserveWakeUpConnection()) {
                    if (unwatched.add(list) && unwatched.size() == 1) {
                        LOG.info("Redis {}: max_connections={} reached; lists of {} without a wake-up connection are "
                                + "claimed from every {} ms while idle", broker.url(), broker.options.maxConnections(),
                                queues, UNWATCHED_CLAIM_MILLIS);
                    }
                    continue;
                }
                try {
                    String inFlight = broker.keys.inFlightList(token, waiters.size());
                    w = new Waiter(broker.client.connect(RedisBroker.CODEC), list, order.get(index % order.size()),
                            inFlight);
                    broker.registerInFlight(inFlight, list);
                    inFlightLists.add(inFlight);
                } catch (RuntimeException e) {
                    if (w != null) {
                        w.connection.closeAsync();
                    }
                    broker.releaseWakeUpConnection();
                    unwatched.add(list);
                    LOG.warn("Redis {}: cannot open a wake-up connection for {} ({}); claiming every {} ms instead",
                            broker.url(), list, e.getMessage(), UNWATCHED_CLAIM_MILLIS);
                    continue;
                }
                unwatched.remove(list);
                waiters.put(list, w);
            }
            arm(w, claim);
        }
    }

    /**
     * Sends {@code w}'s blocking claim (or peek) unless one is pending. Called by the dispatch thread, and by the
     * event loop re-arming after a direct hand-over.
     */
    private void arm(Waiter w, boolean claim) {
        synchronized (w) {
            if (stopped || (w.pending != null && !w.pending.isDone())) {
                return;
            }
            if (w.failed) {
                // a blocking claim whose reply was lost may have moved a message: give it back first (ordered
                // after the adopts already sent, so only unrecorded messages move)
                w.failed = false;
                broker.returnInFlight("reset", List.of(w.inFlight));
            }
            CompletableFuture<byte[]> f;
            w.armedNanos = System.nanoTime();
            if (claim) {
                f = w.connection.async().blmove(w.list, w.inFlight, LMoveArgs.Builder.rightLeft(), PEEK_TIMEOUT_SECONDS)
                        .toCompletableFuture();
                f.whenComplete((v, e) -> {
                    if (v != null) {
                        CompletableFuture<Void> adopted = new CompletableFuture<>();
                        boolean handed = handOverDirectly(w, v, adopted);
                        // the ADOPT, and the acks riding along, are written after the hand-over (the task starts on
                        // its pool thread meanwhile; its ack waits for the ADOPT) and ahead of the re-armed claim
                        adopt(w, v, 0, adopted);
                        ackAlong(w);
                        if (handed) {
                            rearmAfterHandOver(w);
                            return;
                        }
                        woken.add(new Woken(w, v, adopted));
                    } else if (e != null) {
                        w.failed = true;
                    }
                    if (v != null || e != null) {
                        wake();
                    }
                });
            } else {
                f = w.connection.async().blmove(w.list, w.list, LMoveArgs.Builder.rightRight(), PEEK_TIMEOUT_SECONDS)
                        .toCompletableFuture();
                f.whenComplete((v, e) -> {
                    if (v != null) {
                        claimFromWakeUp();
                    }
                    if (v != null || e != null) {
                        wake();
                    }
                });
            }
            w.pending = f;
        }
    }

    /**
     * On the event loop, as a blocking claim's reply arrives after an idle spell (a trickle — one call at a time):
     * hands the message to the handler right here instead of waking the dispatch thread first (one thread
     * hand-off less); the caller then sends its {@code adopted} ADOPT and re-arms the blocking claim
     * ({@link #rearmAfterHandOver}). Declines — the dispatch thread takes it — when the claim returned at once (a
     * backlog: the claim script takes batches), when other messages wait, or when the dispatch thread is handing
     * messages over itself.
     *
     * @return true when handed over (or, when stopping, held for close() to give back)
     */
    private boolean handOverDirectly(Waiter w, byte[] raw, CompletableFuture<?> adopted) {
        if (System.nanoTime() - w.armedNanos < TRICKLE_IDLE_NANOS || !woken.isEmpty() || !unwatched.isEmpty()
                || !handing.tryLock()) {
            trickling = false;
            return false;
        }
        trickling = true;
        try {
            if (stopped) {
                hold(w.list, w.queue, raw, adopted); // recorded (adopted) and unsettled: close() gives it back
                return true;
            }
            dispatch(w.list, w.queue, raw, adopted);
        } finally {
            handing.unlock();
        }
        return true;
    }

    /** After {@link #handOverDirectly}: re-arms the blocking claim when the prefetch window has room. Event loop. */
    private void rearmAfterHandOver(Waiter w) {
        if (stopped) {
            return;
        }
        int p = prefetch;
        int free = p == 0 ? MAX_BATCH : p - unsettled.size();
        if (free >= watchedLists) {
            arm(w, true);
        } else {
            wake(); // the dispatch thread decides (window full: it waits for acks)
        }
    }

    @Override
    public void ack(Delivery delivery) {
        settle(delivery, false, false);
    }

    @Override
    public void reject(Delivery delivery, boolean requeue) {
        settle(delivery, true, requeue);
    }

    private void settle(Delivery delivery, boolean reject, boolean requeue) {
        if (stopped) {
            throw new BrokerException("Redis " + broker.url() + ": the consumer is closed; delivery "
                    + delivery.deliveryTag() + " was given back to queue " + delivery.queue());
        }
        Held h = unsettled.remove(delivery.deliveryTag());
        if (h == null) {
            LOG.warn("Redis {}: delivery {} is not unsettled on this consumer (settled twice, or from another "
                    + "consumer); ignored", broker.url(), delivery.deliveryTag());
            return;
        }
        boolean giveBack = reject && requeue;
        CompletableFuture<?> adopted = h.adopted();
        if (adopted == null || adopted.isDone()) {
            settleNow(h, giveBack);
        } else {
            // recorded in unacked by an ADOPT on another connection: settle once Redis ran it
            settling.add(adopted);
            adopted.whenComplete((v, e) -> {
                settleNow(h, giveBack);
                settling.remove(adopted);
            });
        }
        if (full) {
            wake(); // only a consumer waiting for prefetch room needs it: the peeks wake an idle one
        }
    }

    /** Sends a settled delivery's ack (batched) or, for {@code giveBack}, kombu's reject(requeue=True). */
    private void settleNow(Held h, boolean giveBack) {
        if (giveBack) {
            giveBack(h, "L"); // LPUSH (the tail of the queue), marked redelivered, then removed from unacked
        } else {
            pendingAcks.add(h.delivery().deliveryTag());
            scheduleFlush();
        }
    }

    private CompletableFuture<Long> giveBack(Held h, String side) {
        byte[] env;
        try {
            env = broker.envelope.markRedelivered(h.raw());
        } catch (RuntimeException e) {
            env = h.raw();
        }
        // EVAL, not EVALSHA: a NOSCRIPT retry would go out after close() has finished with the connection; close()
        // waits for the give-backs in flight (settling)
        CompletableFuture<Long> f = Scripts.RESTORE.runInOrder(broker.redis, ScriptOutputType.INTEGER,
                new String[] {broker.keys.unacked, broker.keys.unackedIndex, h.list()},
                RedisBroker.bytes(h.delivery().deliveryTag()), RedisBroker.bytes("+inf"), new byte[0], env,
                RedisBroker.bytes(side));
        settling.add(f);
        f.whenComplete((v, e) -> settling.remove(f));
        return f;
    }

    private void scheduleFlush() {
        if (flushScheduled.compareAndSet(false, true)) {
            try {
                broker.scheduler.schedule(this::flushAcks, trickling ? TRICKLE_ACK_DELAY_MICROS : ACK_DELAY_MICROS,
                        TimeUnit.MICROSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                flushAcks();
            }
        }
    }

    /**
     * On the event loop, as a blocking claim's reply arrives: sends the pending acks on that claim's connection,
     * right behind its {@link Scripts#ADOPT} and ahead of the blocking claim re-armed on it — one call less for the
     * command connection, whose event loop is not woken for it, and Redis's reply comes with the ADOPT's. In a
     * trickle (one call at a time) this is how acks go out; the timer ({@link #TRICKLE_ACK_DELAY_MICROS}) only
     * catches the last ones before an idle spell. {@code EVALSHA} only: a failed call (NOSCRIPT, a reset) is sent
     * again on the command connection.
     */
    private void ackAlong(Waiter w) {
        if (pendingAcks.isEmpty() || stopped) {
            return;
        }
        List<String> tags = drainPendingAcks();
        if (tags.isEmpty()) {
            return;
        }
        CompletableFuture<Long> first;
        try {
            first = Scripts.ACK.runCached(w.connection.async(), ScriptOutputType.INTEGER,
                    new String[] {broker.keys.unacked, broker.keys.unackedIndex}, ackArgs(tags));
        } catch (RuntimeException e) {
            first = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Long> sent = first.handle((v, e) -> e == null || crashed
                ? CompletableFuture.completedFuture(v) : sendAcks(tags, 1)).thenCompose(x -> x);
        settling.add(sent); // close() waits for it
        sent.whenComplete((v, e) -> settling.remove(sent));
    }

    /** Takes every pending ack tag (each exactly once, whichever thread sends them). */
    private List<String> drainPendingAcks() {
        List<String> tags = new ArrayList<>();
        for (String t; (t = pendingAcks.poll()) != null; ) {
            tags.add(t);
        }
        return tags;
    }

    private static byte[][] ackArgs(List<String> tags) {
        byte[][] args = new byte[tags.size()][];
        for (int i = 0; i < args.length; i++) {
            args[i] = RedisBroker.bytes(tags.get(i));
        }
        return args;
    }

    /** Sends every pending ack in one {@link Scripts#ACK} call. Non-blocking. */
    private CompletableFuture<Long> flushAcks() {
        flushScheduled.set(false);
        List<String> tags = drainPendingAcks();
        if (tags.isEmpty()) {
            return CompletableFuture.completedFuture(0L);
        }
        CompletableFuture<Long> f = sendAcks(tags, 0);
        lastFlush = f;
        return f;
    }

    /**
     * Acks {@code tags}; when the call fails — typically because the connection reset while it was in flight
     * (commands issued while disconnected are buffered, not failed) — it is sent again, up to
     * {@link #ACK_RETRIES} times with a growing pause: acks are idempotent. What still fails comes back after the
     * visibility timeout (at least once).
     */
    private CompletableFuture<Long> sendAcks(List<String> tags, int attempt) {
        CompletableFuture<Long> f = Scripts.ACK.run(broker.redis, ScriptOutputType.INTEGER,
                new String[] {broker.keys.unacked, broker.keys.unackedIndex}, ackArgs(tags));
        return f.handle((v, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(v);
            }
            Throwable c = e.getCause() != null ? e.getCause() : e;
            if (attempt < ACK_RETRIES && !crashed) {
                LOG.info("Redis {}: acking {} deliveries failed ({}); sending the acks again", broker.url(),
                        tags.size(), c.getMessage());
                CompletableFuture<Long> again = new CompletableFuture<>();
                try {
                    broker.scheduler.schedule(() -> sendAcks(tags, attempt + 1).whenComplete((x, y) -> {
                        if (y != null) {
                            again.completeExceptionally(y);
                        } else {
                            again.complete(x);
                        }
                    }), 100L << attempt, TimeUnit.MILLISECONDS);
                    return again;
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    // the broker is closing: fall through
                }
            }
            LOG.warn("Redis {}: acking {} deliveries failed ({}); they will be redelivered after the visibility "
                    + "timeout", broker.url(), tags.size(), c.getMessage());
            return CompletableFuture.<Long>failedFuture(c);
        }).thenCompose(x -> x);
    }

    /** The tags this consumer holds (for renewal). */
    List<String> unsettledTags() {
        return new ArrayList<>(unsettled.keySet());
    }

    @Override
    public void setPrefetch(int prefetch) {
        if (prefetch < 0) {
            throw new IllegalArgumentException("prefetch must be >= 0 (0 = unlimited), was " + prefetch);
        }
        this.prefetch = prefetch;
        wake();
    }

    @Override
    public int prefetch() {
        return prefetch;
    }

    private void stopThread() {
        stopped = true;
        wake();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
                if (thread.isAlive()) {
                    LOG.warn("Redis {}: the delivery handler of {} has not returned after 10 s; closing anyway",
                            broker.url(), thread.getName());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (Waiter w : waiters.values()) {
            closing.add(w.connection.closeAsync());
            broker.releaseWakeUpConnection();
        }
        waiters.clear();
        if (!crashed) {
            // a blocking claim Redis serves before the close reaches it would move a message after the in-flight
            // lists were given back: wait for the connections to be closed
            try {
                CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.debug("Redis {}: closing wake-up connections: {}", broker.url(), e.toString());
            }
        }
    }

    /** This consumer's in-flight lists (renewed with its held deliveries). */
    List<String> inFlightLists() {
        return inFlightLists;
    }

    /**
     * Stops, sends the pending acks, and gives every unsettled delivery back to the head of the list it came
     * from (kombu restores unacked messages on a clean close), oldest first. Blocks until Redis confirmed.
     */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        stopThread();
        try {
            List<CompletableFuture<?>> adopts = new ArrayList<>(settling);
            for (Held h : unsettled.values()) {
                if (h.adopted() != null) {
                    adopts.add(h.adopted());
                }
            }
            for (Woken w : woken) {
                adopts.add(w.adopted());
            }
            try {
                CompletableFuture.allOf(adopts.toArray(CompletableFuture[]::new)).get(CLOSE_ADOPT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.debug("Redis {}: waiting for in-flight records at close: {}", broker.url(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            CompletableFuture<Long> earlier = lastFlush;
            broker.await(flushAcks(), "acking");
            broker.await(earlier, "acking");
            handing.lock(); // an event loop handing over right now finishes first
            try {
                // taken by blocking claims and recorded in unacked (adopted) but never handed over: give them back
                for (Woken w; (w = woken.poll()) != null; ) {
                    hold(w.waiter().list, w.waiter().queue, w.raw(), w.adopted());
                }
            } finally {
                handing.unlock();
            }
            if (!inFlightLists.isEmpty()) {
                broker.await(broker.returnInFlight("close", List.copyOf(inFlightLists)), "giving back in-flight messages");
            }
            List<Held> held = new ArrayList<>(unsettled.values());
            unsettled.clear();
            held.sort(Comparator.comparingLong(Held::seq).reversed());
            List<CompletableFuture<Long>> fs = new ArrayList<>();
            for (Held h : held) {
                fs.add(giveBack(h, "R"));
            }
            for (CompletableFuture<Long> f : fs) {
                broker.await(f, "restoring unsettled deliveries");
            }
        } catch (RuntimeException e) {
            LOG.warn("Redis {}: closing the consumer of {} could not give back its deliveries ({}); they return "
                    + "after the visibility timeout", broker.url(), queues, e.getMessage());
        } finally {
            broker.removed(this);
        }
    }

    /**
     * Test support: stops as a killed process would — no acks sent, nothing given back, no more renewals;
     * the held deliveries come back through the visibility-timeout restore.
     */
    void crash() {
        crashed = true;
        stopThread();
        pendingAcks.clear();
        unsettled.clear();
        broker.removed(this);
    }

    @Override
    public String toString() {
        return "RedisConsumer[" + broker.url() + " " + queues + "]";
    }
}
