package org.celeriac.examples.filebroker;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.DeliveryHandler;

/**
 * A consumer of a {@link FileBroker}: one thread that claims ready files by renaming them into this
 * consumer's {@code unacked} directory, hands them to the handler, keeps a heartbeat on its
 * directories and gives back the messages of consumers whose heartbeat stopped longer than the
 * visibility timeout ago. Thread-safe: deliveries may be settled from any thread.
 */
final class FileConsumer implements Consumer {
    private static final System.Logger LOG = System.getLogger(FileConsumer.class.getName());
    private static final AtomicLong THREADS = new AtomicLong();

    /** A delivery's file, claimed by this consumer. */
    private record Claimed(String queue, Path file, String name) {
    }

    private final String id = UUID.randomUUID().toString();
    private final Layout layout;
    private final List<String> queues;
    private final DeliveryHandler handler;
    private final Duration visibilityTimeout;
    private final long pollingMillis;
    private final java.util.function.Consumer<FileConsumer> onClose;
    private final Map<String, Claimed> unsettled = new ConcurrentHashMap<>();
    private final Object monitor = new Object();
    private final Thread thread;
    private volatile boolean stopped;
    private int prefetch; // guarded by monitor
    private int next;

    FileConsumer(Layout layout, List<String> queues, int prefetch, DeliveryHandler handler, Duration visibilityTimeout,
                 Duration pollingInterval, java.util.function.Consumer<FileConsumer> onClose) {
        this.layout = layout;
        this.queues = queues;
        this.prefetch = prefetch;
        this.handler = handler;
        this.visibilityTimeout = visibilityTimeout;
        this.pollingMillis = Math.max(1, pollingInterval.toMillis());
        this.onClose = onClose;
        this.thread = new Thread(this::run, "filesystem-consumer-" + THREADS.incrementAndGet());
        this.thread.setDaemon(true);
    }

    void start() {
        try {
            for (String q : queues) {
                Files.createDirectories(layout.ready(q));
                Files.createDirectories(own(q));
            }
        } catch (IOException e) {
            throw new BrokerException("filesystem: cannot start consuming " + queues + ": " + e.getMessage(), e);
        }
        thread.start();
    }

    private Path own(String queue) {
        return layout.unacked(queue).resolve(id);
    }

