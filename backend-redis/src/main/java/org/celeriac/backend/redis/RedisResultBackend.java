package org.celeriac.backend.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendCapabilities;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskMetaCodec;
import org.celeriac.spi.coordination.Coordination;
import org.celeriac.spi.serializer.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's Redis result backend ({@code celery/backends/redis.py}, Celery 5.2.6): {@code celery-task-meta-<id>}
 * holds the {@code result_serializer} encoding of {@link TaskMetaCodec#toMap}, written with {@code SETEX}
 * ({@code result_expires}) and published on the channel of the same name by one Lua script that first checks
 * a stored SUCCESS is never overwritten. {@link #whenReady} subscribes per task id on one shared pub/sub
 * connection (subscribe first, then GET, so no store is missed); the channel of a delivered result is unsubscribed
 * together with the next subscription, or 100 ms later (Celery's {@code ResultConsumer} unsubscribes each at once,
 * a round trip per result). Thread-safe.
 */
public final class RedisResultBackend implements ResultBackend {
    private static final Logger LOG = LoggerFactory.getLogger(RedisResultBackend.class);
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    /** Celery's key prefixes ({@code KeyValueStoreBackend.task_keyprefix}, {@code group_keyprefix}). */
    static final String TASK_PREFIX = "celery-task-meta-";
    static final String GROUP_PREFIX = "celery-taskset-meta-";
    /** The chord counter key suffix (Celeriac's; Celery's own native join uses {@code .j .s .t}). */
    static final String CHORD_COUNTER_SUFFIX = ".c";

    /** GET; keep a stored SUCCESS; SETEX (or SET when ARGV[2] is 0); PUBLISH. Returns 1 when stored. */
    private static final LuaScript STORE = new LuaScript("""
            if ARGV[3] == '1' then
              local cur = redis.call('GET', KEYS[1])
              if cur then
                local ok, m = pcall(cjson.decode, cur)
                if ok and type(m) == 'table' and m.status == 'SUCCESS' then return 0 end
              end
            end
            if tonumber(ARGV[2]) > 0 then
              redis.call('SETEX', KEYS[1], ARGV[2], ARGV[1])
            else
              redis.call('SET', KEYS[1], ARGV[1])
            end
            redis.call('PUBLISH', KEYS[1], ARGV[1])
            return 1
            """);
    /** SETEX/SET + PUBLISH, for groups (Celery's {@code set()}). */
    private static final LuaScript SET_AND_PUBLISH = new LuaScript("""
            if tonumber(ARGV[2]) > 0 then
              redis.call('SETEX', KEYS[1], ARGV[2], ARGV[1])
            else
              redis.call('SET', KEYS[1], ARGV[1])
            end
            redis.call('PUBLISH', KEYS[1], ARGV[1])
            return 1
            """);
    /** INCRBY and (re)set the expiry in one step. */
    static final LuaScript INCR_EXPIRE = new LuaScript("""
            local v = redis.call('INCRBY', KEYS[1], ARGV[1])
            if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) else redis.call('PERSIST', KEYS[1]) end
            return v
            """);

    /**
     * Celery's native chord join ({@code RedisBackend.on_chord_part_return}, ordered zset): ZADD the part to
     * {@code .j}, expire {@code .j .t .s}, and when {@code ZCOUNT == .s + .t} return every part and delete the
     * three keys in the same step (so exactly one caller fires the body). Returns an empty list otherwise.
     */
    private static final LuaScript CHORD_PART = new LuaScript("""
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
            local n = redis.call('ZCOUNT', KEYS[1], '-inf', '+inf')
            local t = redis.call('GET', KEYS[2])
            local s = redis.call('GET', KEYS[3])
            if tonumber(ARGV[3]) > 0 then
              for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[3]) end
            end
            if s and n == tonumber(s) + (tonumber(t) or 0) then
              local parts = redis.call('ZRANGE', KEYS[1], 0, -1)
              redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
              return parts
            end
            return {}
            """);

    /**
     * lettuce flushes every command (one {@code write} system call each); netty's {@code FlushConsolidationHandler}
     * writes what was queued in one event loop round with one flush — the UNSUBSCRIBE, SUBSCRIBE and GET of a
     * {@link #whenReady} go out together (as in transport-redis's {@code RedisBroker}).
     */
    private static final io.lettuce.core.resource.NettyCustomizer FLUSH_CONSOLIDATION =
            new io.lettuce.core.resource.NettyCustomizer() {
                @Override
                public void afterChannelInitialized(io.netty.channel.Channel channel) {
                    channel.pipeline().addFirst(new io.netty.handler.flush.FlushConsolidationHandler(256, true));
                }
            };

    private final ConnectionUrl url;
    private final Duration expires;
    private final Serializer serializer;
    private final boolean json;
    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<String, byte[]> connection;
    final RedisAsyncCommands<String, byte[]> redis;
    private final Object subscriptions = new Object();
    private final Map<String, Set<CompletableFuture<TaskMeta>>> waiting = new HashMap<>();
    private volatile StatefulRedisPubSubConnection<String, byte[]> pubSub;
    /** Channels of delivered results not unsubscribed yet ({@link #unsubscribeLater}); guarded by subscriptions. */
    private final Set<String> unsubscribing = new java.util.LinkedHashSet<>();
    /** Whether a {@link #flushUnsubscribes} is scheduled; guarded by subscriptions. */
    private boolean unsubscribeScheduled;
    /** How long a delivered result's channel stays subscribed at most, waiting for the next SUBSCRIBE (ms). */
    static final long UNSUBSCRIBE_DELAY_MILLIS = 100;
    /** Whether the pub/sub connection takes GET (RESP3); false after the first refusal. */
    private volatile boolean getOnPubSub = true;
    private final RedisCoordination coordination;
    private final Duration awaitTimeout;
    private final String clientName;
    private final java.util.concurrent.ScheduledExecutorService healthChecker;
    private volatile boolean closed;

    /**
     * Connects (blocking).
     *
     * @param url the backend URL (for messages; its password is masked)
     * @param uri where to connect
     * @param expires {@code result_expires}; null or zero: results never expire
     * @param serializer the {@code result_serializer}
     * @throws ResultBackendException when Redis cannot be reached
     */
    public RedisResultBackend(ConnectionUrl url, RedisURI uri, Duration expires, Serializer serializer) {
        this(url, uri, expires, serializer, RedisBackendOptions.defaults());
    }

    /**
     * Connects (blocking), with Celery's connection settings: {@code redis_socket_timeout} bounds every command
     * (and every blocking call of this class, plus 1 s), {@code redis_backend_health_check_interval} sends a
     * {@code PING} on the command and pub/sub connections that often.
     *
     * @param url the backend URL (for messages; its password is masked)
     * @param uri where to connect (see {@link RedisBackendOptions#uri})
     * @param expires {@code result_expires}; null or zero: results never expire
     * @param serializer the {@code result_serializer}
     * @param options the connection settings
     * @throws ResultBackendException when Redis cannot be reached
     */
    public RedisResultBackend(ConnectionUrl url, RedisURI uri, Duration expires, Serializer serializer,
                              RedisBackendOptions options) {
        this.url = Objects.requireNonNull(url, "url");
        this.awaitTimeout = options.commandTimeout().plusSeconds(1);
        this.clientName = uri.getClientName();
        this.expires = expires == null || expires.isNegative() ? Duration.ZERO : expires;
        this.serializer = Objects.requireNonNull(serializer, "serializer");
        this.json = "application/json".equals(serializer.contentType());
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                .nettyCustomizer(FLUSH_CONSOLIDATION).build();
        this.client = new LeanRedisClient(resources, uri);
        client.setOptions(options.clientOptions());
        try {
            this.connection = client.connect(CODEC);
        } catch (RedisException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            throw new ResultBackendException("cannot connect to the Redis result backend " + url + ": "
                    + e.getMessage() + "; check that redis-server runs and the URL is right", e);
        }
        this.redis = connection.async();
        this.coordination = new RedisCoordination(this);
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> c, SocketAddress address) {
                if (c == pubSub && !closed) {
                    recheckAll(); // lettuce re-subscribed; catch stores made while we were away
                }
            }
        });
        long health = options.healthCheckInterval().toMillis();
        if (health > 0) {
            healthChecker = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "celeriac-redis-backend-health");
                t.setDaemon(true);
                return t;
            });
            healthChecker.scheduleWithFixedDelay(this::healthCheck, health, health, TimeUnit.MILLISECONDS);
        } else {
            healthChecker = null;
        }
    }

    /** Celery's {@code redis_backend_health_check_interval}: PING both connections; a failure is logged. */
    private void healthCheck() {
        if (closed) {
            return;
        }
        ping(redis.ping().toCompletableFuture(), "command");
        StatefulRedisPubSubConnection<String, byte[]> p = pubSub;
        if (p != null && p.isOpen()) {
            ping(p.async().ping().toCompletableFuture(), "pub/sub");
        }
    }

    private void ping(CompletableFuture<String> f, String which) {
        f.whenComplete((v, e) -> {
            if (e != null && !closed) {
                Throwable c = e.getCause() != null ? e.getCause() : e;
                LOG.warn("Redis backend {}: the health check (PING) of the {} connection failed: {}", url, which,
                        c.getMessage());
            }
        });
    }

    @Override
    public ResultBackendCapabilities capabilities() {
        return new ResultBackendCapabilities(true, true, true, true, false);
    }

    private void ensureOpen() {
        if (closed) {
            throw new ResultBackendException("the Redis result backend " + url + " is closed; create a new one");
        }
    }

    /**
     * Runs an idempotent command, and runs it again (at most twice more) when it failed because the connection
     * reset while it was in flight — lettuce fails those, while commands issued during an outage wait for the
     * reconnect. Blocking, bounded by the command timeout per attempt.
     */
    <T> T awaitIdempotent(java.util.function.Supplier<CompletableFuture<T>> call, String what) {
        for (int attempt = 0; ; attempt++) {
            try {
                return await(call.get(), what);
            } catch (ResultBackendException e) {
                if (attempt >= 2 || closed || !connectionLost(e.getCause())) {
                    throw e;
                }
                LOG.info("Redis backend {}: {} failed ({}); trying again", url, what, e.getCause().getMessage());
            }
        }
    }

    private static boolean connectionLost(Throwable t) {
        return t instanceof java.io.IOException || t instanceof io.lettuce.core.RedisConnectionException
                || (t instanceof RedisException && t.getCause() instanceof java.io.IOException);
    }

    <T> T await(CompletableFuture<T> f, String what) {
        try {
            return f.get(awaitTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResultBackendException(what + " on " + url + " was interrupted", e);
        } catch (ExecutionException e) {
            throw new ResultBackendException(what + " on " + url + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new ResultBackendException(what + " on " + url + " got no answer within " + awaitTimeout.toSeconds()
                    + " s; is Redis reachable? (the wait is redis_socket_timeout + 1 s)", e);
        }
    }

    private byte[] ttlArg() {
        return LuaScript.arg(expires.toSeconds() == 0 && !expires.isZero() ? 1 : expires.toSeconds());
    }

    @Override
    public void store(TaskMeta meta) {
        ensureOpen();
        String key = TASK_PREFIX + meta.taskId();
        byte[] value = serializer.encode(TaskMetaCodec.toMap(meta));
        if (!json) {
            // the script cannot read other serializers: check in Java first, as Celery does
            Optional<TaskMeta> current = get(meta.taskId());
            if (current.isPresent() && current.get().state() == org.celeriac.api.TaskState.SUCCESS) {
                LOG.debug("Redis backend {}: task {} is already SUCCESS; {} not stored", url, meta.taskId(), meta.state());
                return;
            }
        }
        Long stored = awaitIdempotent(() -> STORE.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {key}, value,
                ttlArg(), LuaScript.arg(json ? "1" : "0")), "storing the result of " + meta.taskId());
        if (stored != null && stored == 0) {
            LOG.debug("Redis backend {}: task {} is already SUCCESS; {} not stored", url, meta.taskId(), meta.state());
        }
    }

    @Override
    public Optional<TaskMeta> get(String taskId) {
        ensureOpen();
        byte[] v = awaitIdempotent(() -> redis.get(TASK_PREFIX + taskId).toCompletableFuture(),
                "reading the result of " + taskId);
        return v == null ? Optional.empty() : Optional.of(decode(taskId, v));
    }

    @SuppressWarnings("unchecked")
    private TaskMeta decode(String taskId, byte[] v) {
        Object o;
        try {
            o = serializer.decode(v);
        } catch (RuntimeException e) {
            throw new ResultBackendException("the stored result of task " + taskId + " cannot be decoded as "
                    + serializer.contentType() + ": " + e.getMessage(), e);
        }
        if (!(o instanceof Map<?, ?> m)) {
            throw new ResultBackendException("the stored result of task " + taskId + " is not Celery's meta object");
        }
        try {
            return TaskMetaCodec.fromMap(taskId, (Map<String, Object>) m);
        } catch (IllegalArgumentException e) {
            throw new ResultBackendException(e.getMessage(), e);
        }
    }

    private StatefulRedisPubSubConnection<String, byte[]> pubSub() {
        StatefulRedisPubSubConnection<String, byte[]> p = pubSub;
        if (p == null) {
            synchronized (subscriptions) {
                if (pubSub == null) {
                    p = client.connectPubSub(CODEC);
                    p.addListener(new RedisPubSubAdapter<>() {
                        @Override
                        public void message(String channel, byte[] message) {
                            onMessage(channel, message);
                        }
                    });
                    pubSub = p;
                }
                p = pubSub;
            }
        }
        return p;
    }

    @Override
    public CompletableFuture<TaskMeta> whenReady(String taskId, Duration pollInterval) {
        CompletableFuture<TaskMeta> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new ResultBackendException("the Redis result backend " + url + " is closed"));
            return f;
        }
        String key = TASK_PREFIX + taskId;
        StatefulRedisPubSubConnection<String, byte[]> ps;
        try {
            ps = pubSub();
        } catch (RedisException e) {
            f.completeExceptionally(new ResultBackendException("cannot subscribe to " + key + " on " + url + ": "
                    + e.getMessage(), e));
            return f;
        }
        CompletableFuture<?> subscribed;
        CompletableFuture<byte[]> read = null;
        synchronized (subscriptions) {
            Set<CompletableFuture<TaskMeta>> set = waiting.get(key);
            if (set == null) {
                set = ConcurrentHashMap.newKeySet();
                waiting.put(key, set);
                set.add(f);
                unsubscribing.remove(key);
                if (!unsubscribing.isEmpty()) {
                    // the channels of results already delivered go out with this SUBSCRIBE: one write, one reply
                    ps.async().unsubscribe(unsubscribing.toArray(String[]::new));
                    unsubscribing.clear();
                }
                subscribed = ps.async().subscribe(key).toCompletableFuture();
            } else {
                set.add(f);
                subscribed = CompletableFuture.completedFuture(null);
            }
            if (getOnPubSub) {
                // RESP3 allows any command on a subscribed connection: the GET goes right behind the SUBSCRIBE on
                // the same connection, so Redis runs it after the subscription took effect without our waiting
                read = ps.async().get(key).toCompletableFuture();
            }
        }
        f.whenComplete((v, e) -> removeWaiter(key, f));
        CompletableFuture<byte[]> pipelined = read;
        // subscribe first, then GET: a store between the two is seen by one or the other
        subscribed.whenComplete((v, e) -> {
            if (e != null) {
                f.completeExceptionally(new ResultBackendException("subscribing to " + key + " on " + url
                        + " failed: " + e.getMessage(), e));
            } else if (pipelined == null) {
                check(taskId);
            }
        });
        if (pipelined != null) {
            pipelined.whenComplete((v, e) -> {
                if (e != null) {
                    // RESP2 (Redis < 6, or a proxy): only (UN)SUBSCRIBE/PING on a subscribed connection
                    LOG.debug("Redis backend {}: GET on the pub/sub connection refused ({}); reading results on the "
                            + "command connection after each subscription instead", url, e.getMessage());
                    getOnPubSub = false;
                    subscribed.whenComplete((x, y) -> {
                        if (y == null) {
                            check(taskId);
                        }
                    });
                } else if (v != null) {
                    onMessage(key, v);
                }
            });
        }
        return f;
    }

    private void check(String taskId) {
        if (closed) {
            return;
        }
        redis.get(TASK_PREFIX + taskId).whenComplete((v, e) -> {
            if (v != null) {
                onMessage(TASK_PREFIX + taskId, v);
            }
        });
    }

    private void recheckAll() {
        List<String> keys;
        synchronized (subscriptions) {
            keys = new ArrayList<>(waiting.keySet());
        }
        for (String k : keys) {
            check(k.substring(TASK_PREFIX.length()));
        }
    }

    private void onMessage(String channel, byte[] message) {
        if (!channel.startsWith(TASK_PREFIX)) {
            return;
        }
        String taskId = channel.substring(TASK_PREFIX.length());
        TaskMeta meta;
        try {
            meta = decode(taskId, message);
        } catch (RuntimeException e) {
            LOG.warn("Redis backend {}: undecodable result for {} ({}); still waiting", url, taskId, e.getMessage());
            return;
        }
        if (!meta.state().isReady()) {
            return;
        }
        Set<CompletableFuture<TaskMeta>> set;
        synchronized (subscriptions) {
            set = waiting.remove(channel);
        }
        if (set != null) {
            for (CompletableFuture<TaskMeta> f : set) {
                f.complete(meta); // first: the waiting caller wakes while the UNSUBSCRIBE below is written
            }
            synchronized (subscriptions) {
                if (!waiting.containsKey(channel) && pubSub != null) {
                    unsubscribeLater(channel);
                }
            }
        }
    }

    /**
     * Unsubscribes from the channel of a result just delivered, later: with the next {@code SUBSCRIBE} (one write and
     * one reply for both instead of a round trip of its own for each result), or at the latest after
     * {@link #UNSUBSCRIBE_DELAY_MILLIS}. A message still arriving on it meanwhile finds no waiter and is ignored.
     * Caller holds {@code subscriptions}.
     */
    private void unsubscribeLater(String channel) {
        unsubscribing.add(channel);
        if (!unsubscribeScheduled) {
            unsubscribeScheduled = true;
            try {
                resources.eventExecutorGroup().schedule(this::flushUnsubscribes, UNSUBSCRIBE_DELAY_MILLIS,
                        TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                unsubscribeScheduled = false; // closing: the connection goes, and its subscriptions with it
            }
        }
    }

    private void flushUnsubscribes() {
        synchronized (subscriptions) {
            unsubscribeScheduled = false;
            if (!unsubscribing.isEmpty() && pubSub != null && pubSub.isOpen() && !closed) {
                pubSub.async().unsubscribe(unsubscribing.toArray(String[]::new));
            }
            unsubscribing.clear();
        }
    }

    private void removeWaiter(String key, CompletableFuture<TaskMeta> f) {
        synchronized (subscriptions) {
            Set<CompletableFuture<TaskMeta>> set = waiting.get(key);
            if (set != null && set.remove(f) && set.isEmpty()) {
                waiting.remove(key);
                if (pubSub != null && pubSub.isOpen()) {
                    pubSub.async().unsubscribe(key);
                }
            }
        }
    }

    /** Whether {@link #whenReady} reads the stored result on the pub/sub connection (RESP3); for tests. */
    boolean readsOnPubSub() {
        return getOnPubSub;
    }

    /** The name the connections give themselves ({@code CLIENT SETNAME}); nullable. */
    String clientName() {
        return clientName;
    }

    /** How many task ids currently have a subscription (test support). */
    int subscribedCount() {
        synchronized (subscriptions) {
            return waiting.size();
        }
    }

    @Override
    public void forget(String taskId) {
        ensureOpen();
        awaitIdempotent(() -> redis.del(TASK_PREFIX + taskId).toCompletableFuture(), "forgetting " + taskId);
    }

    @Override
    public void saveGroup(GroupMeta group) {
        ensureOpen();
        byte[] value = serializer.encode(TaskMetaCodec.groupToMap(group));
        String key = GROUP_PREFIX + group.groupId();
        awaitIdempotent(() -> SET_AND_PUBLISH.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {key}, value,
                ttlArg()), "saving group " + group.groupId());
    }

    @Override
    @SuppressWarnings("unchecked")
    public Optional<GroupMeta> restoreGroup(String groupId) {
        ensureOpen();
        byte[] v = awaitIdempotent(() -> redis.get(GROUP_PREFIX + groupId).toCompletableFuture(),
                "reading group " + groupId);
        if (v == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(TaskMetaCodec.groupFromMap(groupId, (Map<String, Object>) serializer.decode(v)));
        } catch (RuntimeException e) {
            throw new ResultBackendException("the stored group " + groupId + " cannot be read: " + e.getMessage(), e);
        }
    }

    @Override
    public void forgetGroup(String groupId) {
        ensureOpen();
        String k = GROUP_PREFIX + groupId;
        awaitIdempotent(() -> redis.del(k, k + CHORD_COUNTER_SUFFIX).toCompletableFuture(), "forgetting group " + groupId);
    }

    /**
     * {@code INCRBY celery-taskset-meta-<gid>.c delta} with the expiry of results, in one script. The key is
     * Celeriac's: Python Celery's native chord join keeps {@code .j}/{@code .s}/{@code .t} instead.
     */
    @Override
    public long incrementChordCounter(String groupId, long delta) {
        ensureOpen();
        Long v = await(INCR_EXPIRE.<Long>run(redis, ScriptOutputType.INTEGER,
                new String[] {GROUP_PREFIX + groupId + CHORD_COUNTER_SUFFIX}, LuaScript.arg(delta),
                LuaScript.arg(expires.toMillis())), "counting chord parts of " + groupId);
        return v == null ? 0 : v;
    }

    /** Celery's Redis backend joins chords natively ({@code .j .s .t} keys). */
    @Override
    public boolean nativeChordJoin() {
        return true;
    }

    /** {@code SETEX celery-taskset-meta-<gid>.s <ttl> <size>} (Celery's {@code set_chord_size}). */
    @Override
    public void setChordSize(String groupId, long size) {
        ensureOpen();
        awaitIdempotent(() -> SET_AND_PUBLISH.<Long>run(redis, ScriptOutputType.INTEGER,
                new String[] {GROUP_PREFIX + groupId + ".s"}, LuaScript.arg(size), ttlArg()),
                "setting the chord size of " + groupId);
    }

    /**
     * Celery's {@code on_chord_part_return} with {@code result_chord_ordered=True}: the part is stored as the
     * serializer encoding of {@code [1, task_id, state, result]} scored by its group index.
     */
    @Override
    @SuppressWarnings("unchecked")
    public List<List<Object>> onChordPartReturn(String groupId, String taskId, Integer groupIndex, String state,
                                                Object result) {
        ensureOpen();
        List<Object> tuple = new ArrayList<>();
        tuple.add(1);
        tuple.add(taskId);
        tuple.add(state);
        tuple.add(result);
        byte[] encoded = serializer.encode(tuple);
        String k = GROUP_PREFIX + groupId;
        List<Object> parts = await(CHORD_PART.<List<Object>>run(redis, ScriptOutputType.MULTI,
                new String[] {k + ".j", k + ".t", k + ".s"}, encoded,
                LuaScript.arg(groupIndex == null ? "+inf" : groupIndex.toString()),
                LuaScript.arg(expires.toSeconds())), "joining chord part " + taskId + " of " + groupId);
        if (parts == null || parts.isEmpty()) {
            return null;
        }
        List<List<Object>> out = new ArrayList<>(parts.size());
        for (Object p : parts) {
            Object d = serializer.decode((byte[]) p);
            if (!(d instanceof List<?> l) || l.size() < 4) {
                throw new ResultBackendException("chord " + groupId + " holds a part that is not [1, id, state, "
                        + "result]: " + d + "; delete the key " + k + ".j");
            }
            out.add(new ArrayList<>(((List<Object>) l).subList(1, 4)));
        }
        return out;
    }

    /** Redis expires results by itself: nothing to clean. */
    @Override
    public long cleanup() {
        return 0;
    }

    @Override
    public Optional<Coordination> coordination() {
        return Optional.of(coordination);
    }

    @Override
    public String toString() {
        return "RedisResultBackend[" + url + "]";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (healthChecker != null) {
            healthChecker.shutdownNow();
        }
        List<CompletableFuture<TaskMeta>> pending = new ArrayList<>();
        synchronized (subscriptions) {
            waiting.values().forEach(pending::addAll);
            waiting.clear();
        }
        for (CompletableFuture<TaskMeta> f : pending) {
            f.completeExceptionally(new ResultBackendException("the Redis result backend " + url
                    + " was closed while waiting for a result"));
        }
        if (pubSub != null) {
            pubSub.close();
        }
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
