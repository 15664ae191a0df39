package org.celeriac.core.memory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.celeriac.core.memory.BrokerState.Entry;
import org.celeriac.core.memory.BrokerState.MemQueue;
import org.celeriac.spi.broker.BroadcastHandler;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerCapabilities;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.DeliveryHandler;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.PriorityOrder;
import org.celeriac.spi.broker.PublishOptions;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.spi.broker.Subscription;
import org.celeriac.spi.broker.UnsupportedCapabilityException;
import org.celeriac.spi.coordination.Coordination;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code memory://} transport: a handle on one namespace's queues (see {@link MemoryNamespaces}).
 * Thread-safe. Semantics, as the SPI asks and AMQP does where the SPI leaves a choice:
 * <ul>
 *   <li>routing: exchange {@code ""} to the queue named by the routing key (created when missing);
 *       a direct exchange to the queues bound by {@link #declareQueue}; no match: dropped (DEBUG log);</li>
 *   <li>order: FIFO per priority, higher priority first (0..255, capped at the queue's {@code maxPriority}
 *       when it has one; no priority counts as 0);</li>
 *   <li>a delivery rejected with requeue, or given back by {@link Consumer#close()}, goes back to the
 *       <em>head</em> of its queue (AMQP puts it back at its position) with {@code redelivered = true};</li>
 *   <li>rejected without requeue: dead-lettered, see {@link #deadLetters(String)};</li>
 *   <li>each consumer has its own dispatch thread (never the publisher's); several queues of one
 *       consumer are served round-robin; at most {@code prefetch} deliveries are unsettled;</li>
 *   <li>delayed delivery ({@link PublishOptions#notBefore()}) through a scheduler thread; routing is
 *       decided at publish time; a delayed message is not counted by {@link #messageCount} until due;</li>
 *   <li>publish futures are complete on return; nothing is durable.</li>
 * </ul>
 * <p>A crashed consumer can be simulated with {@link #crash(Consumer)} (test support).
 */
public final class MemoryBroker implements Broker {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryBroker.class);
    private static final AtomicLong THREADS = new AtomicLong();
    private static final Duration DELAY_PRECISION = Duration.ofMillis(100);

    private final MemoryNamespaces.Namespace namespace;
    private final BrokerState state;
    private final Duration redeliveryTimeout;
    private final Set<MemoryConsumer> consumers = ConcurrentHashMap.newKeySet();
    private final Set<BroadcastSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * Opens a handle on a namespace.
     *
     * @param namespace the URL host ({@code ""} for {@code memory://})
     * @param redeliveryTimeout how long the deliveries of a {@link #crash crashed} consumer stay
     *        invisible; null: they never come back (reported as {@link BrokerCapabilities#redeliveryAfterCrash()})
     */
    public MemoryBroker(String namespace, Duration redeliveryTimeout) {
        this.namespace = MemoryNamespaces.get(namespace);
        this.state = this.namespace.broker;
        this.redeliveryTimeout = redeliveryTimeout;
    }

    @Override
    public BrokerCapabilities capabilities() {
        return new BrokerCapabilities(PriorityOrder.HIGHER_FIRST, true, DELAY_PRECISION, true, true, false, false,
                redeliveryTimeout, false);
    }

    private void ensureOpen() {
        if (closed) {
            throw new BrokerException("the memory://" + namespace.name + " broker is closed; create a new one");
        }
    }

    @Override
    public void declareQueue(QueueSpec queue) {
        ensureOpen();
        state.lock.lock();
        try {
            state.declare(queue);
        } finally {
            state.lock.unlock();
        }
    }

    @Override
    public CompletableFuture<Void> publish(String exchange, String routingKey, Message message, PublishOptions options) {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
        Objects.requireNonNull(message, "message");
        PublishOptions opts = options == null ? PublishOptions.NONE : options;
        if (opts.transaction() != null) {
            throw new UnsupportedCapabilityException("memory:// does not support transactional publish "
                    + "(BrokerCapabilities.transactionalPublish is false); publish without PublishOptions.transaction");
        }
        ensureOpen();
        Entry entry = new Entry(message, exchange, routingKey, false);
        state.lock.lock();
        try {
            List<String> targets = state.route(exchange, routingKey);
            if (targets.isEmpty()) {
                LOG.debug("memory://{}: no queue is bound to exchange '{}' with routing key '{}'; message dropped",
                        namespace.name, exchange, routingKey);
            }
            Instant notBefore = opts.notBefore();
            long delayNanos = notBefore == null ? 0 : Duration.between(Instant.now(), notBefore).toNanos();
            if (delayNanos > 0) {
                MemoryNamespaces.scheduler().schedule(() -> enqueue(targets, entry), delayNanos, TimeUnit.NANOSECONDS);
            } else {
                enqueueLocked(targets, entry);
            }
        } finally {
            state.lock.unlock();
        }
        return CompletableFuture.completedFuture(null);
    }

    private void enqueue(List<String> targets, Entry entry) {
        state.lock.lock();
        try {
            enqueueLocked(targets, entry);
        } finally {
            state.lock.unlock();
        }
    }

    private void enqueueLocked(List<String> targets, Entry entry) {
        for (String q : targets) {
            state.queue(q).addLast(entry);
        }
        if (!targets.isEmpty()) {
            state.changed.signalAll();
        }
    }

    @Override
    public Consumer consume(List<String> queues, int prefetch, DeliveryHandler handler) {
        if (queues == null || queues.isEmpty()) {
            throw new IllegalArgumentException("consume needs at least one queue name");
        }
        if (prefetch < 0) {
            throw new IllegalArgumentException("prefetch must be >= 0 (0 = unlimited), was " + prefetch);
        }
        Objects.requireNonNull(handler, "handler");
        ensureOpen();
        MemoryConsumer c = new MemoryConsumer(List.copyOf(queues), prefetch, handler);
        state.lock.lock();
        try {
            queues.forEach(state::queue);
        } finally {
            state.lock.unlock();
        }
        consumers.add(c);
        c.thread.start();
        return c;
    }

    @Override
    public long purge(String queue) {
        ensureOpen();
        state.lock.lock();
        try {
            MemQueue q = state.queues.get(queue);
            return q == null ? 0 : q.clear();
        } finally {
            state.lock.unlock();
        }
    }

    @Override
    public long messageCount(String queue) {
        state.lock.lock();
        try {
            MemQueue q = state.queues.get(queue);
            return q == null ? 0 : q.size();
        } finally {
            state.lock.unlock();
        }
    }

    /** The messages rejected without requeue from {@code queue}, oldest first (a snapshot). */
    public List<Message> deadLetters(String queue) {
        state.lock.lock();
        try {
            return List.copyOf(state.deadLetters.getOrDefault(queue, List.of()));
        } finally {
            state.lock.unlock();
        }
    }

    @Override
    public CompletableFuture<Void> publishBroadcast(String exchange, String routingKey, Message message) {
        ensureOpen();
        for (BroadcastSubscription s : state.subscribers(exchange)) {
            s.offer(routingKey, message);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Subscription subscribeBroadcast(String exchange, BroadcastHandler handler) {
        ensureOpen();
        BroadcastSubscription s = new BroadcastSubscription(exchange, Objects.requireNonNull(handler, "handler"));
        state.subscribersForUpdate(exchange).add(s);
        subscriptions.add(s);
        return s;
    }

    @Override
    public Optional<Coordination> coordination() {
        return Optional.of(namespace.coordination);
    }

    /**
     * Test support: simulates a consumer whose process died without closing it. It stops at once
     * (no more deliveries; settling its deliveries throws); its unsettled deliveries come back,
     * redelivered, after this broker's redelivery timeout (never when that is null).
     *
     * @throws IllegalArgumentException when {@code consumer} does not come from this broker
     */
    public void crash(Consumer consumer) {
        crash(consumer, redeliveryTimeout);
    }

    /**
     * Test support: {@link #crash(Consumer)} with an explicit redelivery timeout.
     *
     * @param after when the unsettled deliveries come back; null: never
     */
    public void crash(Consumer consumer, Duration after) {
        if (!(consumer instanceof MemoryConsumer c) || !consumers.contains(c)) {
            throw new IllegalArgumentException("not a consumer of this memory broker: " + consumer);
        }
        List<Delivery> held = c.stop(false);
        consumers.remove(c);
        if (after == null || held.isEmpty()) {
            return;
        }
        MemoryNamespaces.scheduler().schedule(() -> giveBack(held), Math.max(0, after.toNanos()), TimeUnit.NANOSECONDS);
    }

    private void giveBack(List<Delivery> deliveries) {
        state.lock.lock();
        try {
            for (int i = deliveries.size() - 1; i >= 0; i--) {
                Delivery d = deliveries.get(i);
                state.queue(d.queue()).addFirst(new Entry(d.message(), d.exchange(), d.routingKey(), true));
            }
            state.changed.signalAll();
        } finally {
            state.lock.unlock();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (MemoryConsumer c : List.copyOf(consumers)) {
            c.close();
        }
        for (BroadcastSubscription s : List.copyOf(subscriptions)) {
            s.close();
        }
    }

    @Override
    public String toString() {
        return "MemoryBroker[memory://" + namespace.name + "]";
    }

    /** A consumer with its own dispatch thread. Thread-safe; settles may come from any thread. */
    final class MemoryConsumer implements Consumer {
        private final List<String> queues;
        private final DeliveryHandler handler;
        final Thread thread;
        /** Guarded by the namespace lock. */
        private final Map<String, Delivery> unsettled = new LinkedHashMap<>();
        private int prefetch;
        private int next;
        private boolean stopped;

        MemoryConsumer(List<String> queues, int prefetch, DeliveryHandler handler) {
            this.queues = queues;
            this.prefetch = prefetch;
            this.handler = handler;
            this.thread = new Thread(this::run, "celeriac-memory-consumer-" + THREADS.incrementAndGet());
            this.thread.setDaemon(true);
        }

        private void run() {
            while (true) {
                Delivery d;
                state.lock.lock();
                try {
                    while (true) {
                        if (stopped) {
                            return;
                        }
                        d = (prefetch == 0 || unsettled.size() < prefetch) ? take() : null;
                        if (d != null) {
                            break;
                        }
                        state.changed.awaitUninterruptibly();
                    }
                } finally {
                    state.lock.unlock();
                }
                try {
                    handler.onDelivery(d);
                } catch (Throwable t) {
                    LOG.warn("memory://{}: the delivery handler threw on {} from queue {}; requeueing it",
                            namespace.name, d.deliveryTag(), d.queue(), t);
                    settle(d, true, true, false);
                }
            }
        }

        /** Takes the next message, round-robin over the queues. Caller holds the lock. */
        private Delivery take() {
            int n = queues.size();
            for (int i = 0; i < n; i++) {
                int index = (next + i) % n;
                MemQueue q = state.queues.get(queues.get(index));
                Entry e = q == null ? null : q.poll();
                if (e != null) {
                    next = (index + 1) % n;
                    Delivery d = new Delivery(e.message(), q.name, e.exchange(), e.routingKey(), e.redelivered(),
                            Long.toString(state.deliveryTags.incrementAndGet()));
                    unsettled.put(d.deliveryTag(), d);
                    return d;
                }
            }
            return null;
        }

        @Override
        public void ack(Delivery delivery) {
            settle(delivery, false, false, true);
        }

        @Override
        public void reject(Delivery delivery, boolean requeue) {
            settle(delivery, true, requeue, true);
        }

        private void settle(Delivery delivery, boolean reject, boolean requeue, boolean throwIfStopped) {
            state.lock.lock();
            try {
                if (stopped) {
                    if (throwIfStopped) {
                        throw new BrokerException("memory://" + namespace.name + ": the consumer is closed; delivery "
                                + delivery.deliveryTag() + " was given back to queue " + delivery.queue());
                    }
                    return;
                }
                Delivery d = unsettled.remove(delivery.deliveryTag());
                if (d == null) {
                    LOG.warn("memory://{}: delivery {} is not unsettled on this consumer (settled twice, or from "
                            + "another consumer); ignored", namespace.name, delivery.deliveryTag());
                    return;
                }
                if (reject) {
                    if (requeue) {
                        state.queue(d.queue()).addFirst(new Entry(d.message(), d.exchange(), d.routingKey(), true));
                    } else {
                        state.deadLetter(d.queue(), d.message());
                    }
                }
                state.changed.signalAll();
            } finally {
                state.lock.unlock();
            }
        }

        @Override
        public void setPrefetch(int prefetch) {
            if (prefetch < 0) {
                throw new IllegalArgumentException("prefetch must be >= 0 (0 = unlimited), was " + prefetch);
            }
            state.lock.lock();
            try {
                this.prefetch = prefetch;
                state.changed.signalAll();
            } finally {
                state.lock.unlock();
            }
        }

        @Override
        public int prefetch() {
            state.lock.lock();
            try {
                return prefetch;
            } finally {
                state.lock.unlock();
            }
        }

        /**
         * Stops dispatching. With {@code giveBack} the unsettled deliveries return to the head of their
         * queues at once; otherwise they are handed to the caller.
         */
        List<Delivery> stop(boolean giveBack) {
            List<Delivery> held;
            state.lock.lock();
            try {
                if (stopped) {
                    return List.of();
                }
                stopped = true;
                held = new ArrayList<>(unsettled.values());
                unsettled.clear();
                if (giveBack) {
                    for (int i = held.size() - 1; i >= 0; i--) {
                        Delivery d = held.get(i);
                        state.queue(d.queue()).addFirst(new Entry(d.message(), d.exchange(), d.routingKey(), true));
                    }
                }
                state.changed.signalAll();
            } finally {
                state.lock.unlock();
            }
            if (Thread.currentThread() != thread) {
                try {
                    thread.join(TimeUnit.SECONDS.toMillis(10));
                    if (thread.isAlive()) {
                        LOG.warn("memory://{}: the delivery handler of {} has not returned after 10 s; closing anyway",
                                namespace.name, thread.getName());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return giveBack ? List.of() : held;
        }

        @Override
        public void close() {
            stop(true);
            consumers.remove(this);
        }

        @Override
        public String toString() {
            return "MemoryConsumer[memory://" + namespace.name + " " + queues + "]";
        }
    }

    /** A broadcast subscription with its own dispatch thread. */
    final class BroadcastSubscription implements Subscription {
        private final String exchange;
        private final BroadcastHandler handler;
        private final ExecutorService executor;
        private volatile boolean open = true;

        BroadcastSubscription(String exchange, BroadcastHandler handler) {
            this.exchange = exchange;
            this.handler = handler;
            this.executor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "celeriac-memory-broadcast-" + THREADS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }

        void offer(String routingKey, Message message) {
            if (!open) {
                return;
            }
            try {
                executor.execute(() -> {
                    if (!open) {
                        return;
                    }
                    try {
                        handler.onMessage(routingKey, message);
                    } catch (Throwable t) {
                        LOG.warn("memory://{}: broadcast handler on exchange {} threw; ignored", namespace.name,
                                exchange, t);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed meanwhile
            }
        }

        @Override
        public void close() {
            if (!open) {
                return;
            }
            open = false;
            state.subscribersForUpdate(exchange).remove(this);
            subscriptions.remove(this);
            executor.shutdown();
        }
    }
}
