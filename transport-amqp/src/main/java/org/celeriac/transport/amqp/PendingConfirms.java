package org.celeriac.transport.amqp;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The publishes of one confirm-mode channel that wait for their publisher confirm, in publish order: a ring of
 * entries whose sequence numbers ascend (the channel numbers its publishes 1, 2, 3, ... and {@link AmqpBroker}
 * adds them under its publish lock). Adding is O(1) amortised; a {@code basic.ack}/{@code basic.nack} with
 * {@code multiple=true} takes entries off the head, O(1) each; a single confirm is O(1) when it settles the oldest
 * publish (RabbitMQ confirms in order on one queue) and O(log n) otherwise (binary search, the entry is marked and
 * dropped once it reaches the head). This replaces a {@code ConcurrentSkipListMap} keyed by sequence number, whose
 * node allocation and comparisons showed in the profile of the publishing thread.
 *
 * <p>Thread-safe: one monitor guards the ring. Futures are never completed while it is held (a callback may publish
 * again): {@link #settle} and {@link #drain} hand each removed entry to the caller's action after releasing it.
 */
final class PendingConfirms {
    /** Capacity of a new ring; it doubles when full and returns to this size when it empties after growing large. */
    static final int INITIAL_CAPACITY = 256;
    private static final int SHRINK_ABOVE = 1 << 16;
    /** Most entries a multiple confirm takes off the ring per hold of the monitor. */
    private static final int BATCH = 512;

    /** A publish waiting for its confirm. Fields other than {@code returned} never change. */
    static final class Entry {
        final long seq;
        final String exchange;
        final String routingKey;
        final byte[] body;
        final CompletableFuture<Void> future;
        /** Why RabbitMQ returned the message ({@code basic.return}), or null; guarded by the ring's monitor. */
        String returned;
        /** Settled out of order by a single confirm; dropped when it reaches the head. Guarded by the monitor. */
        boolean settled;

        Entry(long seq, String exchange, String routingKey, byte[] body, CompletableFuture<Void> future) {
            this.seq = seq;
            this.exchange = exchange;
            this.routingKey = routingKey;
            this.body = body;
            this.future = future;
        }
    }

    private Entry[] ring = new Entry[INITIAL_CAPACITY];
    private int head;
    private int size;
    /** Entries in the ring not yet settled. */
    private int live;

    /**
     * Adds a publish about to be written. Its sequence number must be greater than every entry's; a smaller or
     * equal one means the channel was recovered and numbers again from 1: the entries of the old channel can never
     * be confirmed any more and are handed to {@code stale} (after the monitor is released).
     */
    void add(Entry e, Consumer<Entry> stale) {
        Entry[] old = null;
        synchronized (this) {
            if (size > 0 && at(size - 1).seq >= e.seq) {
                old = removeAllLocked();
            }
            if (size == ring.length) {
                grow();
            }
            ring[(head + size) & (ring.length - 1)] = e;
            size++;
            live++;
        }
        if (old != null) {
            for (Entry o : old) {
                stale.accept(o);
            }
        }
    }

    /** Takes back the newest entry, {@code seq}, whose publish failed before it was written; false when not found. */
    synchronized boolean removeNewest(long seq) {
        if (size == 0 || at(size - 1).seq != seq) {
            return false;
        }
        int i = (head + size - 1) & (ring.length - 1);
        if (!ring[i].settled) {
            live--;
        }
        ring[i] = null;
        size--;
        return true;
    }

    /**
     * Settles the publishes a confirm covers: with {@code multiple}, every entry up to and including {@code seq};
     * otherwise the one entry {@code seq}. Each settled entry is handed to {@code action} once, in publish order,
     * after the monitor is released.
     *
     * @return how many entries were settled
     */
    int settle(long seq, boolean multiple, Consumer<Entry> action) {
        if (multiple) {
            int n = 0;
            for (Entry[] batch; (batch = pollUpTo(seq)) != null; ) {
                for (Entry e : batch) {
                    action.accept(e);
                }
                n += batch.length;
            }
            return n;
        }
        Entry e = takeOne(seq);
        if (e == null) {
            return 0;
        }
        action.accept(e);
        return 1;
    }

    /**
     * The oldest unsettled entries with sequence numbers up to {@code seq} (at most {@value #BATCH} per call, so
     * the publishing thread never waits long for the monitor), removed; null when there are none.
     */
    private synchronized Entry[] pollUpTo(long seq) {
        int n = 0;
        while (n < size && n < BATCH && at(n).seq <= seq) {
            n++;
        }
        if (n == 0) {
            return null;
        }
        Entry[] out = new Entry[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            Entry e = ring[head];
            dropHead();
            if (!e.settled) {
                out[k++] = e;
            }
        }
        live -= k;
        return k == n ? out : Arrays.copyOf(out, k);
    }

    private synchronized Entry takeOne(long seq) {
        if (size == 0) {
            return null;
        }
        Entry first = ring[head];
        if (first.seq == seq) {
            dropHead();
            if (first.settled) {
                return null;
            }
            live--;
            trimSettledHead();
            return first;
        }
        int lo = 0;
        int hi = size - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Entry e = at(mid);
            if (e.seq < seq) {
                lo = mid + 1;
            } else if (e.seq > seq) {
                hi = mid - 1;
            } else {
                if (e.settled) {
                    return null;
                }
                e.settled = true;
                live--;
                return e;
            }
        }
        return null;
    }

    /**
     * Marks the oldest unsettled, not yet returned entry that {@code matcher} accepts as returned with
     * {@code reason} ({@code basic.return} arrives before the confirm of the same message).
     *
     * @return false when no entry matched
     */
    synchronized boolean markReturned(java.util.function.Predicate<Entry> matcher, String reason) {
        for (int i = 0; i < size; i++) {
            Entry e = at(i);
            if (!e.settled && e.returned == null && matcher.test(e)) {
                e.returned = reason;
                return true;
            }
        }
        return false;
    }

    /** Removes every entry and hands the unsettled ones to {@code action} (after the monitor is released). */
    void drain(Consumer<Entry> action) {
        Entry[] all;
        synchronized (this) {
            all = removeAllLocked();
        }
        for (Entry e : all) {
            action.accept(e);
        }
    }

    /** Publishes still waiting for their confirm. */
    synchronized int size() {
        return live;
    }

    synchronized boolean isEmpty() {
        return live == 0;
    }

    // ---------------------------------------------------------------------------------------- ring

    private Entry at(int i) {
        return ring[(head + i) & (ring.length - 1)];
    }

    private void dropHead() {
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        size--;
        if (size == 0) {
            head = 0;
            if (ring.length > SHRINK_ABOVE) {
                ring = new Entry[INITIAL_CAPACITY];
            }
        }
    }

    private void trimSettledHead() {
        while (size > 0 && ring[head].settled) {
            dropHead();
        }
    }

    private Entry[] removeAllLocked() {
        Entry[] out = new Entry[live];
        int n = 0;
        for (int i = 0; i < size; i++) {
            Entry e = at(i);
            if (!e.settled) {
                out[n++] = e;
            }
        }
        Arrays.fill(ring, null);
        head = 0;
        size = 0;
        live = 0;
        if (ring.length > SHRINK_ABOVE) {
            ring = new Entry[INITIAL_CAPACITY];
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    private void grow() {
        Entry[] bigger = new Entry[ring.length * 2];
        for (int i = 0; i < size; i++) {
            bigger[i] = at(i);
        }
        ring = bigger;
        head = 0;
    }
}
