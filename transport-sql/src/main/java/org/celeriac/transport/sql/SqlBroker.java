package org.celeriac.transport.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.celeriac.spi.broker.BroadcastHandler;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerCapabilities;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Consumer;
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
 * Celeriac's SQL transport: messages are rows of {@code celeriac_message} (Celeriac's own tables, not
 * kombu's SQL transport), claimed with {@code SELECT … FOR UPDATE SKIP LOCKED} and held while the
 * claiming consumer's heartbeat ({@code celeriac_heartbeat}, see {@link Heartbeats}) is renewed. One broker
 * owns a connection pool, a background publish writer thread, a heartbeat thread and one polling thread
 * per consumer. Created by {@link SqlBrokerProvider}.
 *
 * <p>Thread-safe: every method may be called from any thread. Which methods block is said on each.
 */
public final class SqlBroker implements Broker {
    private static final Logger LOG = LoggerFactory.getLogger(SqlBroker.class);
    private static final long ROUTE_TTL_NANOS = Duration.ofSeconds(1).toNanos();
    private static final Duration SYNC_RETRY = Duration.ofSeconds(10);

    private final Database db;
    private final MessageCodec codec;
    private final TransportOptions options;
    private final BrokerCapabilities capabilities;
    private final String skipLocked;
    private final PublishWriter writer;
    private final Set<SqlConsumer> consumers = new CopyOnWriteArraySet<>();
    /**
     * Consumers of every broker of this JVM per JDBC URL, so that a publish wakes the consumers of another
     * broker instance on the same database (a client and a worker in one process).
     */
    private static final Map<String, Set<SqlConsumer>> LOCAL_CONSUMERS = new ConcurrentHashMap<>();
    private static final Map<String, Set<BroadcastPoller>> LOCAL_POLLERS = new ConcurrentHashMap<>();
    private final Set<SqlConsumer> localConsumers;
    private final Set<BroadcastPoller> localPollers;
    private final boolean postgres;
    /** Created with the first consumer or subscription; null before (and on other databases). */
    private volatile PgListener listener;
    private volatile BroadcastPoller poller;
    private final Object lazyLock = new Object();
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final Set<String> unroutedWarned = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final SqlCoordination coordination;
    private final Heartbeats heartbeats;

    private record Route(List<String> queues, long expiresAtNanos) {
    }

    SqlBroker(Database db, MessageCodec codec, TransportOptions options) {
        this.db = db;
        this.codec = codec;
        this.options = options;
        this.skipLocked = db.dialect().getForUpdateSkipLockedString();
        this.postgres = db.target().vendor().equals("postgresql");
        Duration precision = postgres ? max(options.pollingInterval(), options.listenInterval())
                : options.pollingInterval();
        this.capabilities = new BrokerCapabilities(PriorityOrder.HIGHER_FIRST, true, precision,
                true, true, true, true, options.redeliveryAfterCrash(precision), false);
        this.writer = new PublishWriter(db, this::route, this::committed, this::notify, options.publishBatch(),
                options.broadcastTtl(), "celeriac-sql-publisher");
        this.coordination = new SqlCoordination(db);
        this.heartbeats = new Heartbeats(db, options, () -> consumers);
        this.localConsumers = LOCAL_CONSUMERS.computeIfAbsent(db.target().jdbcUrl(), k -> new CopyOnWriteArraySet<>());
        this.localPollers = LOCAL_POLLERS.computeIfAbsent(db.target().jdbcUrl(), k -> new CopyOnWriteArraySet<>());
        LOG.debug("SQL broker at {} ({}), claim suffix '{}'", db.target().maskedUrl(), db.dialect(), skipLocked);
    }

    /** Never blocks. */
    @Override
    public BrokerCapabilities capabilities() {
        return capabilities;
    }

