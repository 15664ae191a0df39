package org.celeriac.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.CeleriacException;
import org.celeriac.api.Client;
import org.celeriac.api.TaskCall;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskInstanceFactory;
import org.celeriac.api.TaskListener;
import org.celeriac.api.TaskOptions;
import org.celeriac.api.WorkerListener;
import org.celeriac.core.internal.NodeNames;
import org.celeriac.core.protocol.OutgoingTask;
import org.celeriac.core.protocol.TaskProtocol;
import org.celeriac.core.registry.DefaultTaskInstanceFactory;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.EagerExecutor;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerCapabilities;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.PublishOptions;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.spi.broker.UnsupportedCapabilityException;
import org.celeriac.spi.serializer.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Celeriac app (Celery's {@code Celery()} object): configuration, the broker and result backend
 * connections, the tasks this process knows, and the client verbs. One instance is meant to be shared
 * by the whole application; it is thread-safe. {@link #close()} releases its connections.
 *
 * <pre>{@code
 * try (Celeriac app = Celeriac.connect("redis://localhost:6379/0", "redis://localhost:6379/1")) {
 *     long eight = app.task("tasks.add", Long.class).delay(4, 4).get(Duration.ofSeconds(1));
 * }
 * }</pre>
 */
public final class Celeriac implements Client {
    private static final Logger LOG = LoggerFactory.getLogger(Celeriac.class);

    private final Settings settings;
    private final Broker broker;
    private final ResultBackend backend; // nullable
    private final Components components;
    private final Serializer taskSerializer;
    private final TaskProtocol protocol;
    private final TaskRegistry registry;
    private final TaskInstanceFactory instances;
    private final List<TaskListener> taskListeners;
    private final List<WorkerListener> workerListeners;
    private final String origin;
    private final String defaultQueue;
    private final boolean createMissingQueues;
    private final boolean alwaysEager;
    private final Duration pollInterval;
    private final String compression;
    private final Set<String> declared = ConcurrentHashMap.newKeySet();
    private final EagerExecutor eager;
    private final org.celeriac.core.routing.TaskRoutes routes;
    private final String oid = UUID.randomUUID().toString();
    /** The {@code reply_to} of task messages sent without one: the backend's ({@code rpc://}) or {@link #oid}. */
    private final String replyTo;
    private final boolean sendSentEvent;
    private final boolean brokerDelays;
    private final Object sentEventsLock = new Object();
    private volatile org.celeriac.core.events.EventDispatcher sentEvents;
    private volatile boolean sentEventsUnsupported;
    private volatile boolean closed;

    private Celeriac(Builder b, Components components, Settings settings) {
        this.settings = settings;
        this.components = components;
        this.origin = NodeNames.clientOrigin();
        this.taskSerializer = components.serializer(settings.string("task_serializer", "json"));
        this.protocol = new TaskProtocol(components::serializerOrNull, components.acceptedContentTypes(settings));
        this.registry = org.celeriac.core.registry.TaskAnnotations.parse(settings.raw("task_annotations").orElse(null))
                .apply(b.registry != null ? b.registry : TaskRegistry.load(b.classLoader, null));
        this.instances = b.instances != null ? b.instances : new DefaultTaskInstanceFactory();
        this.taskListeners = new CopyOnWriteArrayList<>(b.taskListeners);
        this.workerListeners = new CopyOnWriteArrayList<>(b.workerListeners);
        this.defaultQueue = settings.string("task_default_queue", "celery");
        this.routes = new org.celeriac.core.routing.TaskRoutes(settings.raw("task_routes").orElse(null), b.routers,
                defaultQueue, knownQueues(settings), b.classLoader);
        this.createMissingQueues = settings.bool("task_create_missing_queues", true);
        this.brokerDelays = settings.bool("broker_delayed_delivery", true);
        this.alwaysEager = settings.bool("task_always_eager", false);
        this.pollInterval = Optional.ofNullable(settings.duration("result_poll_interval", Duration.ofMillis(100)))
                .orElse(Duration.ofMillis(100));
        this.compression = settings.string("task_compression").filter(s -> !s.isBlank() && !s.equalsIgnoreCase("none"))
                .orElse(null);
        ProviderContext brokerContext = components.context(settings, null, origin);
        this.broker = b.broker != null ? b.broker : components.createBroker(settings, brokerContext);
        ResultBackend rb;
        try {
            rb = b.backend != null ? b.backend
                    : components.createResultBackend(settings, components.context(settings, broker, origin)).orElse(null);
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        this.backend = rb;
        this.replyTo = rb != null ? rb.replyTo().orElse(oid) : oid;
        this.sendSentEvent = settings.bool("task_send_sent_event", false);
        this.eager = new EagerExecutor(this);
    }

    /** A builder; with nothing set, everything comes from the configuration sources (see {@link Builder}). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * An app on these URLs, everything else from the configuration sources.
     *
     * @param brokerUrl the broker URL; null means the configured or embedded default
     * @param resultBackendUrl the result backend URL; null means the configured or embedded default
     * @throws org.celeriac.spi.ProviderException when no module on the class path serves a URL's scheme
     * @throws CeleriacException when connecting fails
     */
    public static Celeriac connect(String brokerUrl, String resultBackendUrl) {
        Builder b = builder();
        if (brokerUrl != null) {
            b.set("broker_url", brokerUrl);
        }
        if (resultBackendUrl != null) {
            b.set("result_backend", resultBackendUrl);
        }
        return b.build();
    }

    // ------------------------------------------------------------------------------------ accessors

    /** The effective settings. */
    public Settings settings() {
        return settings;
    }

    /** The broker connection. */
    public Broker broker() {
        return broker;
    }

    /** The result backend; empty when none is configured. */
    public Optional<ResultBackend> resultBackend() {
        return Optional.ofNullable(backend);
    }

    /** The tasks this process knows. */
    public TaskRegistry registry() {
        return registry;
    }

    /** The task protocol codec (for the worker). */
    public TaskProtocol protocol() {
        return protocol;
    }

    /** The serializer for task messages ({@code task_serializer}). */
    public Serializer taskSerializer() {
        return taskSerializer;
    }

    /** The instance factory for instance {@code @Task} methods. */
    public TaskInstanceFactory instances() {
        return instances;
    }

    /** Task signal listeners (live list). */
    public List<TaskListener> taskListeners() {
        return taskListeners;
    }

    /** Worker signal listeners (live list). */
    public List<WorkerListener> workerListeners() {
        return workerListeners;
    }

    /**
     * This app's object id (Celery's {@code app.thread_oid}, a UUID string): the {@code reply_to} property of the
     * task messages it sends when the result backend names no reply queue itself ({@link ResultBackend#replyTo()}).
     * With {@code rpc://} the reply queue of that backend is used instead (Celery's {@code RPCBackend.oid}), also
     * when the backend was given to {@link Builder#resultBackend} rather than configured.
     */
    public String oid() {
        return oid;
    }

    /** The origin header of messages this process sends ({@code gen<pid>@host}). */
    public String origin() {
        return origin;
    }

    /** Discovery and component creation (serializers by content type). */
    public Components components() {
        return components;
    }

    /** The routers of {@code task_routes} and the default queue. */
    public org.celeriac.core.routing.TaskRoutes routes() {
        return routes;
    }

    /**
     * The queue names declared in {@code task_queues} (Celery's {@code app.amqp.queues} keys), in their order: the
     * keys of a map, the {@code name} of each entry of a list, or a comma-separated string. Never null; empty when
     * {@code task_queues} is unset or blank. Pure function of {@code settings}; thread-safe.
     */
    public static Set<String> knownQueues(Settings settings) {
        Set<String> out = new java.util.LinkedHashSet<>();
        Object q = settings.raw("task_queues").orElse(null);
        if (q instanceof Map<?, ?> m) {
            m.keySet().forEach(k -> out.add(String.valueOf(k)));
        } else if (q instanceof List<?> l) {
            for (Object o : l) {
                out.add(o instanceof Map<?, ?> m && m.get("name") != null ? String.valueOf(m.get("name")) : String.valueOf(o));
            }
        } else if (q != null && !String.valueOf(q).isBlank()) {
            out.addAll(settings.list("task_queues"));
        }
        return out;
    }

    /** The default queue ({@code task_default_queue}). */
    public String defaultQueue() {
        return defaultQueue;
    }

    // ------------------------------------------------------------------------------------ client verbs

    @Override
    public AsyncResult<Object> sendTask(String name, List<?> args, Map<String, ?> kwargs, ApplyOptions options) {
        return apply(name, Object.class, args, kwargs, options, false);
    }

    @Override
    public <R> TaskCall<R> task(String name, Class<R> resultType) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a task name must not be empty");
        }
        return new TaskCall<>() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public AsyncResult<R> delay(Object... args) {
                return apply(name, resultType, List.of(args == null ? new Object[0] : args), null, null, true);
            }

            @Override
            public AsyncResult<R> applyAsync(List<?> args, Map<String, ?> kwargs, ApplyOptions options) {
                return apply(name, resultType, args, kwargs, options, true);
            }
        };
    }

    @Override
    public AsyncResult<Object> asyncResult(String taskId) {
        return new AsyncResultImpl<>(taskId, Object.class, backend, pollInterval, CompletableFuture.completedFuture(null));
    }

    // ------------------------------------------------------------------------------------ canvas verbs

    /**
     * A signature (Celery's {@code app.signature(name, args, kwargs, **options)}): a task call to send later,
     * alone ({@link #apply(org.celeriac.core.canvas.Signature)}) or in a chain, group or chord.
     *
     * @param options apply options in Celery's names ({@code queue}, {@code task_id}, {@code countdown},
     *                {@code priority}, {@code link}, {@code link_error}); nullable
     * @throws IllegalArgumentException when {@code name} is empty
     */
    public org.celeriac.core.canvas.Signature signature(String name, List<?> args, Map<String, ?> kwargs,
                                                        Map<String, ?> options) {
        return new org.celeriac.core.canvas.Signature(name, args == null ? null : new ArrayList<>(args),
                kwargs == null ? null : new LinkedHashMap<>(kwargs), options == null ? null : new LinkedHashMap<>(options),
                false);
    }

    /** An immutable signature (Celery's {@code si()}): a parent's result is not prepended to its args. */
    public org.celeriac.core.canvas.Signature si(String name, Object... args) {
        return org.celeriac.core.canvas.Signature.immutable(name, args);
    }

    /**
     * Sends one signature (Celery's {@code sig.apply_async()}). Blocks until the broker has it.
     *
     * @throws CeleriacException when the message cannot be encoded or handed to the broker
     */
    public AsyncResult<Object> apply(org.celeriac.core.canvas.Signature sig) {
        ensureOpen();
        return new org.celeriac.core.canvas.Canvas(this).apply(sig);
    }

    /**
     * Sends a chain (Celery's {@code chain(*sigs).apply_async()}): each step gets the previous result prepended
     * unless immutable; a failure stops the chain. Blocks until the broker has the first step.
     *
     * @return the last step's result
     * @throws IllegalArgumentException when no signature is given
     */
    public AsyncResult<Object> chain(org.celeriac.core.canvas.Signature... steps) {
        ensureOpen();
        return new org.celeriac.core.canvas.Canvas(this).chain(List.of(steps));
    }

    /**
     * Sends a group (Celery's {@code group(*sigs).apply_async()}). Blocks until the broker has every member.
     *
     * @return the group's results; {@link org.celeriac.core.canvas.GroupResult#save()} stores it
     */
    public org.celeriac.core.canvas.GroupResult group(org.celeriac.core.canvas.Signature... members) {
        ensureOpen();
        return new org.celeriac.core.canvas.Canvas(this).group(List.of(members));
    }

    /**
     * Sends a chord (Celery's {@code chord(header)(body)}): the body runs with the list of header results, in
     * header order, once all are done; a failed header task stores {@code ChordError} on the body.
     *
     * @return the body's result
     * @throws IllegalStateException when the result backend cannot join chords (none, {@code rpc://})
     */
    public AsyncResult<Object> chord(List<org.celeriac.core.canvas.Signature> header,
                                     org.celeriac.core.canvas.Signature body) {
        ensureOpen();
        return new org.celeriac.core.canvas.Canvas(this).chord(header, body);
    }

    /**
     * The future of a result's publish: completes when the broker has the message.
     *
     * @throws IllegalArgumentException when {@code result} was not returned by this app's verbs
     */
    public static CompletableFuture<Void> published(AsyncResult<?> result) {
        if (result instanceof AsyncResultImpl<?> r) {
            return r.published();
        }
        return CompletableFuture.completedFuture(null);
    }

    private <R> AsyncResult<R> apply(String name, Class<R> type, List<?> args, Map<String, ?> kwargs,
                                     ApplyOptions options, boolean local) {
        ensureOpen();
        ApplyOptions o = options == null ? ApplyOptions.NONE : options;
        String id = o.taskId() != null ? o.taskId() : org.celeriac.core.protocol.TaskIds.next();
        List<Object> a = args == null ? List.of() : new ArrayList<>(args);
        Map<String, Object> k = kwargs == null ? Map.of() : new LinkedHashMap<>(kwargs);
        Optional<TaskDefinition> def = local ? registry.get(name) : Optional.empty();
        if (alwaysEager && def.isPresent()) {
            return AsyncResultImpl.ready(eager.run(def.get(), id, a, k, o), type);
        }
        TaskOptions to = def.map(TaskDefinition::options).orElse(TaskOptions.DEFAULTS);
        Instant eta = o.eta();
        if (eta == null && o.countdown() != null) {
            eta = Instant.now().plus(o.countdown());
        }
        boolean ignoreResult = o.ignoreResult() != null ? o.ignoreResult()
                : to.ignoreResult() != null ? to.ignoreResult() : settings.bool("task_ignore_result", false);
        Map<String, Object> extra = o.headers();
        org.celeriac.core.routing.Route route = routes.resolve(name, a, k, o.queue(), o.exchange(), o.routingKey(),
                to.queue());
        String queue = route.queue();
        String exchange = route.exchange() != null ? route.exchange() : "";
        String routingKey = route.routingKey() != null ? route.routingKey() : queue;
        OutgoingTask t = new OutgoingTask(id, name, a, k, eta, o.expires(), 0,
                o.timeLimit() != null ? o.timeLimit() : to.timeLimit(),
                o.softTimeLimit() != null ? o.softTimeLimit() : to.softTimeLimit(),
                id, null, null, null, o.shadow(), origin, ignoreResult, null,
                o.priority() != null ? o.priority() : route.priority(), extra,
                null, null, null, null);
        Serializer s = o.serializer() != null ? components.serializer(o.serializer())
                : to.serializer() != null ? components.serializer(to.serializer()) : taskSerializer;
        if (o.transaction() != null) {
            requireTransactionalPublish(name);
        }
        CompletableFuture<Void> published = publish(t, s, exchange, routingKey, queue, o.transaction());
        return new AsyncResultImpl<>(id, type, backend, pollInterval, published);
    }

    private void requireTransactionalPublish(String task) {
        if (!broker.capabilities().transactionalPublish()) {
            String url = settings.string("broker_url").map(org.celeriac.spi.ConnectionUrl::mask).orElse("(given to the builder)");
            throw new UnsupportedCapabilityException("task " + task + ": transactional enqueue (ApplyOptions.transaction) "
                    + "needs a broker that can publish inside a JDBC transaction, but " + broker.getClass().getSimpleName()
                    + " (broker_url " + url + ") cannot (BrokerCapabilities.transactionalPublish is false). Use the SQL "
                    + "transport (celeriac-transport-sql: jdbc:postgresql://, jdbc:mariadb://, jdbc:h2:) on the same database "
                    + "as the connection, or publish without a transaction after your commit");
        }
    }

    /**
     * Publishes a task message (used by the client verbs and by the worker for retries and canvas), as Celery's
     * {@code app.send_task} → {@code amqp.send_task_message} does:
     * <ul>
     * <li>{@code reply_to}: when {@code t} has none (null or empty), this app's {@link #oid()}, as Celery's
     *     {@code reply_to or self.thread_oid}; with a result backend that names one ({@code rpc://}), its reply
     *     queue ({@link ResultBackend#replyTo()});</li>
     * <li>countdown/ETA ({@code t.eta()}, kept in the {@code eta} header for every worker): when the broker has
     *     durable delayed delivery ({@link BrokerCapabilities#delayedDelivery()} and
     *     {@link BrokerCapabilities#durable()}) and the ETA is further away than its
     *     {@link BrokerCapabilities#delayPrecision()}, the message is published with {@link PublishOptions#notBefore()}
     *     = the ETA, so it waits in the broker (SQL: the row's {@code not_before}; AMQP: the {@code celery_delayed_*}
     *     queues, whole seconds), not in a worker's memory, and any worker (Python's too) gets it when due. Otherwise
     *     it is a plain publish and the worker holds the task until its ETA (where it shows in {@code inspect
     *     scheduled}): shorter delays (SQL: up to the polling interval, 1 s on PostgreSQL; AMQP: up to 1.5 s), brokers
     *     without delayed delivery (Redis, as Python Celery does), and brokers that are not durable
     *     ({@code memory://}), where waiting in the broker would be no safer than waiting in the worker, and
     *     {@code broker_delayed_delivery = false} (a Celeriac setting, default true: publish every countdown/ETA
     *     task exactly as Celery 5.2 does);</li>
     * <li>with {@code task_send_sent_event}, Celery's {@code task-sent} event on the event exchange (not for a
     *     transactional publish, whose commit is the caller's).</li>
     * </ul>
     *
     * @param queue the queue to declare first when {@code task_create_missing_queues}; nullable
     * @throws CeleriacException when the message cannot be encoded or handed to the broker
     */
    public CompletableFuture<Void> publish(OutgoingTask t, Serializer serializer, String exchange, String routingKey,
                                           String queue) {
        return publish(t, serializer, exchange, routingKey, queue, null);
    }

    /**
     * {@link #publish(OutgoingTask, Serializer, String, String, String)} inside the caller's JDBC transaction.
     *
     * @param transaction the caller's connection with an open transaction (see {@link ApplyOptions#transaction()});
     *                    null for an ordinary publish
     * @throws UnsupportedCapabilityException when {@code transaction} is given and the broker cannot join it
     * @throws CeleriacException when the message cannot be encoded or handed to the broker
     */
    public CompletableFuture<Void> publish(OutgoingTask t, Serializer serializer, String exchange, String routingKey,
                                           String queue, java.sql.Connection transaction) {
        if (transaction != null) {
            requireTransactionalPublish(t.name());
        }
        if (t.replyTo() == null || t.replyTo().isEmpty()) {
            t = withReplyTo(t, replyTo);
        }
        if (queue != null && createMissingQueues && declared.add(queue)) {
            try {
                broker.declareQueue(exchange == null || exchange.isEmpty() ? QueueSpec.of(queue)
                        : new QueueSpec(queue, exchange, routingKey == null ? queue : routingKey, true, null, Map.of()));
            } catch (RuntimeException e) {
                declared.remove(queue);
                throw e;
            }
        }
        Message m = protocol.encode(t, serializer == null ? taskSerializer : serializer, compression);
        Instant notBefore = brokerDelay(t.eta());
        CompletableFuture<Void> published = broker.publish(exchange, routingKey, m,
                notBefore == null && transaction == null ? PublishOptions.NONE : new PublishOptions(notBefore, transaction));
        if (sendSentEvent && transaction == null) {
            sendSent(t, m, exchange, routingKey, queue);
        }
        return published;
    }

    /** The instant to hand to the broker's delayed delivery, or null for a plain publish (see {@link #publish}). */
    private Instant brokerDelay(Instant eta) {
        if (eta == null || !brokerDelays) {
            return null;
        }
        BrokerCapabilities caps = broker.capabilities();
        if (!caps.delayedDelivery() || !caps.durable()) {
            return null;
        }
        Duration precision = caps.delayPrecision() == null ? Duration.ZERO : caps.delayPrecision();
        return Instant.now().plus(precision).isBefore(eta) ? eta : null;
    }

    private static OutgoingTask withReplyTo(OutgoingTask t, String replyTo) {
        return new OutgoingTask(t.id(), t.name(), t.args(), t.kwargs(), t.eta(), t.expires(), t.retries(), t.timeLimit(),
                t.softTimeLimit(), t.rootId(), t.parentId(), t.group(), t.groupIndex(), t.shadow(), t.origin(),
                t.ignoreResult(), replyTo, t.priority(), t.extraHeaders(), t.callbacks(), t.errbacks(), t.chain(),
                t.chord());
    }

    /**
     * Celery's {@code task-sent} event ({@code amqp.send_task_message}): uuid, root_id, parent_id, name, args and
     * kwargs (their reprs), retries, eta, expires (ISO strings or null), queue, exchange, routing_key.
     */
    private void sendSent(OutgoingTask t, Message m, String exchange, String routingKey, String queue) {
        org.celeriac.core.events.EventDispatcher d = sentEvents();
        if (d == null) {
            return;
        }
        Map<String, Object> h = m.headers();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("uuid", t.id());
        fields.put("root_id", h.get("root_id"));
        fields.put("parent_id", t.parentId());
        fields.put("name", t.name());
        fields.put("args", h.get("argsrepr"));
        fields.put("kwargs", h.get("kwargsrepr"));
        fields.put("retries", t.retries());
        fields.put("eta", h.get("eta"));
        fields.put("expires", h.get("expires"));
        fields.put("queue", queue);
        fields.put("exchange", exchange);
        fields.put("routing_key", routingKey);
        d.send("task-sent", fields);
    }

    private org.celeriac.core.events.EventDispatcher sentEvents() {
        org.celeriac.core.events.EventDispatcher d = sentEvents;
        if (d != null || sentEventsUnsupported || closed) {
            return d;
        }
        synchronized (sentEventsLock) {
            if (sentEvents == null && !sentEventsUnsupported && !closed) {
                if (!broker.capabilities().broadcast()) {
                    sentEventsUnsupported = true;
                    LOG.warn("task_send_sent_event is on, but {} has no broadcast (BrokerCapabilities.broadcast is false): "
                            + "no task-sent events are sent", broker.getClass().getSimpleName());
                    return null;
                }
                sentEvents = org.celeriac.core.events.EventDispatcher.of(this, origin,
                        new org.celeriac.core.control.LamportClock());
            }
            return sentEvents;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new CeleriacException("this Celeriac app is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (sentEventsLock) {
            if (sentEvents != null) {
                sentEvents.close();
            }
        }
        try {
            if (backend != null) {
                backend.close();
            }
        } catch (RuntimeException e) {
            LOG.warn("closing the result backend failed: {}", e.toString());
        }
        try {
            broker.close();
        } catch (RuntimeException e) {
            LOG.warn("closing the broker failed: {}", e.toString());
        }
    }

    /**
     * Builds a {@link Celeriac}. Settings come, later wins, from defaults, the config file, the
     * environment ({@code CELERIAC_BROKER_URL}, …), system properties ({@code -Dceleriac.broker_url}) and
     * what is {@link #set} here. Not thread-safe.
     */
    public static final class Builder {
        private final Map<String, Object> overrides = new LinkedHashMap<>();
        private java.nio.file.Path configFile;
        private Settings settings;
        private Broker broker;
        private ResultBackend backend;
        private TaskRegistry registry;
        private TaskInstanceFactory instances;
        private ClassLoader classLoader = Thread.currentThread().getContextClassLoader();
        private final List<TaskListener> taskListeners = new ArrayList<>();
        private final List<WorkerListener> workerListeners = new ArrayList<>();
        private final List<org.celeriac.core.routing.Router> routers = new ArrayList<>();

        private Builder() {
        }

        /** Sets a setting by its Celery name ({@code broker_url}); old uppercase names are accepted too. */
        public Builder set(String key, Object value) {
            overrides.put(key, value);
            return this;
        }

        /** A config file (.properties, .yaml, or a celeryconfig.py of simple assignments). */
        public Builder configFile(java.nio.file.Path file) {
            this.configFile = file;
            return this;
        }

        /** Uses exactly these settings instead of loading the sources ({@link #set} still applies on top). */
        public Builder settings(Settings s) {
            this.settings = s;
            return this;
        }

        /** Uses this broker instead of creating one from {@code broker_url}; the app closes it. */
        public Builder broker(Broker b) {
            this.broker = b;
            return this;
        }

        /** Uses this result backend instead of creating one from {@code result_backend}; the app closes it. */
        public Builder resultBackend(ResultBackend b) {
            this.backend = b;
            return this;
        }

        /** The tasks this process knows (default: every registration on the class path). */
        public Builder registry(TaskRegistry r) {
            this.registry = r;
            return this;
        }

        /** The class loader for providers and task registrations. */
        public Builder classLoader(ClassLoader cl) {
            this.classLoader = cl;
            return this;
        }

        /** Replaces the default instance factory (no-argument constructors) for instance task methods. */
        public Builder taskInstanceFactory(TaskInstanceFactory f) {
            this.instances = f;
            return this;
        }

        /** Adds a router, asked after those of {@code task_routes} (Celery's router functions). */
        public Builder router(org.celeriac.core.routing.Router r) {
            routers.add(java.util.Objects.requireNonNull(r, "router"));
            return this;
        }

        /** Adds task signal listeners. */
        public Builder taskListener(TaskListener l) {
            taskListeners.add(l);
            return this;
        }

        /** Adds worker signal listeners. */
        public Builder workerListener(WorkerListener l) {
            workerListeners.add(l);
            return this;
        }

        /**
         * @throws org.celeriac.spi.ProviderException when no module serves a configured scheme
         * @throws CeleriacException when a connection fails or the configuration is invalid
         */
        public Celeriac build() {
            Components c = Components.load(classLoader);
            Settings s = c.settings(settings, configFile, overrides);
            return new Celeriac(this, c, s);
        }
    }
}