    // tag::consume-loop[]
    private void run() {
        long housekeeping = 0;
        long every = Math.min(1000, Math.max(1, visibilityTimeout.toMillis() / 3));
        while (!stopped) {
            long now = System.currentTimeMillis();
            if (now >= housekeeping) {
                heartbeatAndRestoreDeadConsumers();
                housekeeping = now + every;
            }
            Delivery d = hasRoom() ? claimNext() : null;
            if (d == null) {
                synchronized (monitor) {
                    if (!stopped) {
                        try {
                            monitor.wait(pollingMillis);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
                continue;
            }
            try {
                handler.onDelivery(d);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "filesystem: the delivery handler threw; requeueing " + d.deliveryTag(), e);
                settle(d, true, true);
            }
        }
    }
    // end::consume-loop[]

    private boolean hasRoom() {
        synchronized (monitor) {
            return prefetch == 0 || unsettled.size() < prefetch;
        }
    }

    /** Claims the oldest ready file, round-robin over the queues; null when there is none. */
    private Delivery claimNext() {
        for (int i = 0; i < queues.size(); i++) {
            int index = (next + i) % queues.size();
            String queue = queues.get(index);
            for (Path file : Layout.sortedFiles(layout.ready(queue))) {
                String name = file.getFileName().toString();
                Path claimed = own(queue).resolve(name);
                try {
                    Files.move(file, claimed, StandardCopyOption.ATOMIC_MOVE); // exactly one consumer wins
                } catch (NoSuchFileException taken) {
                    continue; // another consumer (or purge) was faster
                } catch (IOException e) {
                    throw new BrokerException("filesystem: cannot claim " + file + ": " + e.getMessage(), e);
                }
                MessageFiles.Stored s;
                try {
                    s = MessageFiles.decode(Files.readAllBytes(claimed));
                } catch (IOException e) {
                    throw new BrokerException("filesystem: cannot read " + claimed + ": " + e.getMessage(), e);
                }
                next = (index + 1) % queues.size();
                String tag = id + "/" + Layout.encode(queue) + "/" + name;
                unsettled.put(tag, new Claimed(queue, claimed, name));
                return new Delivery(s.message(), queue, s.exchange(), s.routingKey(),
                        name.endsWith(Layout.REDELIVERED_SUFFIX), tag);
            }
        }
        return null;
    }

    private void heartbeatAndRestoreDeadConsumers() {
        FileTime now = FileTime.from(Instant.now());
        Instant deadBefore = Instant.now().minus(visibilityTimeout);
        for (String q : queues) {
            try {
                Files.setLastModifiedTime(own(q), now);
                try (Stream<Path> dirs = Files.list(layout.unacked(q))) {
                    for (Path dir : dirs.toList()) {
                        if (!dir.getFileName().toString().equals(id)
                                && Files.getLastModifiedTime(dir).toInstant().isBefore(deadBefore)) {
                            restore(q, dir);
                        }
                    }
                }
            } catch (NoSuchFileException gone) {
                // another consumer restored it meanwhile
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "filesystem: housekeeping of queue " + q + " failed", e);
            }
        }
    }

    /** Gives every file of a dead consumer's directory back to the queue, marked redelivered. */
    private void restore(String queue, Path dir) throws IOException {
        for (Path file : Layout.sortedFiles(dir)) {
            giveBack(queue, file, file.getFileName().toString());
        }
        try {
            Files.deleteIfExists(dir);
        } catch (DirectoryNotEmptyException busy) {
            // the consumer is alive after all and claimed something: leave it
        }
    }

    private void giveBack(String queue, Path file, String name) throws IOException {
        try {
            Files.move(file, layout.ready(queue).resolve(Layout.redeliveredName(name)), StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException gone) {
            // settled or restored meanwhile
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
            throw new BrokerException("filesystem: the consumer is closed; delivery " + delivery.deliveryTag()
                    + " was given back to its queue");
        }
        Claimed c = unsettled.remove(delivery.deliveryTag());
        if (c == null) {
            LOG.log(System.Logger.Level.WARNING, "filesystem: delivery " + delivery.deliveryTag()
                    + " is not unsettled on this consumer (settled twice, or from another consumer); ignored");
            return;
        }
        try {
            if (reject && requeue) {
                giveBack(c.queue(), c.file(), c.name());
            } else {
                Files.deleteIfExists(c.file());
            }
        } catch (IOException e) {
            throw new BrokerException("filesystem: cannot settle " + delivery.deliveryTag() + ": " + e.getMessage(), e);
        }
        wake();
    }

    private void wake() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    @Override
    public void setPrefetch(int prefetch) {
        if (prefetch < 0) {
            throw new IllegalArgumentException("prefetch must be >= 0 (0 = unlimited), was " + prefetch);
        }
        synchronized (monitor) {
            this.prefetch = prefetch;
            monitor.notifyAll();
        }
    }

    @Override
    public int prefetch() {
        synchronized (monitor) {
            return prefetch;
        }
    }

    /** Stops consuming; unsettled deliveries go back to their queues at once. */
    @Override
    public void close() {
        stop(true);
    }

    /**
     * Test support: stops as if the process died — no more deliveries or heartbeats, and the claimed
     * files stay claimed until another consumer finds the heartbeat older than the visibility timeout.
     */
    void abandon() {
        stop(false);
    }

    private void stop(boolean giveBack) {
        if (stopped) {
            return;
        }
        stopped = true;
        wake();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (giveBack) {
            List<Claimed> held = new ArrayList<>(unsettled.values());
            for (Claimed c : held) {
                try {
                    giveBack(c.queue(), c.file(), c.name());
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "filesystem: cannot give back " + c.file()
                            + "; it comes back after the visibility timeout", e);
                }
            }
            for (String q : queues) {
                try {
                    Files.deleteIfExists(own(q));
                } catch (IOException e) {
                    // not empty: another consumer restores it after the visibility timeout
                }
            }
        }
        unsettled.clear();
        onClose.accept(this);
    }
}
