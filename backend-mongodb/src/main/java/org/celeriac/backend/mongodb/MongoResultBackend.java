package org.celeriac.backend.mongodb;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Binary;
import org.celeriac.api.TaskState;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendCapabilities;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskMetaCodec;
import org.celeriac.spi.serializer.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's MongoDB result backend ({@code celery/backends/mongodb.py}, Celery 5.2.6) on mongodb-driver-sync.
 * Task meta lives in {@code celery_taskmeta} as {@code {_id: <task id>, status, result, traceback, children,
 * date_done, [group_id], [parent_id], [name, args, kwargs, worker, retries, queue]}} where {@code result} is the
 * {@code result_serializer}'s encoding (a string for text serializers such as JSON, BSON binary for binary ones)
 * and {@code children}, {@code args}, {@code kwargs} are native BSON; {@code date_done} is Python 5.2.6's naive
 * UTC ISO string (or a BSON date with {@code celeriac_mongodb_date_done=date}), and both forms are read. Groups
 * live in {@code celery_groupmeta} as {@code {_id, result: encode([ids]), date_done: <BSON date>}}.
 *
 * <p>A stored SUCCESS is never overwritten: every store is an upsert filtered on {@code status != SUCCESS}.
 * Expiry is a delete of {@code date_done} older than {@code result_expires}, for strings and dates alike
 * ({@link #cleanup()}, also run every {@code celeriac_mongodb_cleanup_interval} by the backend itself); no TTL
 * index is used. {@link #whenReady} uses one change stream, or one shared poller where the server has none
 * ({@link ReadyWaiter}). Chord counters are Celeriac's own collection ({@code celeriac_chord_counters}), updated
 * with an atomic {@code $inc} upsert.
 *
 * <p>Thread-safe. Every method but {@link #whenReady} blocks for its round trips; when the server is unreachable
 * they fail after the driver's server selection timeout ({@code serverSelectionTimeoutMS}, default 30 s).
 */
public final class MongoResultBackend implements ResultBackend {
    private static final Logger LOG = LoggerFactory.getLogger(MongoResultBackend.class);
    private static final List<String> READY = List.of(TaskState.SUCCESS.name(), TaskState.FAILURE.name(),
            TaskState.REVOKED.name());
    private static final int DUPLICATE_KEY_RETRIES = 5;

    private final MongoBackendConfig config;
    private final Serializer serializer;
    private final boolean textSerializer;
    private final MongoClient client;
    private final MongoCollection<Document> tasks;
    private final MongoCollection<Document> groups;
    private final MongoCollection<Document> chords;
    private final ReadyWaiter waiter;
    private final ScheduledExecutorService cleaner;
    private final AtomicBoolean indexed = new AtomicBoolean();
    /** Striped per-group locks around the chord {@code findOneAndUpdate}; see {@link #incrementChordCounter}. */
    private final Object[] chordLocks = new Object[64];
    private volatile boolean closed;

    /**
     * Creates the client (the driver connects in the background; nothing blocks here).
     *
     * @param config where and how to store
     * @param serializer the {@code result_serializer}
     * @param changeStreams false to always poll, even where the server has change streams
     */
    MongoResultBackend(MongoBackendConfig config, Serializer serializer, boolean changeStreams) {
        this.config = Objects.requireNonNull(config, "config");
        this.serializer = Objects.requireNonNull(serializer, "serializer");
        String enc = serializer.contentEncoding() == null ? "" : serializer.contentEncoding().toLowerCase();
        this.textSerializer = enc.equals("utf-8") || enc.equals("utf8");
        for (int i = 0; i < chordLocks.length; i++) {
            chordLocks[i] = new Object();
        }
        this.client = MongoClients.create(config.connectionString());
        MongoDatabase db = client.getDatabase(config.database());
        this.tasks = db.getCollection(config.taskCollection());
        this.groups = db.getCollection(config.groupCollection());
        this.chords = db.getCollection(config.chordCollection());
        this.waiter = new ReadyWaiter(new ReadyWaiter.Source() {
            @Override
            public Map<String, Object> readReady(Collection<String> ids) {
                return MongoResultBackend.this.readReady(ids);
            }

            @Override
            public MongoChangeStreamCursor<ChangeStreamDocument<Document>> openStream(Duration maxAwait) {
                List<Bson> pipeline = List.of(
                        Aggregates.match(Filters.and(Filters.in("operationType", "insert", "replace", "update"),
                                Filters.or(Filters.in("fullDocument.status", READY),
                                        Filters.eq("operationType", "update")))),
                        Aggregates.project(Projections.include("_id", "operationType", "documentKey")));
                return tasks.watch(pipeline).maxAwaitTime(maxAwait.toMillis(), TimeUnit.MILLISECONDS).cursor();
            }
        }, config.display(), changeStreams);
        if (!config.expires().isZero() && !config.cleanupInterval().isZero()) {
            this.cleaner = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "celeriac-mongodb-cleanup");
                t.setDaemon(true);
                return t;
            });
            long every = Math.max(1, config.cleanupInterval().toMillis());
            cleaner.scheduleWithFixedDelay(this::scheduledCleanup, every, every, TimeUnit.MILLISECONDS);
        } else {
            this.cleaner = null;
        }
    }

    @Override
    public ResultBackendCapabilities capabilities() {
        return new ResultBackendCapabilities(waiter.push(), false, true, true, true);
    }

    /** The database name in use. */
    String databaseName() {
        return config.database();
    }

    /** The waiter (test support). */
    ReadyWaiter waiter() {
        return waiter;
    }

    private void ensureOpen() {
        if (closed) {
            throw new ResultBackendException("the MongoDB result backend " + config.display()
                    + " is closed; create a new one");
        }
    }

    private <T> T call(String what, Supplier<T> op) {
        ensureOpen();
        try {
            return op.get();
        } catch (MongoException e) {
            throw new ResultBackendException(what + " on the MongoDB result backend " + config.display() + " failed: "
                    + e.getMessage() + (e instanceof com.mongodb.MongoTimeoutException
                    ? "; check that mongod runs and the URL is right" : ""), e);
        }
    }

    /** Creates the {@code date_done} indexes Celery creates ({@code create_index('date_done', background=True)}); once. */
    private void ensureIndexes() {
        if (indexed.get()) {
            return;
        }
        try {
            IndexOptions background = new IndexOptions().background(true);
            tasks.createIndex(Indexes.ascending("date_done"), background);
            groups.createIndex(Indexes.ascending("date_done"), background);
            indexed.set(true);
        } catch (MongoException e) {
            indexed.set(true); // not worth failing stores for; Celery's own index is only a speed-up
            LOG.warn("MongoDB result backend {}: cannot create the date_done index ({}); cleanup will be slower",
                    config.display(), e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------ tasks

    /** The task document Celery writes ({@code MongoBackend._store_result}): no {@code task_id}, {@code _id} instead. */
    Document toDocument(TaskMeta meta) {
        Document d = new Document("_id", meta.taskId());
        d.put("status", meta.state().name());
        d.put("result", encode(meta.result(), "the result of task " + meta.taskId()));
        d.put("traceback", meta.traceback());
        d.put("children", bson(meta.children(), "children of task " + meta.taskId()));
        d.put("date_done", meta.dateDone() == null ? null
                : config.dateDoneAsDate() ? Date.from(meta.dateDone()) : TaskMetaCodec.formatDateTime(meta.dateDone()));
        if (meta.groupId() != null) {
            d.put("group_id", meta.groupId());
        }
        if (meta.parentId() != null) {
            d.put("parent_id", meta.parentId());
        }
        TaskMeta.Extended x = meta.extended();
        if (x != null) {
            d.put("name", x.name());
            d.put("args", bson(x.args(), "args of task " + meta.taskId()));
            d.put("kwargs", bson(x.kwargs(), "kwargs of task " + meta.taskId()));
            d.put("worker", x.worker());
            d.put("retries", x.retries());
            d.put("queue", x.queue());
        }
        return d;
    }

    private static Object bson(Object v, String what) {
        try {
            return BsonValues.toBson(v, what);
        } catch (IllegalArgumentException e) {
            throw new ResultBackendException("cannot store " + e.getMessage(), e);
        }
    }

    /** {@code MongoBackend.encode}: the serializer's bytes as a string for text serializers, else BSON binary. */
    private Object encode(Object value, String what) {
        byte[] b;
        try {
            b = serializer.encode(value);
        } catch (RuntimeException e) {
            throw new ResultBackendException("cannot encode " + what + " with the result serializer "
                    + serializer.name() + ": " + e.getMessage(), e);
        }
        return textSerializer ? new String(b, StandardCharsets.UTF_8) : new Binary(b);
    }

    /** {@code MongoBackend.decode}: a string or binary is decoded by the serializer; other BSON is taken as is. */
    private Object decode(Object stored, String what) {
        byte[] b;
        if (stored instanceof String s) {
            b = s.getBytes(StandardCharsets.UTF_8);
        } else if (stored instanceof Binary bin) {
            b = bin.getData();
        } else {
            return BsonValues.fromBson(stored); // result_serializer 'bson' in Python: stored natively
        }
        try {
            return serializer.decode(b);
        } catch (RuntimeException e) {
            throw new ResultBackendException(what + " cannot be decoded as " + serializer.contentType() + ": "
                    + e.getMessage() + "; is result_serializer the same as the writer's?", e);
        }
    }

    /** Reads a task document the way {@code MongoBackend._get_task_meta_for} does, plus the fields it skips. */
    TaskMeta fromDocument(Document d) {
        String taskId = String.valueOf(d.get("_id"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", d.get("status"));
        m.put("result", decode(d.get("result"), "the stored result of task " + taskId));
        m.put("traceback", d.get("traceback"));
        m.put("children", BsonValues.fromBson(d.get("children")));
        Object done = d.get("date_done");
        m.put("date_done", done);
        for (String k : List.of("group_id", "parent_id", "name", "args", "kwargs", "worker", "retries", "queue")) {
            if (d.containsKey(k)) {
                m.put(k, BsonValues.fromBson(d.get(k)));
            }
        }
        m.put("task_id", taskId);
        try {
            return TaskMetaCodec.fromMap(taskId, m);
        } catch (IllegalArgumentException e) {
            throw new ResultBackendException("the stored result of task " + taskId + " in " + config.database() + "."
                    + config.taskCollection() + " is not Celery's task document: " + e.getMessage(), e);
        }
    }

    @Override
    public void store(TaskMeta meta) {
        Document doc = toDocument(meta);
        call("storing the result of task " + meta.taskId(), () -> {
            ensureIndexes();
            Bson notSuccess = Filters.and(Filters.eq("_id", meta.taskId()),
                    Filters.ne("status", TaskState.SUCCESS.name()));
            for (int attempt = 1; ; attempt++) {
                try {
                    tasks.replaceOne(notSuccess, doc, new ReplaceOptions().upsert(true));
                    return null;
                } catch (MongoWriteException e) {
                    if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                        throw e;
                    }
                    // the filter did not match but the id exists: a SUCCESS is stored (or a racing first insert)
                    Document cur = tasks.find(Filters.eq("_id", meta.taskId())).projection(Projections.include("status"))
                            .first();
                    if (cur != null && TaskState.SUCCESS.name().equals(cur.get("status"))) {
                        LOG.debug("MongoDB backend {}: task {} is already SUCCESS; {} not stored", config.display(),
                                meta.taskId(), meta.state());
                        return null;
                    }
                    if (attempt >= DUPLICATE_KEY_RETRIES) {
                        throw e;
                    }
                }
            }
        });
    }

    @Override
    public Optional<TaskMeta> get(String taskId) {
        Document d = call("reading the result of task " + taskId, () -> tasks.find(Filters.eq("_id", taskId)).first());
        return d == null ? Optional.empty() : Optional.of(fromDocument(d));
    }

    private Map<String, Object> readReady(Collection<String> ids) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (ids.isEmpty() || closed) {
            return out;
        }
        for (Document d : tasks.find(Filters.and(Filters.in("_id", ids), Filters.in("status", READY)))) {
            String id = String.valueOf(d.get("_id"));
            try {
                out.put(id, fromDocument(d));
            } catch (RuntimeException e) {
                out.put(id, e);
            }
        }
        return out;
    }

    @Override
    public CompletableFuture<TaskMeta> whenReady(String taskId, Duration pollInterval) {
        if (closed) {
            return CompletableFuture.failedFuture(new ResultBackendException("the MongoDB result backend "
                    + config.display() + " is closed"));
        }
        return waiter.await(taskId, pollInterval);
    }

    @Override
    public void forget(String taskId) {
        call("forgetting task " + taskId, () -> tasks.deleteOne(Filters.eq("_id", taskId)));
    }

    // ----------------------------------------------------------------------------------------- groups

    /** {@code MongoBackend._save_group}: {@code {_id, result: encode([ids]), date_done: utcnow()}} (a BSON date). */
    @Override
    public void saveGroup(GroupMeta group) {
        Document d = new Document("_id", group.groupId());
        d.put("result", encode(new ArrayList<Object>(group.taskIds()), "the member ids of group " + group.groupId()));
        d.put("date_done", Date.from(group.dateDone() == null ? Instant.now() : group.dateDone()));
        call("saving group " + group.groupId(), () -> {
            ensureIndexes();
            return groups.replaceOne(Filters.eq("_id", group.groupId()), d, new ReplaceOptions().upsert(true));
        });
    }

    @Override
    @SuppressWarnings("unchecked")
    public Optional<GroupMeta> restoreGroup(String groupId) {
        Document d = call("reading group " + groupId, () -> groups.find(Filters.eq("_id", groupId)).first());
        if (d == null) {
            return Optional.empty();
        }
        Object ids = decode(d.get("result"), "the stored group " + groupId);
        Instant done;
        try {
            done = TaskMetaCodec.parseDateTime(d.get("date_done"));
        } catch (IllegalArgumentException e) {
            done = null;
        }
        if (ids instanceof List<?> l && l.stream().allMatch(String.class::isInstance)) {
            return Optional.of(new GroupMeta(groupId, (List<String>) l, done));
        }
        if (ids instanceof Map<?, ?> m) { // the key/value backends' tuple form, should anyone store it here
            try {
                GroupMeta g = TaskMetaCodec.groupFromMap(groupId, (Map<String, Object>) m);
                return Optional.of(new GroupMeta(groupId, g.taskIds(), done));
            } catch (IllegalArgumentException e) {
                throw new ResultBackendException(e.getMessage(), e);
            }
        }
        throw new ResultBackendException("the stored group " + groupId + " in " + config.database() + "."
                + config.groupCollection() + " is not Celery's form (result = the encoded list of member task ids)");
    }

    @Override
    public void forgetGroup(String groupId) {
        call("forgetting group " + groupId, () -> {
            groups.deleteOne(Filters.eq("_id", groupId));
            return chords.deleteOne(Filters.eq("_id", groupId));
        });
    }

    /**
     * {@code $inc} of {@code celeriac_chord_counters.{_id: groupId}.count} with upsert, returning the new value
     * (one atomic {@code findOneAndUpdate}); {@code date_done} is refreshed so {@link #cleanup()} removes old
     * counters. Python Celery keeps no counter in MongoDB (its chords poll with {@code celery.chord_unlock}).
     *
     * <p>{@code findOneAndUpdate} is atomic per document on MongoDB itself; calls from this process are also
     * serialised per group (a striped lock, uncontended in practice) because mongo-java-server, the in-process
     * server of the tests, applies the {@code $inc} atomically but may return another caller's value.
     */
    @Override
    public long incrementChordCounter(String groupId, long delta) {
        Object stripe = chordLocks[Math.floorMod(groupId.hashCode(), chordLocks.length)];
        synchronized (stripe) {
            return incrementChordCounterUnlocked(groupId, delta);
        }
    }

    private long incrementChordCounterUnlocked(String groupId, long delta) {
        return call("counting chord parts of group " + groupId, () -> {
            Bson update = Updates.combine(Updates.inc("count", delta), Updates.set("date_done", new Date()));
            FindOneAndUpdateOptions opts = new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER);
            for (int attempt = 1; ; attempt++) {
                try {
                    Document d = chords.findOneAndUpdate(Filters.eq("_id", groupId), update, opts);
                    Object n = d == null ? null : d.get("count");
                    return n instanceof Number num ? num.longValue() : 0L;
                } catch (MongoException e) {
                    // two first increments racing: one upsert loses with a duplicate key; the retry updates
                    if (ErrorCategory.fromErrorCode(e.getCode()) != ErrorCategory.DUPLICATE_KEY
                            || attempt >= DUPLICATE_KEY_RETRIES) {
                        throw e;
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------ expiry

    /**
     * Celery's {@code MongoBackend.cleanup}: deletes task and group documents (and chord counters) whose
     * {@code date_done} is older than {@code result_expires}. {@code date_done} may be an ISO string (Python
     * 5.2.6, Celeriac's default) or a BSON date (Celery 5.3.4+), so each collection gets one delete per form:
     * MongoDB compares a string only with strings and a date only with dates, and naive UTC ISO strings sort
     * in time order. Blocking.
     *
     * @return how many documents were deleted; 0 when {@code result_expires} is 0/None
     */
    @Override
    public long cleanup() {
        if (config.expires().isZero()) {
            return 0;
        }
        Instant cutoff = Instant.now().minus(config.expires());
        return call("deleting expired results", () -> {
            Bson olderDate = Filters.lt("date_done", Date.from(cutoff));
            Bson olderString = Filters.lt("date_done", TaskMetaCodec.formatDateTime(cutoff));
            long n = 0;
            for (MongoCollection<Document> c : List.of(tasks, groups, chords)) {
                n += c.deleteMany(olderDate).getDeletedCount();
                n += c.deleteMany(olderString).getDeletedCount();
            }
            return n;
        });
    }

    private void scheduledCleanup() {
        try {
            long n = cleanup();
            if (n > 0) {
                LOG.info("MongoDB result backend {}: deleted {} results older than {}", config.display(), n,
                        config.expires());
            }
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.warn("MongoDB result backend {}: periodic cleanup failed: {}", config.display(), e.getMessage());
            }
        }
    }

    @Override
    public String toString() {
        return "MongoResultBackend[" + config.display() + ", database=" + config.database() + "]";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (cleaner != null) {
            cleaner.shutdownNow();
        }
        waiter.close();
        client.close();
    }
}