    /**
     * Writes the binding ({@code queue.exchange()}, {@code queue.routingKey()}) → {@code queue.name()} into
     * {@code celeriac_binding}, if missing. Queues themselves need no declaration (a queue is the set of rows
     * naming it); {@code maxPriority} and other arguments are accepted and ignored (priorities always work).
     * Idempotent, also across processes. Blocks for one transaction.
     *
     * @throws BrokerException when the database cannot be reached
     */
    @Override
    public void declareQueue(QueueSpec queue) {
        ensureOpen();
        db.inTransactionRetrying(SYNC_RETRY, c -> {
            try (PreparedStatement ps = c.prepareStatement(Statements.BINDING_EXISTS)) {
                ps.setString(1, queue.exchange());
                ps.setString(2, queue.routingKey());
                ps.setString(3, queue.name());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return null;
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(Statements.BIND)) {
                ps.setString(1, queue.exchange());
                ps.setString(2, queue.routingKey());
                ps.setString(3, queue.name());
                ps.executeUpdate();
            } catch (SQLException e) {
                if (!SqlErrors.isDuplicateKey(e)) { // another process declared it at the same moment
                    throw e;
                }
            }
            return null;
        });
        routes.remove(routeKey(queue.exchange(), queue.routingKey()));
    }

    /**
     * Publishes. Without a transaction the message is queued for the background writer, which inserts it
     * with others in one transaction; the future completes after that commit (durable), or exceptionally
     * with a {@link BrokerException}. Never blocks then. With {@link PublishOptions#transaction()} (a
     * {@link Connection} to this same database) the row is inserted synchronously on that connection
     * without committing: it becomes visible when the caller commits; the future is already complete.
     * {@link PublishOptions#notBefore()} delays delivery (precision: the polling interval).
     *
     * <p>Routing: exchange {@code ""} → the queue named by the routing key (stored even when nobody
     * declared it, like kombu's virtual transports); another exchange → the queues bound to it with that
     * routing key ({@link #declareQueue}); none bound → dropped, as AMQP does, with a warning logged once.
     *
     * @throws UnsupportedCapabilityException when {@code transaction} is not a {@link Connection}
     * @throws BrokerException when the broker is closed, or (transactional) the insert fails
     */
    @Override
    public CompletableFuture<Void> publish(String exchange, String routingKey, Message message,
                                          PublishOptions options) {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
        Objects.requireNonNull(message, "message");
        PublishOptions opts = options == null ? PublishOptions.NONE : options;
        ensureOpen();
        if (opts.transaction() != null && !(opts.transaction() instanceof Connection)) {
            throw new UnsupportedCapabilityException("celeriac-transport-sql joins a transaction given as a "
                    + "java.sql.Connection, not a " + opts.transaction().getClass().getName());
        }
        byte[] headers;
        byte[] properties;
        try {
            headers = codec.encodeHeaders(message.headers());
            properties = codec.encodeProperties(message.properties());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new BrokerException("cannot store the message's headers or "
                    + "properties as JSON: " + e.getMessage(), e));
        }
        Integer p = message.properties().priority();
        long notBefore = opts.notBefore() == null ? 0 : Math.max(0, opts.notBefore().toEpochMilli());
        CompletableFuture<Void> done = new CompletableFuture<>();
        PublishWriter.Pending pending = new PublishWriter.Pending(exchange, routingKey, p == null ? 0 : p, notBefore,
                headers, properties, message.body(), done, false);
        if (opts.transaction() instanceof Connection c) {
            try {
                List<String> queues = route(c, exchange, routingKey);
                try (PreparedStatement ps = c.prepareStatement(Statements.INSERT)) {
                    long now = System.currentTimeMillis();
                    for (String q : queues) {
                        PublishWriter.bind(ps, q, pending, now);
                        ps.executeUpdate();
                    }
                }
                if (!queues.isEmpty()) { // PostgreSQL: consumers everywhere wake when the caller commits
                    Map<String, Long> due = new java.util.HashMap<>();
                    queues.forEach(q -> due.put(q, notBefore));
                    notify(c, due, Set.of());
                }
            } catch (SQLException e) {
                throw new BrokerException("publishing in the caller's transaction failed: " + Database.message(e)
                        + " (the connection must belong to the broker's database, where celeriac_message exists)", e);
            }
            return CompletableFuture.completedFuture(null);
        }
        writer.submit(pending);
        return done;
    }

    /** The queues a message goes to; cached for a second per exchange and routing key. */
    List<String> route(Connection c, String exchange, String routingKey) throws SQLException {
        if (exchange.isEmpty()) {
            return List.of(routingKey);
        }
        String key = routeKey(exchange, routingKey);
        Route r = routes.get(key);
        long now = System.nanoTime();
        if (r == null || now - r.expiresAtNanos() > 0) {
            List<String> queues = new ArrayList<>(1);
            try (PreparedStatement ps = c.prepareStatement(Statements.BINDINGS)) {
                ps.setString(1, exchange);
                ps.setString(2, routingKey);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        queues.add(rs.getString(1));
                    }
                }
            }
            r = new Route(List.copyOf(queues), now + ROUTE_TTL_NANOS);
            routes.put(key, r);
        }
        if (r.queues().isEmpty() && unroutedWarned.size() < 1000 && unroutedWarned.add(key)) {
            LOG.warn("Message to exchange '{}' with routing key '{}' is dropped: no queue is bound to it "
                    + "(declare the queue first, or publish to exchange \"\" with the queue name as routing key)",
                    exchange, routingKey);
        }
        return r.queues();
    }

    private static String routeKey(String exchange, String routingKey) {
        return exchange + '\u0000' + routingKey;
    }

    /**
     * Starts a consumer thread on {@code queues}. Never blocks for long (the first claim happens on the
     * consumer's thread). Deliveries arrive on that one thread, in priority then publish order.
     *
     * @param prefetch at most this many unsettled deliveries; 0 = unlimited (claims of {@code claim_batch})
     * @throws IllegalArgumentException when {@code queues} is empty or {@code prefetch} negative
     * @throws BrokerException when the broker is closed
     */
    @Override
    public Consumer consume(List<String> queues, int prefetch, DeliveryHandler handler) {
        Objects.requireNonNull(handler, "handler");
        if (queues == null || queues.isEmpty()) {
            throw new IllegalArgumentException("consume needs at least one queue");
        }
        if (prefetch < 0) {
            throw new IllegalArgumentException("prefetch must be >= 0 (0 = unlimited), got " + prefetch);
        }
        ensureOpen();
        SqlConsumer consumer = new SqlConsumer(this, db, codec, options, queues, prefetch, handler);
        consumers.add(consumer);
        localConsumers.add(consumer);
        listener();
        heartbeats.start();
        consumer.start();
        return consumer;
    }

    void unregister(SqlConsumer consumer) {
        consumers.remove(consumer);
        localConsumers.remove(consumer);
    }

    Heartbeats heartbeats() {
        return heartbeats;
    }

    String skipLockedClause() {
        return skipLocked;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** After a publish commit: wakes this JVM's consumers of those queues and pollers of those exchanges. */
    private void committed(Set<String> queues, Set<String> exchanges) {
        if (!queues.isEmpty()) {
            wakeConsumers(queues);
        }
        for (BroadcastPoller p : localPollers) {
            for (String e : exchanges) {
                if (p.watches(e)) {
                    p.wake();
                    break;
                }
            }
        }
    }

    /** Inside a publish transaction: on PostgreSQL, NOTIFY the listeners of other processes (sent at commit). */
    private void notify(Connection c, Map<String, Long> queues, Set<String> exchanges) throws SQLException {
        if (!postgres) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("select pg_notify(?, ?)")) {
            for (Map.Entry<String, Long> q : queues.entrySet()) {
                ps.setString(1, PgListener.MESSAGES);
                ps.setString(2, q.getKey() + '\t' + q.getValue());
                ps.executeQuery().close();
            }
            for (String e : exchanges) {
                ps.setString(1, PgListener.BROADCASTS);
                ps.setString(2, e);
                ps.executeQuery().close();
            }
        }
    }

    /** The PostgreSQL listener, started on first use; null on other databases. */
    private PgListener listener() {
        if (!postgres || closed.get()) {
            return null;
        }
        PgListener l = listener;
        if (l == null) {
            synchronized (lazyLock) {
                l = listener;
                if (l == null) {
                    l = new PgListener(db.target(), new PgListener.Callback() {
                        @Override
                        public void message(String queue, long notBefore) {
                            for (SqlConsumer c : consumers) {
                                if (c.watches(queue)) {
                                    c.noteDue(notBefore);
                                }
                            }
                        }

                        @Override
                        public void broadcast(String exchange) {
                            BroadcastPoller p = poller;
                            if (p != null && p.watches(exchange)) {
                                p.wake();
                            }
                        }

                        @Override
                        public void reconnected() {
                            consumers.forEach(SqlConsumer::wake);
                            BroadcastPoller p = poller;
                            if (p != null) {
                                p.wake();
                            }
                        }
                    });
                    listener = l;
                }
            }
        }
        return l;
    }

    /**
     * How long an idle consumer may wait between two claims: the polling interval, or on PostgreSQL while
     * LISTEN works, {@code listen_interval} (publishes of any process wake it through NOTIFY).
     */
    long idleCapNanos() {
        PgListener l = listener;
        return l != null && l.healthy() ? max(options.pollingInterval(), options.listenInterval()).toNanos()
                : options.pollingInterval().toNanos();
    }

    /**
     * Publishes to every subscriber of {@code exchange} (remote control, events): a row of
     * {@code celeriac_broadcast}, written by the background writer with the other publishes (group commit);
     * the future completes after the commit. Subscribers of every process read it within their polling
     * interval (at once in this process, and on PostgreSQL through NOTIFY); rows are deleted after
     * {@code broadcast_ttl} (default 60 s). Never blocks.
     *
     * @throws BrokerException when the broker is closed
     */
    @Override
    public CompletableFuture<Void> publishBroadcast(String exchange, String routingKey, Message message) {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
        Objects.requireNonNull(message, "message");
        ensureOpen();
        byte[] headers;
        byte[] properties;
        try {
            headers = codec.encodeHeaders(message.headers());
            properties = codec.encodeProperties(message.properties());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new BrokerException("cannot store the broadcast's headers or "
                    + "properties as JSON: " + e.getMessage(), e));
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        writer.submit(new PublishWriter.Pending(exchange, routingKey, 0, 0, headers, properties, message.body(), done,
                true));
        return done;
    }

    /**
     * Subscribes to {@code exchange}: broadcasts committed after this returns are handed to {@code handler}
     * on the broker's broadcast thread, in publish order. Blocks for one query.
     *
     * @throws BrokerException when the broker is closed or the database cannot be reached
     */
    @Override
    public Subscription subscribeBroadcast(String exchange, BroadcastHandler handler) {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(handler, "handler");
        ensureOpen();
        BroadcastPoller p = poller;
        if (p == null) {
            synchronized (lazyLock) {
                p = poller;
                if (p == null) {
                    p = new BroadcastPoller(db, codec, options.pollingInterval().toNanos());
                    poller = p;
                    localPollers.add(p);
                }
            }
        }
        listener();
        return p.subscribe(exchange, handler);
    }

    private void wakeConsumers(Set<String> queues) {
        for (SqlConsumer c : localConsumers) {
            for (String q : queues) {
                if (c.watches(q)) {
                    c.wake();
                    break;
                }
            }
        }
    }

    /** Moves claimed rows to {@code celeriac_dead_letter} on {@code c} (part of the caller's transaction). */
    void deadLetter(Connection c, List<Long> ids, String claimedBy) throws SQLException {
        for (int from = 0; from < ids.size(); from += options.claimBatch()) {
            List<Long> chunk = ids.subList(from, Math.min(ids.size(), from + options.claimBatch()));
            try (PreparedStatement ps = c.prepareStatement(Statements.deadLetter(chunk.size()))) {
                ps.setLong(1, System.currentTimeMillis());
                int next = Statements.bindIds(ps, 2, chunk);
                ps.setString(next, claimedBy);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(Statements.delete(chunk.size()))) {
                int next = Statements.bindIds(ps, 1, chunk);
                ps.setString(next, claimedBy);
                ps.executeUpdate();
            }
        }
    }

    /**
     * Deletes the unclaimed messages of {@code queue} (ready and delayed ones; claimed, unsettled ones stay).
     * Blocks for one transaction.
     *
     * @return how many rows were deleted
     * @throws BrokerException when the database cannot be reached
     */
    @Override
    public long purge(String queue) {
        ensureOpen();
        return db.inTransactionRetrying(SYNC_RETRY, c -> {
            try (PreparedStatement ps = c.prepareStatement(Statements.PURGE)) {
                ps.setString(1, queue);
                ps.setLong(2, System.currentTimeMillis());
                return (long) ps.executeUpdate();
            }
        });
    }

    /**
     * Counts the ready messages of {@code queue}: unclaimed (or whose lease expired) and due. Blocks for one
     * query.
     *
     * @throws BrokerException when the database cannot be reached
     */
    @Override
    public long messageCount(String queue) {
        ensureOpen();
        return db.inTransactionRetrying(SYNC_RETRY, c -> {
            try (PreparedStatement ps = c.prepareStatement(Statements.COUNT_READY)) {
                long now = System.currentTimeMillis();
                ps.setString(1, queue);
                ps.setLong(2, now);
                ps.setLong(3, now);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    /**
     * The messages dead-lettered from {@code queue} ({@code reject(requeue=false)}), oldest first, for
     * inspection by operators and the TCK. Blocks for one query.
     *
     * @throws BrokerException when the database cannot be reached
     */
    public java.util.List<Message> deadLetters(String queue) {
        ensureOpen();
        return db.inTransactionRetrying(SYNC_RETRY, c -> {
            java.util.List<Message> out = new java.util.ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT headers, properties, body FROM celeriac_dead_letter WHERE queue = ? ORDER BY id")) {
                ps.setString(1, queue);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Message(codec.decodeHeaders(rs.getBytes(1)), codec.decodeProperties(rs.getBytes(2)),
                                rs.getBytes(3)));
                    }
                }
            }
            return out;
        });
    }

    /**
     * Test support: makes {@code consumer} behave like one whose process died — it stops at once without
     * flushing acks or giving its claimed messages back, and its heartbeat is no longer renewed, so they
     * return only when its lease ({@code lease_timeout}) expires and a broker notices. Used by the TCK's crash rules. Blocks until its thread stopped.
     *
     * @throws IllegalArgumentException when {@code consumer} is not a consumer of this transport
     */
    public void crash(Consumer consumer) {
        if (!(consumer instanceof SqlConsumer sc)) {
            throw new IllegalArgumentException("not a consumer of the SQL transport: " + consumer);
        }
        sc.abandon();
    }

    /** Leases, counters and key/value with TTL in {@code celeriac_kv}. Never blocks. */
    @Override
    public Optional<Coordination> coordination() {
        return Optional.of(coordination);
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new BrokerException("the SQL broker at " + db.target().maskedUrl() + " is closed");
        }
    }

    /**
     * Closes the consumers (acks flushed, unsettled messages given back), writes the publishes still queued,
     * then closes the pool. Blocking; idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            for (SqlConsumer c : consumers) {
                c.close();
            }
            heartbeats.close();
            BroadcastPoller p = poller;
            if (p != null) {
                p.close();
                localPollers.remove(p);
            }
            PgListener l = listener;
            if (l != null) {
                l.close();
            }
            writer.close();
        } finally {
            db.close();
        }
    }

    @Override
    public String toString() {
        return "SqlBroker[" + db.target().maskedUrl() + "]";
    }
}
