package org.celeriac.tck;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.DeliveryHandler;
import org.junit.jupiter.api.Assertions;

/**
 * A {@link DeliveryHandler} that records deliveries for the broker rules, optionally acking each one
 * first. Every wait is bounded. Thread-safe.
 */
final class Inbox implements DeliveryHandler {
    /** What the handler does with a delivery before recording it. */
    enum Settle { HOLD, ACK }

    private final LinkedBlockingQueue<Delivery> arrived = new LinkedBlockingQueue<>();
    private final List<Delivery> all = java.util.Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch bound = new CountDownLatch(1);
    private final Settle settle;
    private final Duration timeout;
    private final String name;
    private volatile Consumer consumer;

    Inbox(String name, Settle settle, Duration timeout) {
        this.name = name;
        this.settle = settle;
        this.timeout = timeout;
    }

    void bind(Consumer c) {
        consumer = c;
        bound.countDown();
    }

    Consumer consumer() {
        return consumer;
    }

    @Override
    public void onDelivery(Delivery delivery) {
        if (settle == Settle.ACK) {
            try {
                // a delivery may come before consume() returned the consumer
                if (!bound.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                consumer.ack(delivery);
            } catch (org.celeriac.spi.broker.BrokerException closed) {
                return; // the consumer was closed meanwhile: the transport gives the delivery back
            }
        }
        all.add(delivery);
        arrived.add(delivery);
    }

    /** The next delivery, or a failure saying {@code what} was expected within the timeout. */
    Delivery next(String what) {
        return next(timeout, what);
    }

    Delivery next(Duration within, String what) {
        try {
            Delivery d = arrived.poll(within.toMillis(), TimeUnit.MILLISECONDS);
            if (d == null) {
                Assertions.fail(name + ": expected " + what + " within " + within.toMillis() + " ms, but nothing was delivered"
                        + " (" + all.size() + " deliveries so far: " + ids(snapshot()) + ")");
            }
            return d;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
    }

    /** The next {@code n} deliveries, each within the timeout. */
    List<Delivery> next(int n, String what) {
        List<Delivery> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(next(what + " (" + (i + 1) + " of " + n + ")"));
        }
        return out;
    }

    /** Fails when a delivery comes within {@code quiet}. */
    void expectNothing(Duration quiet, String why) {
        try {
            Delivery d = arrived.poll(quiet.toMillis(), TimeUnit.MILLISECONDS);
            if (d != null) {
                Assertions.fail(name + ": " + why + ", but " + describe(d) + " was delivered");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Every delivery so far, in arrival order. */
    List<Delivery> snapshot() {
        synchronized (all) {
            return List.copyOf(all);
        }
    }

    static String describe(Delivery d) {
        return "message " + TckMessages.idOf(d) + " (queue " + d.queue() + ", redelivered=" + d.redelivered()
                + ", tag " + d.deliveryTag() + ")";
    }

    static List<Object> ids(List<Delivery> ds) {
        return ds.stream().map(TckMessages::idOf).toList();
    }
}
