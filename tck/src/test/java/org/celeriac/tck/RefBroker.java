package org.celeriac.tck;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
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
import org.celeriac.spi.broker.UnsupportedCapabilityException;

/**
 * The TCK's own tiny reference broker (core's {@code memory://} cannot be used here without a Maven
 * cycle), with switchable faults so the TCK's tests can check that each fault fails its rule. FIFO,
 * no priorities, delayed delivery by polling, no broadcast, crash redelivery after 300 ms.
 */
public final class RefBroker implements Broker {
    static final Duration REDELIVERY = Duration.ofMillis(300);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ref-broker-timer");
        t.setDaemon(true);
        return t;
    });

    enum Fault {
        LOSES_ON_CLOSE, IGNORES_REQUEUE, NO_REDELIVERED_FLAG, REORDERS, DOUBLE_DELIVERS, IGNORES_PREFETCH,
        PURGE_MISCOUNTS, LOSES_ON_CRASH, NOT_DURABLE, DELIVERS_DELAYED_EARLY, DROPS_HEADERS
    }

    /** The store: shared by brokers that model one server. */
    static final class Store {
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();
        final Map<String, LinkedList<Entry>> queues = new HashMap<>();
        final Map<String, Map<String, Set<String>>> bindings = new HashMap<>();
        final AtomicLong tags = new AtomicLong();
    }

    record Entry(Message message, String exchange, String routingKey, boolean redelivered, Instant due, boolean duplicated) {
    }

    private final Store store;
    private final Set<Fault> faults;
    private final Set<RefConsumer> consumers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicLong taken = new AtomicLong();
    private volatile boolean closed;

    RefBroker(Store store, Set<Fault> faults) {
        this.store = store;
        this.faults = faults.isEmpty() ? EnumSet.noneOf(Fault.class) : EnumSet.copyOf(faults);
    }

    boolean has(Fault f) {
        return faults.contains(f);
    }

    @Override
    public BrokerCapabilities capabilities() {
        return new BrokerCapabilities(PriorityOrder.NONE, true, Duration.ofMillis(50), false, false, false, true,
                REDELIVERY, false);
    }

    private void open() {
        if (closed) {
            throw new BrokerException("ref broker closed");
        }
    }

    @Override
    public void declareQueue(QueueSpec q) {
        open();
        store.lock.lock();
        try {
            store.queues.computeIfAbsent(q.name(), k -> new LinkedList<>());
            store.bindings.computeIfAbsent(q.exchange(), k -> new HashMap<>())
                    .computeIfAbsent(q.routingKey(), k -> new LinkedHashSet<>()).add(q.name());
        } finally {
            store.lock.unlock();
        }
    }

    @Override
    public CompletableFuture<Void> publish(String exchange, String routingKey, Message message, PublishOptions options) {
        open();
        if (options.transaction() != null) {
            throw new UnsupportedCapabilityException("ref: no transactional publish");
        }
        Message m = message;
        if (has(Fault.DROPS_HEADERS)) {
            Map<String, Object> h = new LinkedHashMap<>(m.headers());
            h.remove("argsrepr");
            m = new Message(h, m.properties(), m.body());
        }
        Instant due = options.notBefore() == null || has(Fault.DELIVERS_DELAYED_EARLY) ? null : options.notBefore();
        store.lock.lock();
        try {
            List<String> targets;
            if (exchange.isEmpty()) {
                targets = List.of(routingKey);
            } else {
                targets = new ArrayList<>(store.bindings.getOrDefault(exchange, Map.of()).getOrDefault(routingKey, Set.of()));
            }
            for (String q : targets) {
                store.queues.computeIfAbsent(q, k -> new LinkedList<>()).addLast(new Entry(m, exchange, routingKey, false, due, false));
            }
            store.changed.signalAll();
        } finally {
            store.lock.unlock();
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Consumer consume(List<String> queues, int prefetch, DeliveryHandler handler) {
        open();
        RefConsumer c = new RefConsumer(List.copyOf(queues), prefetch, handler);
        consumers.add(c);
        c.thread.start();
        return c;
    }

    @Override
    public long purge(String queue) {
        open();
        store.lock.lock();
        try {
            LinkedList<Entry> q = store.queues.get(queue);
            int n = q == null ? 0 : q.size();
            if (q != null) {
                q.clear();
            }
            return has(Fault.PURGE_MISCOUNTS) && n > 0 ? n - 1 : n;
        } finally {
            store.lock.unlock();
        }
    }

    @Override
    public long messageCount(String queue) {
        store.lock.lock();
        try {
            LinkedList<Entry> q = store.queues.get(queue);
            return q == null ? 0 : q.size();
        } finally {
            store.lock.unlock();
        }
    }

    /** Test support: the consumer's process died; its deliveries come back after {@link #REDELIVERY}. */
    public void crash(Consumer consumer) {
        RefConsumer c = (RefConsumer) consumer;
        List<Delivery> held = c.stop(false);
        if (!has(Fault.LOSES_ON_CRASH)) {
            TIMER.schedule(() -> giveBack(held), REDELIVERY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void giveBack(List<Delivery> held) {
        store.lock.lock();
        try {
            for (int i = held.size() - 1; i >= 0; i--) {
                requeueLocked(held.get(i));
            }
            store.changed.signalAll();
        } finally {
            store.lock.unlock();
        }
    }

    private void requeueLocked(Delivery d) {
        store.queues.computeIfAbsent(d.queue(), k -> new LinkedList<>()).addFirst(new Entry(d.message(), d.exchange(),
                d.routingKey(), !has(Fault.NO_REDELIVERED_FLAG), null, true));
    }

    @Override
    public void close() {
        closed = true;
        for (RefConsumer c : List.copyOf(consumers)) {
            c.close();
        }
    }

    final class RefConsumer implements Consumer {
        private final List<String> queues;
        private final DeliveryHandler handler;
        private final Map<String, Delivery> unsettled = new LinkedHashMap<>();
        final Thread thread;
        private int prefetch;
        private int next;
        private boolean stopped;

        RefConsumer(List<String> queues, int prefetch, DeliveryHandler handler) {
            this.queues = queues;
            this.prefetch = prefetch;
            this.handler = handler;
            this.thread = new Thread(this::run, "ref-consumer");
            this.thread.setDaemon(true);
        }

        private void run() {
            while (true) {
                Delivery d;
                store.lock.lock();
                try {
                    while (true) {
                        if (stopped) {
                            return;
                        }
                        boolean room = prefetch == 0 || unsettled.size() < prefetch || has(Fault.IGNORES_PREFETCH);
                        d = room ? take() : null;
                        if (d != null) {
                            break;
                        }
                        store.changed.await(20, TimeUnit.MILLISECONDS);
                    }
                } catch (InterruptedException e) {
                    return;
                } finally {
                    store.lock.unlock();
                }
                handler.onDelivery(d);
            }
        }

        private Delivery take() {
            Instant now = Instant.now();
            for (int i = 0; i < queues.size(); i++) {
                int index = (next + i) % queues.size();
                LinkedList<Entry> q = store.queues.get(queues.get(index));
                if (q == null || q.isEmpty()) {
                    continue;
                }
                ListIterator<Entry> it = has(Fault.REORDERS) ? q.listIterator(q.size()) : q.listIterator();
                while (has(Fault.REORDERS) ? it.hasPrevious() : it.hasNext()) {
                    Entry e = has(Fault.REORDERS) ? it.previous() : it.next();
                    if (e.due() != null && e.due().isAfter(now)) {
                        continue;
                    }
                    if (has(Fault.DOUBLE_DELIVERS) && !e.duplicated() && taken.incrementAndGet() % 5 == 0) {
                        it.set(new Entry(e.message(), e.exchange(), e.routingKey(), false, null, true));
                    } else {
                        it.remove();
                    }
                    next = (index + 1) % queues.size();
                    Delivery d = new Delivery(e.message(), queues.get(index), e.exchange(), e.routingKey(), e.redelivered(),
                            Long.toString(store.tags.incrementAndGet()));
                    unsettled.put(d.deliveryTag(), d);
                    return d;
                }
            }
            return null;
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
            store.lock.lock();
            try {
                if (stopped) {
                    throw new BrokerException("ref consumer closed");
                }
                Delivery d = unsettled.remove(delivery.deliveryTag());
                if (d != null && reject && requeue && !has(Fault.IGNORES_REQUEUE)) {
                    requeueLocked(d);
                }
                store.changed.signalAll();
            } finally {
                store.lock.unlock();
            }
        }

        @Override
        public void setPrefetch(int prefetch) {
            store.lock.lock();
            try {
                this.prefetch = prefetch;
                store.changed.signalAll();
            } finally {
                store.lock.unlock();
            }
        }

        @Override
        public int prefetch() {
            store.lock.lock();
            try {
                return prefetch;
            } finally {
                store.lock.unlock();
            }
        }

        List<Delivery> stop(boolean giveBack) {
            List<Delivery> held;
            store.lock.lock();
            try {
                if (stopped) {
                    return List.of();
                }
                stopped = true;
                held = new ArrayList<>(unsettled.values());
                unsettled.clear();
                if (giveBack && !has(Fault.LOSES_ON_CLOSE)) {
                    for (int i = held.size() - 1; i >= 0; i--) {
                        requeueLocked(held.get(i));
                    }
                }
                store.changed.signalAll();
            } finally {
                store.lock.unlock();
            }
            consumers.remove(this);
            if (Thread.currentThread() != thread) {
                try {
                    thread.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return held;
        }

        @Override
        public void close() {
            stop(true);
        }
    }
}
