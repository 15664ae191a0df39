package org.celeriac.examples.filebroker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerCapabilities;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.DeliveryHandler;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.PriorityOrder;
import org.celeriac.spi.broker.PublishOptions;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.spi.broker.UnsupportedCapabilityException;

/**
 * A broker that keeps each queue as a directory of files, like kombu's filesystem transport, so that
 * processes sharing a directory (on one machine, or on a file system with atomic renames) share the
 * queues. A consumer claims a message by renaming its file into its own {@code unacked} directory
 * (an atomic rename: exactly one consumer wins), acks by deleting it and rejects by renaming it back.
 * See {@link Layout} for the directory layout.
 *
 * <p>Capabilities: FIFO per queue (no priorities), no delayed delivery, no broadcast, no dead letters,
 * no transactional publish; durable (files are forced to disk before {@link #publish} returns); the
 * messages of a consumer that died come back after the visibility timeout, once its heartbeat (the
 * modification time of its {@code unacked} directory) is older than that. Thread-safe.
 */
public final class FileBroker implements Broker {
    private final Layout layout;
    private final Duration visibilityTimeout;
    private final Duration pollingInterval;
    private final Set<FileConsumer> consumers = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * Opens (and creates when missing) a broker directory.
     *
     * @param root the directory
     * @param visibilityTimeout how long a dead consumer's messages stay claimed; positive
     * @param pollingInterval how often an idle consumer looks for new files; positive
     * @throws BrokerException when the directory cannot be created
     */
    public FileBroker(Path root, Duration visibilityTimeout, Duration pollingInterval) {
        this.layout = new Layout(Objects.requireNonNull(root, "root"));
        this.visibilityTimeout = visibilityTimeout;
        this.pollingInterval = pollingInterval;
        try {
            Files.createDirectories(layout.tmp());
        } catch (IOException e) {
            throw new BrokerException("filesystem: cannot create the broker directory " + root + ": " + e.getMessage(), e);
        }
    }

    // tag::capabilities[]
    @Override
    public BrokerCapabilities capabilities() {
        return new BrokerCapabilities(PriorityOrder.NONE, false, null, false, false, false, true,
                visibilityTimeout, false);
    }
    // end::capabilities[]

    private void ensureOpen() {
        if (closed) {
            throw new BrokerException("filesystem: the broker on " + layout.root + " is closed; create a new one");
        }
    }

    @Override
    public void declareQueue(QueueSpec queue) {
        ensureOpen();
        try {
            Files.createDirectories(layout.ready(queue.name()));
            Files.createDirectories(layout.unacked(queue.name()));
            if (!queue.exchange().isEmpty()) {
                Path binding = layout.bindings(queue.exchange(), queue.routingKey());
                Files.createDirectories(binding);
                try {
                    Files.createFile(binding.resolve(Layout.encode(queue.name())));
                } catch (FileAlreadyExistsException already) {
                    // declaring is idempotent
                }
            }
        } catch (IOException e) {
            throw new BrokerException("filesystem: cannot declare queue " + queue.name() + ": " + e.getMessage(), e);
        }
    }

    // tag::publish[]
    @Override
    public CompletableFuture<Void> publish(String exchange, String routingKey, Message message, PublishOptions options) {
        if (options.notBefore() != null) {
            throw new UnsupportedCapabilityException("filesystem: no delayed delivery (BrokerCapabilities.delayedDelivery "
                    + "is false); publish without PublishOptions.notBefore");
        }
        if (options.transaction() != null) {
            throw new UnsupportedCapabilityException("filesystem: no transactional publish "
                    + "(BrokerCapabilities.transactionalPublish is false)");
        }
        ensureOpen();
        List<String> queues = route(exchange, routingKey);
        if (queues.isEmpty()) {
            return CompletableFuture.completedFuture(null); // routed nowhere: dropped, as AMQP does
        }
        byte[] data = MessageFiles.encode(message, exchange, routingKey);
        String name = Layout.newName();
        try {
            for (String queue : queues) {
                // write to tmp/, force it to disk, then rename into ready/: readers never see half a file
                Path tmp = layout.tmp().resolve(UUID.randomUUID() + ".part");
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    ch.write(java.nio.ByteBuffer.wrap(data));
                    ch.force(true);
                }
                Path ready = layout.ready(queue);
                Files.createDirectories(ready);
                Files.move(tmp, ready.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new BrokerException("filesystem: cannot publish to " + queues + ": "
                    + e.getMessage(), e));
        }
        return CompletableFuture.completedFuture(null);
    }
    // end::publish[]

    /** The default exchange routes to the queue named by the key; a direct exchange to its bound queues. */
    private List<String> route(String exchange, String routingKey) {
        if (exchange.isEmpty()) {
            return List.of(routingKey);
        }
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(layout.bindings(exchange, routingKey))) {
            s.forEach(p -> out.add(Layout.decode(p.getFileName().toString())));
        } catch (NoSuchFileException none) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    @Override
    public Consumer consume(List<String> queues, int prefetch, DeliveryHandler handler) {
        if (queues.isEmpty()) {
            throw new IllegalArgumentException("consume needs at least one queue");
        }
        if (prefetch < 0) {
            throw new IllegalArgumentException("prefetch must be >= 0 (0 = unlimited), was " + prefetch);
        }
        ensureOpen();
        FileConsumer c = new FileConsumer(layout, List.copyOf(queues), prefetch, Objects.requireNonNull(handler),
                visibilityTimeout, pollingInterval, consumers::remove);
        consumers.add(c);
        c.start();
        return c;
    }

    @Override
    public long purge(String queue) {
        ensureOpen();
        long removed = 0;
        for (Path p : Layout.sortedFiles(layout.ready(queue))) {
            try {
                if (Files.deleteIfExists(p)) {
                    removed++;
                }
            } catch (IOException e) {
                throw new BrokerException("filesystem: cannot purge " + queue + ": " + e.getMessage(), e);
            }
        }
        return removed;
    }

    @Override
    public long messageCount(String queue) {
        return Layout.sortedFiles(layout.ready(queue)).size();
    }

    @Override
    public void close() {
        closed = true;
        for (FileConsumer c : List.copyOf(consumers)) {
            c.close();
        }
    }

    @Override
    public String toString() {
        return "FileBroker[" + layout.root + "]";
    }
}
