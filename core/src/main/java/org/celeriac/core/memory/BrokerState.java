package org.celeriac.core.memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.QueueSpec;

/**
 * The queues, bindings, dead letters and broadcast subscribers of one namespace. Everything but the
 * broadcast map is guarded by {@link #lock}; {@link #changed} is signalled whenever a consumer may be
 * able to take a message (a message arrived, a delivery was settled, a prefetch changed, a consumer closed).
 */
final class BrokerState {
    final ReentrantLock lock = new ReentrantLock();
    final Condition changed = lock.newCondition();
    final Map<String, MemQueue> queues = new HashMap<>();
    /** exchange → routing key → bound queues. */
    final Map<String, Map<String, Set<String>>> bindings = new HashMap<>();
    final Map<String, List<Message>> deadLetters = new HashMap<>();
    final Map<String, List<MemoryBroker.BroadcastSubscription>> broadcast = new ConcurrentHashMap<>();
    final AtomicLong deliveryTags = new AtomicLong();

    /** A message waiting in a queue, with how it was published. */
    record Entry(Message message, String exchange, String routingKey, boolean redelivered) {
    }

    /** One queue: FIFO per priority, higher priorities first. Guarded by the namespace lock. */
    static final class MemQueue {
        final String name;
        Integer maxPriority;
        private final TreeMap<Integer, ArrayDeque<Entry>> byPriority = new TreeMap<>(Comparator.reverseOrder());
        private int size;

        MemQueue(String name) {
            this.name = name;
        }

        private int priorityOf(Entry e) {
            Integer p = e.message().properties().priority();
            int v = p == null ? 0 : Math.max(0, Math.min(255, p));
            return maxPriority != null ? Math.min(v, maxPriority) : v;
        }

        void addLast(Entry e) {
            byPriority.computeIfAbsent(priorityOf(e), k -> new ArrayDeque<>()).addLast(e);
            size++;
        }

        void addFirst(Entry e) {
            byPriority.computeIfAbsent(priorityOf(e), k -> new ArrayDeque<>()).addFirst(e);
            size++;
        }

        Entry poll() {
            while (!byPriority.isEmpty()) {
                Map.Entry<Integer, ArrayDeque<Entry>> first = byPriority.firstEntry();
                Entry e = first.getValue().pollFirst();
                if (first.getValue().isEmpty()) {
                    byPriority.remove(first.getKey());
                }
                if (e != null) {
                    size--;
                    return e;
                }
            }
            return null;
        }

        int size() {
            return size;
        }

        int clear() {
            int n = size;
            byPriority.clear();
            size = 0;
            return n;
        }
    }

    /** Caller holds the lock. */
    MemQueue queue(String name) {
        return queues.computeIfAbsent(name, MemQueue::new);
    }

    /** Declares a queue and its binding. Caller holds the lock. */
    void declare(QueueSpec spec) {
        MemQueue q = queue(spec.name());
        if (spec.maxPriority() != null) {
            q.maxPriority = spec.maxPriority();
        }
        bindings.computeIfAbsent(spec.exchange(), k -> new HashMap<>())
                .computeIfAbsent(spec.routingKey(), k -> new LinkedHashSet<>()).add(spec.name());
    }

    /**
     * The queues a message goes to. The default exchange {@code ""} routes to the queue named by the
     * routing key, creating it when missing (as kombu's virtual transports do); a direct exchange routes
     * to the queues bound with that key (none: dropped, as AMQP does). Caller holds the lock.
     */
    List<String> route(String exchange, String routingKey) {
        if (exchange.isEmpty()) {
            queue(routingKey);
            return List.of(routingKey);
        }
        Map<String, Set<String>> b = bindings.get(exchange);
        if (b == null) {
            return List.of();
        }
        Set<String> bound = b.get(routingKey);
        return bound == null ? List.of() : new ArrayList<>(bound);
    }

    /** Adds a dead letter. Caller holds the lock. */
    void deadLetter(String queue, Message m) {
        deadLetters.computeIfAbsent(queue, k -> new ArrayList<>()).add(m);
    }

    List<MemoryBroker.BroadcastSubscription> subscribers(String exchange) {
        return broadcast.getOrDefault(exchange, Collections.emptyList());
    }

    List<MemoryBroker.BroadcastSubscription> subscribersForUpdate(String exchange) {
        return broadcast.computeIfAbsent(exchange, k -> new CopyOnWriteArrayList<>());
    }
}
