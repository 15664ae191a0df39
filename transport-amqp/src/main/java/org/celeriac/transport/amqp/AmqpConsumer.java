package org.celeriac.transport.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.DeliveryHandler;
import org.celeriac.spi.broker.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes queues on one channel of its own: {@code basic.qos(prefetch, global)} (global as kombu sets it on
 * RabbitMQ, so the limit covers every queue of this consumer), one {@code basic.consume} per queue with manual
 * acknowledgement. RabbitMQ's round-robin between a channel's consumers keeps several queues from starving.
 * Thread-safe.
 *
 * <p>Acknowledgements are batched: {@link #ack} only queues the tag. The queued acks are sent when a quarter of
 * the prefetch window (at least 1, at most 64; 64 when unlimited) is queued, by the acking thread, or else by the
 * broker's settle thread {@link AmqpBroker#ACK_FLUSH_MICROS} µs after the first of them — never later, so the
 * prefetch window cannot stall. A flush sends one {@code basic.ack(multiple=true)} for the longest run of the
 * oldest unsettled deliveries that are all acked, and single acks for the others. Rejects flush queued acks first,
 * under the same lock, so a multiple ack never covers a rejected delivery.
 */
final class AmqpConsumer implements Consumer {
    private static final Logger LOG = LoggerFactory.getLogger(AmqpConsumer.class);

    private final AmqpBroker broker;
    private final Channel channel;
    private final List<String> queues;
    private final DeliveryHandler handler;
    private final boolean globalQos;
    private final List<String> tags = new ArrayList<>();
    private final NavigableSet<Long> unsettled = new ConcurrentSkipListSet<>();
    private final ConcurrentLinkedQueue<Long> acks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushing = new AtomicBoolean();
    private final AtomicInteger queuedAcks = new AtomicInteger();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final Object settleLock = new Object();
    private final ReentrantReadWriteLock dispatch = new ReentrantReadWriteLock();
    private volatile int prefetch;
    private volatile boolean closed;

    AmqpConsumer(AmqpBroker broker, Channel channel, List<String> queues, int prefetch, DeliveryHandler handler,
                 boolean globalQos) {
        this.broker = broker;
        this.channel = channel;
        this.queues = queues;
        this.prefetch = prefetch;
        this.handler = handler;
        this.globalQos = globalQos;
    }

    void start() throws IOException {
        channel.basicQos(prefetch, globalQos);
        try {
            for (String q : queues) {
                tags.add(channel.basicConsume(q, false, new QueueConsumer(q)));
            }
        } catch (IOException | RuntimeException e) {
            closed = true;
            broker.removed(this);
            abortQuietly();
            throw e;
        }
    }

    /** Receives one queue's deliveries. */
    private final class QueueConsumer extends DefaultConsumer {
        private final String queue;

        QueueConsumer(String queue) {
            super(channel);
            this.queue = queue;
        }

        @Override
        public void handleDelivery(String consumerTag, Envelope env, AMQP.BasicProperties props, byte[] body) {
            dispatch.readLock().lock();
            try {
                if (closed) {
                    return; // not acked: the channel close gives it back
                }
                long tag = env.getDeliveryTag();
                unsettled.add(tag);
                Message m;
                try {
                    m = AmqpHeaders.fromAmqp(props, body);
                } catch (RuntimeException e) {
                    LOG.warn("message {} from queue '{}' has headers Celeriac cannot read; rejected", tag, queue, e);
                    reject(tag, false);
                    return;
                }
                Delivery d = new Delivery(m, queue, env.getExchange(), env.getRoutingKey(), env.isRedeliver(),
                        Long.toString(tag));
                try {
                    handler.onDelivery(d);
                } catch (RuntimeException e) {
                    LOG.warn("delivery handler failed on message {} from queue '{}'; requeued", tag, queue, e);
                    if (unsettled.contains(tag)) {
                        reject(tag, true);
                    }
                }
            } finally {
                dispatch.readLock().unlock();
            }
        }

        @Override
        public void handleCancel(String consumerTag) {
            LOG.warn("RabbitMQ cancelled consuming from queue '{}' (the queue was deleted?)", queue);
        }
    }

    private static long tagOf(Delivery d) {
        try {
            return Long.parseLong(d.deliveryTag());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public void ack(Delivery delivery) {
        checkOpen();
        long tag = tagOf(delivery);
        if (!unsettled.contains(tag)) {
            LOG.warn("ack of delivery {} from queue '{}' ignored: it is already settled or not this consumer's",
                    delivery.deliveryTag(), delivery.queue());
            return;
        }
        acks.add(tag);
        if (queuedAcks.incrementAndGet() >= ackBatch()) {
            flush();
        } else if (flushScheduled.compareAndSet(false, true)) {
            try {
                broker.settleExecutor().schedule(() -> {
                    flushScheduled.set(false);
                    flush();
                }, AmqpBroker.ACK_FLUSH_MICROS, TimeUnit.MICROSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) { // the broker is closing
                flushScheduled.set(false);
                flush();
            }
        }
    }

    /** How many queued acks are sent at once by the acking thread: a quarter of the prefetch window, 1..64. */
    private int ackBatch() {
        int p = prefetch;
        return p == 0 ? 64 : Math.max(1, Math.min(64, p / 4));
    }

    /** Sends every queued ack unless another thread is doing so; loops so no ack is left behind. */
    private void flush() {
        while (!acks.isEmpty() && flushing.compareAndSet(false, true)) {
            try {
                synchronized (settleLock) {
                    sendAcks();
                }
            } finally {
                flushing.set(false);
            }
        }
    }

    /** Under settleLock. */
    private void sendAcks() {
        TreeSet<Long> batch = new TreeSet<>();
        for (Long t; (t = acks.poll()) != null; ) {
            queuedAcks.decrementAndGet();
            if (unsettled.contains(t)) {
                batch.add(t);
            }
        }
        if (batch.isEmpty() || closed) {
            return;
        }
        try {
            long last = -1;
            int run = 0; // unsettled is sorted: the oldest deliveries first
            for (Long t : unsettled) {
                if (!batch.contains(t)) {
                    break;
                }
                last = t;
                run++;
            }
            if (run > 0) {
                channel.basicAck(last, run > 1);
                unsettled.headSet(last, true).clear();
                batch.headSet(last, true).clear();
            }
            for (Long t : batch) {
                channel.basicAck(t, false);
                unsettled.remove(t);
            }
        } catch (IOException | AlreadyClosedException e) {
            // the connection is gone: RabbitMQ requeues these; after recovery the tags are stale anyway
            LOG.warn("could not acknowledge {} deliveries (connection lost: {}); RabbitMQ will redeliver them",
                    batch.size(), e.getMessage());
            unsettled.removeAll(batch);
        }
    }

    @Override
    public void reject(Delivery delivery, boolean requeue) {
        checkOpen();
        long tag = tagOf(delivery);
        if (!unsettled.contains(tag)) {
            LOG.warn("reject of delivery {} from queue '{}' ignored: it is already settled or not this consumer's",
                    delivery.deliveryTag(), delivery.queue());
            return;
        }
        reject(tag, requeue);
    }

    private void reject(long tag, boolean requeue) {
        synchronized (settleLock) {
            sendAcks();
            if (!unsettled.remove(tag)) {
                return;
            }
            try {
                channel.basicReject(tag, requeue);
            } catch (IOException | AlreadyClosedException e) {
                LOG.warn("could not reject delivery {} (connection lost: {}); RabbitMQ will redeliver it", tag, e.getMessage());
            }
        }
    }

    @Override
    public void setPrefetch(int prefetch) {
        if (prefetch < 0) {
            throw new IllegalArgumentException("prefetch must be >= 0 (0 = unlimited), was " + prefetch);
        }
        checkOpen();
        try {
            channel.basicQos(prefetch, globalQos);
            this.prefetch = prefetch;
        } catch (IOException | AlreadyClosedException e) {
            throw new BrokerException("basic.qos(" + prefetch + ") failed: " + AmqpConnections.reason(e), e);
        }
    }

    @Override
    public int prefetch() {
        return prefetch;
    }

    private void checkOpen() {
        if (closed) {
            throw new BrokerException("this AMQP consumer of " + queues + " is closed");
        }
    }

    @Override
    public void close() {
        dispatch.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            synchronized (settleLock) {
                sendAcks();
                closed = true;
            }
        } finally {
            dispatch.writeLock().unlock();
        }
        broker.removed(this);
        try {
            for (String t : tags) {
                channel.basicCancel(t);
            }
            channel.close(); // unacknowledged deliveries go back to their queues, redelivered
        } catch (IOException | TimeoutException | ShutdownSignalException e) {
            LOG.debug("closing consumer channel: {}", e.getMessage());
            abortQuietly();
        }
    }

    /** Dies without settling anything: RabbitMQ requeues what this channel held. */
    void crash() {
        dispatch.writeLock().lock();
        try {
            closed = true;
            acks.clear();
        } finally {
            dispatch.writeLock().unlock();
        }
        broker.removed(this);
        abortQuietly();
    }

    private void abortQuietly() {
        try {
            channel.abort();
        } catch (IOException | RuntimeException e) {
            LOG.debug("aborting consumer channel: {}", e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "AmqpConsumer" + queues;
    }

    /** For tests: how many deliveries wait for settlement. */
    int unsettledCount() {
        Iterator<Long> it = unsettled.iterator();
        int n = 0;
        while (it.hasNext()) {
            it.next();
            n++;
        }
        return n;
    }
}
