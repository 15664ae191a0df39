package org.celeriac.transport.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import org.celeriac.spi.ConnectionUrl;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A RabbitMQ broker: one AMQP connection with automatic connection and topology recovery, one publishing
 * channel in confirm mode, one administration channel for declarations, and one channel per consumer and per
 * broadcast subscription. Thread-safe.
 *
 * <p>Publishing ({@link #publish}): the message is written at once and the future completes on the broker's
 * publisher confirm ({@code basic.ack}); a {@code basic.nack}, a lost connection or a {@code basic.return}
 * (publishes to the default exchange {@code ""} are {@code mandatory}: a routing key naming no queue fails the
 * future with the exchange and routing key named) complete it exceptionally. Named exchanges drop unroutable
 * messages silently, as AMQP and the SPI say, unless {@link AmqpTransportOptions#mandatoryOnNamedExchanges()}.
 * A publish with {@link PublishOptions#notBefore()} goes through the durable delay levels of
 * {@link AmqpDelayedDelivery} (Celery 5.5's native delayed delivery).
 *
 * <p>Topology as Celery ({@code kombu/entity.py}): {@link #declareQueue} declares the direct exchange when it is
 * missing (not auto-delete, durable like the queue, so kombu's non-durable pidbox reply exchange stays so), the queue (durable as asked, not exclusive, not auto-delete, {@code x-max-priority}
 * when asked or when {@code task_queue_max_priority} is set) and the binding; so Python and Java may declare the
 * same queue in any order without PRECONDITION_FAILED (unless options add arguments Celery does not send:
 * {@link AmqpTransportOptions#deadLetterExchange()}, {@link AmqpTransportOptions#lazyQueues()}).
 */
public final class AmqpBroker implements Broker {
    private static final Logger LOG = LoggerFactory.getLogger(AmqpBroker.class);
    /** How long a queued acknowledgement may wait for others to share its {@code basic.ack(multiple)}, in µs. */
    static final long ACK_FLUSH_MICROS = 1000;

    private final ConnectionUrl url;
    private final AmqpTransportOptions options;
    private final Connection connection;
    private final Object publishLock = new Object();
    private final Channel publishChannel;
    private final PendingConfirms pending = new PendingConfirms();
    private final java.util.function.Consumer<PendingConfirms.Entry> failStale = this::failStale;
    private final Object adminLock = new Object();
    private Channel adminChannel;
    private final Set<String> declaredExchanges = ConcurrentHashMap.newKeySet();
    /** "exchange\0routingKey" -> queues declared on it by {@link #declareQueue}, for delayed delivery. */
    private final Map<String, List<String>> declaredBindings = new ConcurrentHashMap<>();
    private final AmqpDelayedDelivery delayed = new AmqpDelayedDelivery(this);
    private final List<AmqpConsumer> consumers = new CopyOnWriteArrayList<>();
    private final List<QueueSubscription> subscriptions = new CopyOnWriteArrayList<>();
    private final Object recoveryMonitor = new Object();
    private volatile UnaryOperator<Message> publishInterceptor;
    private final java.util.concurrent.ScheduledThreadPoolExecutor settleExecutor;
    private volatile boolean closed;

    /**
     * Connects (blocking).
     *
     * @throws BrokerException when RabbitMQ cannot be reached or refuses the login or vhost
     */
    AmqpBroker(ConnectionUrl url, AmqpTransportOptions options, String connectionName) {
        this.url = url;
        this.options = options;
        this.connection = AmqpConnections.connect(url, options, connectionName);
        this.settleExecutor = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "celeriac-amqp-settle");
            t.setDaemon(true);
            return t;
        });
        settleExecutor.setRemoveOnCancelPolicy(true);
        try {
            publishChannel = connection.createChannel();
            publishChannel.confirmSelect();
            publishChannel.addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long seq, boolean multiple) {
                    settle(seq, multiple, null);
                }

                @Override
                public void handleNack(long seq, boolean multiple) {
                    settle(seq, multiple, "RabbitMQ refused the message (basic.nack): an internal error in the queue "
                            + "process; publish it again");
                }
            });
            publishChannel.addReturnListener(r -> onReturn(r.getExchange(), r.getRoutingKey(), r.getReplyCode(),
                    r.getReplyText(), r.getBody()));
            publishChannel.addShutdownListener(this::failPending);
            adminChannel = connection.createChannel();
        } catch (IOException e) {
            connection.abort();
            settleExecutor.shutdownNow();
            throw new BrokerException("cannot open channels to RabbitMQ as " + where() + ": " + AmqpConnections.reason(e), e);
        }
        if (connection instanceof Recoverable r) {
            r.addRecoveryListener(new RecoveryListener() {
                @Override
                public void handleRecovery(Recoverable recoverable) {
                    LOG.info("connection to RabbitMQ ({}) recovered; consumers resumed", where());
                    synchronized (recoveryMonitor) {
                        recoveryMonitor.notifyAll();
                    }
                }

                @Override
                public void handleRecoveryStarted(Recoverable recoverable) {
                    LOG.warn("connection to RabbitMQ ({}) lost; reconnecting every {} ms", where(),
                            options.recoveryInterval().toMillis());
                }
            });
        }
    }

    private String where() {
        return AmqpConnections.describe(url, options);
    }

    @Override
    public BrokerCapabilities capabilities() {
        return new BrokerCapabilities(options.quorum() ? PriorityOrder.NONE : PriorityOrder.HIGHER_FIRST, true,
                AmqpDelayedDelivery.PRECISION,
                true, options.deadLetterExchange() != null, false, true, Duration.ZERO, true);
    }

    /** The options in effect. */
    public AmqpTransportOptions options() {
        return options;
    }

    // ----------------------------------------------------------------------------------- declarations

    /** Runs {@code op} on the administration channel, reopening it when a refused declaration closed it. */
    <T> T admin(String what, AdminOp<T> op) {
        ensureOpen();
        synchronized (adminLock) {
            try {
                if (!adminChannel.isOpen()) {
                    adminChannel = connection.createChannel();
                }
                return op.run(adminChannel);
            } catch (IOException | AlreadyClosedException e) {
                throw new BrokerException(what + " failed on RabbitMQ (" + where() + "): " + AmqpConnections.reason(e), e);
            }
        }
    }

    /** An operation on a channel. */
    @FunctionalInterface
    interface AdminOp<T> {
        T run(Channel channel) throws IOException;
    }

    /** The queue arguments Celery would declare {@code spec} with. */
    Map<String, Object> queueArguments(QueueSpec spec) {
        Map<String, Object> args = new HashMap<>(AmqpHeaders.table(spec.arguments()));
        Integer max = spec.maxPriority() != null ? spec.maxPriority() : options.maxPriority();
        if (max != null && !options.quorum()) {
            args.put("x-max-priority", max);
        }
        if (options.quorum()) {
            args.put("x-queue-type", "quorum");
        }
        if (options.deadLetterExchange() != null) {
            args.putIfAbsent("x-dead-letter-exchange", options.deadLetterExchange());
        }
        if (options.lazyQueues()) {
            args.putIfAbsent("x-queue-mode", "lazy");
        }
        return args;
    }

    @Override
    public void declareQueue(QueueSpec spec) {
        Objects.requireNonNull(spec, "spec");
        Map<String, Object> args = queueArguments(spec);
        admin("declaring queue '" + spec.name() + "' (durable=" + spec.durable() + ", arguments " + args + ")", ch -> {
            if (!spec.exchange().isEmpty()) {
                declareDirectExchangeIfMissing(spec.exchange(), spec.durable(), ch);
            }
            ch.queueDeclare(spec.name(), spec.durable(), false, false, args.isEmpty() ? null : args);
            if (!spec.exchange().isEmpty()) {
                ch.queueBind(spec.name(), spec.exchange(), spec.routingKey());
            }
            return null;
        });
        if (!spec.exchange().isEmpty()) {
            declaredBindings.compute(spec.exchange() + "\u0000" + spec.routingKey(), (k, v) -> {
                List<String> l = v == null ? new ArrayList<>() : new ArrayList<>(v);
                if (!l.contains(spec.name())) {
                    l.add(spec.name());
                }
                return List.copyOf(l);
            });
        }
    }

    /**
     * Declares the direct exchange a queue is bound to unless it exists: an existing one is used as it is, so a
     * queue spec never fails on the exchange's durability (it carries the queue's only). A new one takes the queue's
     * durability: Celery's task exchanges are durable like their queues, kombu's pidbox reply exchange
     * ({@code reply.celery.pidbox}, {@code kombu/pidbox.py}) is not, like the reply queues bound to it — declared
     * durable, Python's {@code celery inspect} would fail on it with PRECONDITION_FAILED. The existence check runs on
     * a channel of its own (a failed passive declare closes its channel). Admin lock held.
     */
    private void declareDirectExchangeIfMissing(String name, boolean durable, Channel ch) throws IOException {
        Channel probe = connection.createChannel();
        boolean exists;
        try {
            probe.exchangeDeclarePassive(name);
            exists = true;
        } catch (IOException e) {
            if (!(e.getCause() instanceof ShutdownSignalException s) || !(s.getReason() instanceof AMQP.Channel.Close c)
                    || c.getReplyCode() != AMQP.NOT_FOUND) {
                throw e;
            }
            exists = false;
        } finally {
            if (probe.isOpen()) {
                try {
                    probe.close();
                } catch (java.util.concurrent.TimeoutException | AlreadyClosedException ignored) {
                    // closed meanwhile
                }
            }
        }
        if (!exists) {
            ch.exchangeDeclare(name, "direct", durable, false, null);
        }
    }

    /**
     * Declares an exchange once per broker (kombu's {@code maybe_declare}).
     *
     * @param type {@code direct}, {@code topic} or {@code fanout}
     */
    void declareExchange(String name, String type, boolean durable) {
        if (name.isEmpty() || declaredExchanges.contains(name)) {
            return;
        }
        admin("declaring " + type + " exchange '" + name + "'", ch -> ch.exchangeDeclare(name, type, durable, false, null));
        declaredExchanges.add(name);
    }

    /** Declares a non-durable, auto-delete queue with {@code args} (reply and broadcast queues). */
    void declareTransientQueue(String name, Map<String, Object> args) {
        admin("declaring queue '" + name + "'", ch -> ch.queueDeclare(name, false, false, true, args));
    }

    @Override
    public long purge(String queue) {
        return admin("purging queue '" + queue + "'", ch -> (long) ch.queuePurge(queue).getMessageCount());
    }

    @Override
    public long messageCount(String queue) {
        ensureOpen();
        try (Channel ch = connection.createChannel()) {
            return ch.queueDeclarePassive(queue).getMessageCount();
        } catch (IOException e) {
            if (AmqpConnections.notFound(e)) {
                return 0;
            }
            throw new BrokerException("counting the messages of queue '" + queue + "' failed: " + AmqpConnections.reason(e), e);
        } catch (java.util.concurrent.TimeoutException | AlreadyClosedException e) {
            throw new BrokerException("counting the messages of queue '" + queue + "' failed: " + e.getMessage(), e);
        }
    }

    // ----------------------------------------------------------------------------------------- publish

    @Override
    public CompletableFuture<Void> publish(String exchange, String routingKey, Message message, PublishOptions options) {
        if (options != null && options.transaction() != null) {
            throw new UnsupportedCapabilityException("the AMQP transport cannot publish inside a JDBC transaction "
                    + "(BrokerCapabilities.transactionalPublish is false)");
        }
        UnaryOperator<Message> interceptor = publishInterceptor;
        Message m = interceptor == null ? message : interceptor.apply(message);
        boolean mandatory = exchange.isEmpty() || this.options.mandatoryOnNamedExchanges();
        if (options != null && options.notBefore() != null) {
            long seconds = AmqpDelayedDelivery.delaySeconds(options.notBefore(), java.time.Instant.now());
            if (seconds > 0) {
                return publishDelayed(exchange, routingKey, m, seconds);
            }
        }
        return send(exchange, routingKey, m, mandatory);
    }

    /**
     * Publishes through the delay levels (see {@link AmqpDelayedDelivery}) after binding the target queues to
     * {@code celery_delayed_delivery}. Mandatory: a delay level always takes the message; a queue that does not exist
     * fails the future (default exchange) or the call (named exchange without declared queues).
     */
    private CompletableFuture<Void> publishDelayed(String exchange, String routingKey, Message m, long seconds) {
        AmqpDelayedDelivery d = delayed;
        d.ensureDeclared();
        if (exchange.isEmpty()) {
            try {
                d.bindTarget(routingKey, routingKey);
            } catch (BrokerException e) {
                if (AmqpConnections.notFound(e)) {
                    return CompletableFuture.failedFuture(new BrokerException("cannot delay a message for queue '" + routingKey
                            + "': no queue named '" + routingKey + "' exists; declare it first", e));
                }
                throw e;
            }
        } else {
            List<String> targets = declaredBindings.getOrDefault(exchange + "\u0000" + routingKey, List.of());
            if (targets.isEmpty()) {
                throw new UnsupportedCapabilityException("delayed delivery to exchange '" + exchange + "' with routing key '"
                        + routingKey + "' needs the target queue declared through this broker (declareQueue) first, "
                        + "so it can be bound to " + AmqpDelayedDelivery.DELIVERY_EXCHANGE + "; or publish to the default "
                        + "exchange with the queue name as routing key");
            }
            for (String q : targets) {
                d.bindTarget(q, routingKey);
            }
        }
        return send(AmqpDelayedDelivery.firstExchange(), AmqpDelayedDelivery.routingKey(seconds, routingKey), m, true);
    }

    /** Publishes with confirms; {@code mandatory} makes an unroutable message fail the future. */
    CompletableFuture<Void> send(String exchange, String routingKey, Message message, boolean mandatory) {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
        ensureOpen();
        AMQP.BasicProperties props = AmqpHeaders.toAmqp(message);
        CompletableFuture<Void> future = new CompletableFuture<>();
        byte[] body = message.body();
        for (int attempt = 0; ; attempt++) {
            try {
                synchronized (publishLock) {
                    long seq = publishChannel.getNextPublishSeqNo();
                    pending.add(new PendingConfirms.Entry(seq, exchange, routingKey, body, future), failStale);
                    try {
                        publishChannel.basicPublish(exchange, routingKey, mandatory, props, body);
                    } catch (IOException | RuntimeException e) {
                        pending.removeNewest(seq);
                        throw e;
                    }
                }
                return future;
            } catch (IOException | AlreadyClosedException e) {
                if (closed) {
                    throw new BrokerException("the AMQP broker is closed", e);
                }
                if (attempt > 0 || !awaitRecovery(this.options.publishRecoveryWait())) {
                    throw new BrokerException("cannot publish to exchange '" + exchange + "' with routing key '" + routingKey
                            + "': the connection to RabbitMQ (" + where() + ") is down and did not come back within "
                            + this.options.publishRecoveryWait().toMillis() + " ms (publish_recovery_wait)", e);
                }
            }
        }
    }

    /** Waits until the connection is open again; false when it did not come back in time. */
    private boolean awaitRecovery(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (recoveryMonitor) {
            while (!closed && !(connection.isOpen() && publishChannel.isOpen())) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(recoveryMonitor, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return !closed;
    }

    private void settle(long seq, boolean multiple, String nack) {
        pending.settle(seq, multiple, nack == null ? AmqpBroker::confirmed : p -> complete(p, nack));
    }

    private static void confirmed(PendingConfirms.Entry p) {
        complete(p, null);
    }

    private static void complete(PendingConfirms.Entry p, String nack) {
        if (p.returned != null) {
            p.future.completeExceptionally(new UnroutableException(p.returned));
        } else if (nack != null) {
            p.future.completeExceptionally(new BrokerException(nack + " (exchange '" + p.exchange + "', routing key '"
                    + p.routingKey + "')"));
        } else {
            p.future.complete(null);
        }
    }

    /** basic.return comes before the confirm of the same message: mark the oldest matching publish. */
    private void onReturn(String exchange, String routingKey, int code, String text, byte[] body) {
        String reason = "RabbitMQ returned the message as unroutable (" + code + " " + text + "): exchange '"
                + exchange + "' has no queue bound with routing key '" + routingKey + "'"
                + (exchange.isEmpty() ? " (no queue named '" + routingKey + "' exists; declare it first, as "
                + "task_create_missing_queues does)" : "");
        if (pending.markReturned(p -> p.exchange.equals(exchange) && p.routingKey.equals(routingKey)
                && Arrays.equals(p.body, body), reason)) {
            return;
        }
        LOG.warn("RabbitMQ returned an unroutable message (exchange '{}', routing key '{}', {} {}) that matches no "
                + "pending publish", exchange, routingKey, code, text);
    }

    private void failPending(ShutdownSignalException cause) {
        if (pending.isEmpty()) {
            return;
        }
        String why = closed ? "the AMQP broker was closed" : "the connection to RabbitMQ (" + where() + ") was lost";
        pending.drain(p -> fail(p, why, cause));
    }

    /** A publish of a channel that recovery replaced, still unconfirmed (normally failed by {@link #failPending}). */
    private void failStale(PendingConfirms.Entry p) {
        fail(p, "the channel to RabbitMQ (" + where() + ") was recovered", null);
    }

    private static void fail(PendingConfirms.Entry p, String why, Throwable cause) {
        p.future.completeExceptionally(new BrokerException(why + " before RabbitMQ confirmed the message to exchange '"
                + p.exchange + "' with routing key '" + p.routingKey + "'; it may or may not have been "
                + "delivered: publish it again (the task id makes duplicates visible)", cause));
    }

    /**
     * Lets the {@code rpc://} backend complete task messages before they are sent (Celery clients always set
     * {@code reply_to}); null removes it.
     */
    void publishInterceptor(UnaryOperator<Message> interceptor) {
        this.publishInterceptor = interceptor;
    }

    // ----------------------------------------------------------------------------------------- consume

    @Override
    public Consumer consume(List<String> queues, int prefetch, DeliveryHandler handler) {
        if (queues == null || queues.isEmpty()) {
            throw new IllegalArgumentException("consume needs at least one queue");
        }
        if (prefetch < 0) {
            throw new IllegalArgumentException("prefetch must be >= 0 (0 = unlimited), was " + prefetch);
        }
        Objects.requireNonNull(handler, "handler");
        ensureOpen();
        try {
            AmqpConsumer c = new AmqpConsumer(this, connection.createChannel(), List.copyOf(queues), prefetch, handler,
                    options.globalQos());
            consumers.add(c);
            c.start();
            return c;
        } catch (IOException | AlreadyClosedException e) {
            throw new BrokerException("cannot consume from " + queues + " on RabbitMQ (" + where() + "): "
                    + AmqpConnections.reason(e), e);
        }
    }

    /** The broker's one settle thread: delayed ack flushes and delayed-delivery housekeeping. */
    java.util.concurrent.ScheduledExecutorService settleExecutor() {
        return settleExecutor;
    }

    void removed(AmqpConsumer c) {
        consumers.remove(c);
    }

    /**
     * Simulates the death of the process holding {@code consumer} (for the TCK and fault tests): its channel is
     * aborted without sending pending acknowledgements, so RabbitMQ requeues its unacknowledged messages at once,
     * marked redelivered, exactly as when the connection of a killed process drops.
     */
    public void crash(Consumer consumer) {
        ((AmqpConsumer) consumer).crash();
    }

    /**
     * Closes the TCP connection abruptly (no acks, no cancels, no close handshake), as a killed process does. For
     * fault tests. Note: amqp-client treats this abort as a close the application asked for, so automatic recovery
     * does NOT reconnect afterwards; to test recovery, close the connection from the server side
     * ({@code rabbitmqctl close_connection}/{@code close_all_connections}).
     */
    public void dropConnection() {
        try {
            if (connection instanceof com.rabbitmq.client.impl.recovery.AutorecoveringConnection a) {
                a.getDelegate().abort();
                return;
            }
        } catch (RuntimeException e) {
            LOG.debug("abort failed", e);
        }
        connection.abort();
    }

    // --------------------------------------------------------------------------------------- broadcast

    private String broadcastType(String exchange) {
        return options.topicExchanges().contains(exchange) ? "topic" : "fanout";
    }

    private void declareBroadcastExchange(String exchange) {
        String type = broadcastType(exchange);
        // Celery: celery.pidbox is fanout, non-durable; celeryev is topic, durable (spec §2.4, §2.5)
        declareExchange(exchange, type, type.equals("topic"));
    }

    @Override
    public CompletableFuture<Void> publishBroadcast(String exchange, String routingKey, Message message) {
        declareBroadcastExchange(exchange);
        return send(exchange, routingKey, message, false);
    }

    /**
     * {@link #publishBroadcast}, mandatory: RabbitMQ returns the message when no queue is bound to the exchange, so
     * the count is 0 then (nobody listens: mingle's "all alone" needs no wait); when it was routed, AMQP 0-9-1 does not
     * say to how many queues, so the count is unknown (empty).
     */
    @Override
    public CompletableFuture<OptionalInt> publishBroadcastCounted(String exchange, String routingKey, Message message) {
        declareBroadcastExchange(exchange);
        return send(exchange, routingKey, message, true).handle((v, e) -> {
            if (e == null) {
                return OptionalInt.empty();
            }
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                    ? e.getCause() : e;
            if (cause instanceof UnroutableException) {
                return OptionalInt.of(0);
            }
            throw cause instanceof BrokerException b ? b
                    : new BrokerException("broadcast to exchange '" + exchange + "' failed: " + cause, cause);
        });
    }

    @Override
    public Subscription subscribeBroadcast(String exchange, BroadcastHandler handler) {
        Objects.requireNonNull(handler, "handler");
        declareBroadcastExchange(exchange);
        boolean topic = broadcastType(exchange).equals("topic");
        String queue = exchange + "." + UUID.randomUUID();
        // kombu's pidbox node queue: ttl 300 s, expires 10 s; event receivers: ttl 5 s, expires 60 s
        Map<String, Object> args = topic ? Map.of("x-message-ttl", 5000, "x-expires", 60000)
                : Map.of("x-message-ttl", 300000, "x-expires", 10000);
        declareTransientQueue(queue, args);
        admin("binding queue '" + queue + "' to '" + exchange + "'", ch -> ch.queueBind(queue, exchange, topic ? "#" : ""));
        return subscribeQueue(queue, (env, m) -> {
            try {
                handler.onMessage(env.getRoutingKey(), m);
            } catch (RuntimeException e) {
                LOG.warn("broadcast handler for exchange '{}' failed; message ignored", exchange, e);
            }
        });
    }

    /**
     * Consumes {@code queue} with automatic acknowledgement on a channel of its own (broadcast queues and the
     * {@code rpc://} reply queue, which Celery also reads with {@code no_ack=True}). Blocks until consuming.
     */
    QueueSubscription subscribeQueue(String queue, BiConsumer<Envelope, Message> onMessage) {
        ensureOpen();
        try {
            Channel ch = connection.createChannel();
            QueueSubscription s = new QueueSubscription(ch);
            ch.basicConsume(queue, true, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
                    if (!s.closed) {
                        onMessage.accept(env, AmqpHeaders.fromAmqp(props, body));
                    }
                }
            });
            subscriptions.add(s);
            return s;
        } catch (IOException | AlreadyClosedException e) {
            throw new BrokerException("cannot consume from queue '" + queue + "' on RabbitMQ (" + where() + "): "
                    + AmqpConnections.reason(e), e);
        }
    }

    /** A subscription to one queue on its own channel; closing cancels the consumer and closes the channel. */
    final class QueueSubscription implements Subscription {
        private final Channel channel;
        private volatile boolean closed;

        QueueSubscription(Channel channel) {
            this.channel = channel;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            subscriptions.remove(this);
            try {
                if (channel.isOpen()) {
                    channel.close();
                }
            } catch (IOException | java.util.concurrent.TimeoutException | AlreadyClosedException e) {
                LOG.debug("closing a subscription channel failed", e);
            }
        }
    }

    // ----------------------------------------------------------------------------------------- lifecycle

    void ensureOpen() {
        if (closed) {
            throw new BrokerException("the AMQP broker (" + where() + ") is closed");
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (AmqpConsumer c : new ArrayList<>(consumers)) {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.debug("closing a consumer failed", e);
            }
        }
        for (QueueSubscription s : new ArrayList<>(subscriptions)) {
            s.close();
        }
        // give outstanding confirms a moment before the connection goes
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!pending.isEmpty() && connection.isOpen() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        closed = true;
        synchronized (recoveryMonitor) {
            recoveryMonitor.notifyAll();
        }
        try {
            connection.close(5000);
        } catch (IOException | AlreadyClosedException e) {
            LOG.debug("closing the connection failed", e);
            connection.abort();
        }
        failPending(null);
        settleExecutor.shutdownNow();
    }

    @Override
    public String toString() {
        return "AmqpBroker[" + url + "]";
    }
}
