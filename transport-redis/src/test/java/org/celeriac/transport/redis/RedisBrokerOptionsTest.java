package org.celeriac.transport.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.spi.broker.Subscription;
import org.celeriac.tck.TckProviders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each kombu transport option this transport implements, on the shared Redis (keys under a random prefix). */
class RedisBrokerOptionsTest {
    static final String URL = "redis://127.0.0.1:6379/0";
    static final String PREFIX = "celeriac-test-options-" + UUID.randomUUID() + ":";
    static RedisClient raw;
    static StatefulRedisConnection<String, byte[]> rawConn;
    static RedisCommands<String, byte[]> r;
    final List<Broker> brokers = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void connect() {
        RedisTestSupport.requireRedis();
        raw = RedisClient.create(URL);
        rawConn = raw.connect(RedisBroker.CODEC);
        r = rawConn.sync();
    }

    @AfterAll
    static void cleanUp() {
        if (raw != null) {
            RedisTestSupport.deleteKeys(URL, PREFIX);
            rawConn.close();
            raw.shutdown();
        }
    }

    @AfterEach
    void closeBrokers() {
        brokers.forEach(Broker::close);
    }

    RedisBroker broker(Object... kv) {
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("global_keyprefix", PREFIX);
        for (int i = 0; i < kv.length; i += 2) {
            opts.put((String) kv[i], kv[i + 1]);
        }
        Settings settings = Settings.of(Map.of("broker_transport_options", opts));
        RedisBroker b = (RedisBroker) new RedisBrokerProvider().create(ConnectionUrl.parse(URL), settings,
                TckProviders.context(settings));
        brokers.add(b);
        return b;
    }

    static String queue() {
        return "q-" + UUID.randomUUID();
    }

    static String id(Delivery d) {
        return RedisBrokerTest.id(d);
    }

    /** The {@code CLIENT LIST} lines of the connections named {@code name}. */
    static List<String> clients(String name) {
        return r.clientList().lines().filter(l -> l.contains(" name=" + name + " ")).toList();
    }

    @Test
    void sepNamesThePriorityListsAndBindingMembers() throws Exception {
        Broker b = broker("sep", "|");
        String q = queue();
        b.declareQueue(new QueueSpec(q, "ex-" + q, "rk", true, null, Map.of()));
        assertThat(r.smembers(PREFIX + "_kombu.binding.ex-" + q).stream().map(RedisBrokerTest::str))
                .containsExactly("rk||" + q);
        b.publish("ex-" + q, "rk", RedisBrokerTest.msg("p5", 5)).get(5, TimeUnit.SECONDS);
        assertThat(r.llen(PREFIX + q + "|3")).isEqualTo(1);
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c = b.consume(List.of(q), 1, got::add);
        Delivery d = got.poll(5, TimeUnit.SECONDS);
        assertThat(id(d)).isEqualTo("p5");
        c.ack(d);
        c.close();
    }

    @Test
    void priorityStepsChooseTheSubLists() throws Exception {
        Broker b = broker("priority_steps", List.of(0, 5));
        String q = queue();
        b.publish("", q, RedisBrokerTest.msg("p7", 7)).get();
        b.publish("", q, RedisBrokerTest.msg("p3", 3)).get();
        assertThat(r.llen(PREFIX + q)).isEqualTo(1);
        assertThat(r.llen(PREFIX + q + "\u0006\u00165")).isEqualTo(1);
        assertThat(r.exists(PREFIX + q + "\u0006\u00163")).isZero();
        List<String> order = new CopyOnWriteArrayList<>();
        Consumer c = b.consume(List.of(q), 0, d -> order.add(id(d)));
        await().atMost(Duration.ofSeconds(5)).until(() -> order.size() == 2);
        assertThat(order).containsExactly("p3", "p7");
        c.close();
    }

    private List<String> drainOrder(Broker b, List<String> consumeFrom) {
        List<String> order = new CopyOnWriteArrayList<>();
        Consumer[] c = new Consumer[1];
        c[0] = b.consume(consumeFrom, 1, d -> {
            order.add(id(d));
            c[0].ack(d);
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> order.size() == 11);
        c[0].close();
        return order;
    }

    @Test
    void queueOrderStrategyPriorityDrainsTheFirstQueueFirst() throws Exception {
        Broker b = broker("queue_order_strategy", "priority");
        String q1 = queue();
        String q2 = queue();
        for (int i = 0; i < 10; i++) {
            b.publish("", q1, RedisBrokerTest.msg("a" + i, 0));
        }
        b.publish("", q2, RedisBrokerTest.msg("b0", 0)).get();
        List<String> order = drainOrder(b, List.of(q1, q2));
        assertThat(order.get(10)).isEqualTo("b0");
    }

    @Test
    void queueOrderStrategySortedDrainsAlphabetically() throws Exception {
        Broker b = broker("queue_order_strategy", "sorted");
        String base = queue();
        String first = base + "-a";
        String second = base + "-b";
        for (int i = 0; i < 10; i++) {
            b.publish("", first, RedisBrokerTest.msg("a" + i, 0));
        }
        b.publish("", second, RedisBrokerTest.msg("b0", 0)).get();
        List<String> order = drainOrder(b, List.of(second, first)); // given in the other order
        assertThat(order.get(10)).isEqualTo("b0");
        assertThat(order.subList(0, 10)).allMatch(s -> s.startsWith("a"));
    }

    @Test
    void unackedRestoreLimitBoundsOneRestorePass() throws Exception {
        Broker holder = broker("visibility_timeout", 1);
        String q = queue();
        for (int i = 0; i < 3; i++) {
            holder.publish("", q, RedisBrokerTest.msg("m" + i, 0)).get();
        }
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        RedisConsumer dead = (RedisConsumer) holder.consume(List.of(q), 3, got::add);
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 3);
        dead.crash();
        // a broker without consumers never restores by itself: the passes below are the only ones
        RedisBroker restorer = broker("visibility_timeout", 1, "unacked_restore_limit", 1);
        int[] first = new int[1];
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> (first[0] = restorer.restoreVisible()) > 0);
        assertThat(first[0]).isEqualTo(1);
        assertThat(restorer.messageCount(q)).isEqualTo(1);
        assertThat(restorer.restoreVisible()).isEqualTo(1);
        assertThat(restorer.restoreVisible()).isEqualTo(1);
        assertThat(restorer.restoreVisible()).isZero();
        assertThat(restorer.messageCount(q)).isEqualTo(3);
    }

    /**
     * Crashes a consumer holding one message of {@code q} and backdates it 10 s: due for a restorer with a 1 s
     * visibility timeout, not for the holder's own broker (the default hour), whose restore at the start of consuming
     * may run late.
     */
    private void crashHolderOfOne(String q, String mutexKey) throws Exception {
        Broker holder = broker("unacked_mutex_key", mutexKey);
        holder.publish("", q, RedisBrokerTest.msg("held-" + q, 0)).get();
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        RedisConsumer dead = (RedisConsumer) holder.consume(List.of(q), 1, got::add);
        Delivery d = got.poll(5, TimeUnit.SECONDS);
        assertThat(d).isNotNull();
        dead.crash();
        assertThat(r.zadd(PREFIX + "unacked_index", io.lettuce.core.ZAddArgs.Builder.xx().ch(),
                System.currentTimeMillis() / 1000.0 - 10, d.deliveryTag().getBytes(StandardCharsets.UTF_8))).isEqualTo(1L);
    }

    @Test
    void restoreSkipsWhileAnotherWorkerHoldsTheUnackedMutex() throws Exception {
        String mutex = "mutex-" + UUID.randomUUID();
        String q = queue();
        crashHolderOfOne(q, mutex);
        RedisBroker restorer = broker("unacked_mutex_key", mutex, "visibility_timeout", 1);
        r.set(PREFIX + mutex, "a-python-worker".getBytes(StandardCharsets.UTF_8),
                io.lettuce.core.SetArgs.Builder.px(300_000));
        assertThat(restorer.restoreVisible()).isZero();
        assertThat(restorer.messageCount(q)).isZero();
        assertThat(r.get(PREFIX + mutex)).asString(StandardCharsets.UTF_8).isEqualTo("a-python-worker");
        r.del(PREFIX + mutex);
        assertThat(restorer.restoreVisible()).isEqualTo(1);
        assertThat(restorer.messageCount(q)).isEqualTo(1);
        assertThat(r.exists(PREFIX + mutex)).as("released after the pass").isZero();
    }

    @Test
    void aMutexThisBrokerTookButNeverHeardBackAboutIsItsOwnOnTheNextPass() throws Exception {
        // lettuce sends a command again after a reconnect: a SET NX whose reply was lost in a Redis restart may
        // have left the lock behind with this broker's token (kept by the server's AOF)
        String mutex = "mutex-" + UUID.randomUUID();
        String q = queue();
        crashHolderOfOne(q, mutex);
        RedisBroker restorer = broker("unacked_mutex_key", mutex, "visibility_timeout", 1);
        r.set(PREFIX + mutex, restorer.mutexToken(), io.lettuce.core.SetArgs.Builder.px(300_000));
        assertThat(restorer.restoreVisible()).isEqualTo(1);
        assertThat(restorer.messageCount(q)).isEqualTo(1);
        assertThat(r.exists(PREFIX + mutex)).as("released after the pass").isZero();
    }

    @Test
    void healthCheckIntervalPingsAnIdleConnection() {
        RedisBroker b = broker("health_check_interval", 0.1);
        assertThat(b.clientName()).startsWith("celeriac-broker:tck@");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> clients(b.clientName()).stream().anyMatch(l -> l.contains(" cmd=ping ")));
    }

    @Test
    void noHealthCheckWhenTheIntervalIsZero() {
        RedisBroker b = broker("health_check_interval", 0);
        b.messageCount(queue()); // LLEN x4: the last command of the command connection
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2))
                .until(() -> clients(b.clientName()).stream().allMatch(l -> l.contains(" cmd=llen ")));
    }

    @Test
    void maxConnectionsBoundsTheWakeUpConnectionsAndUnwatchedListsAreStillServed() throws Exception {
        RedisBroker bounded = broker("max_connections", 3);
        String q = queue();
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c = bounded.consume(List.of(q), 10, got::add);
        // 1 command connection + 2 wake-up connections (steps 0 and 3); steps 6 and 9 are claimed from when idle
        await().atMost(Duration.ofSeconds(5)).until(() -> clients(bounded.clientName()).size() == 3);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1))
                .until(() -> clients(bounded.clientName()).size() == 3);
        bounded.publish("", q, RedisBrokerTest.msg("p9", 9)).get();
        Delivery d = got.poll(5, TimeUnit.SECONDS);
        assertThat(d).isNotNull();
        assertThat(id(d)).isEqualTo("p9");
        c.ack(d);
        c.close();

        RedisBroker unbounded = broker();
        Consumer c2 = unbounded.consume(List.of(queue()), 10, x -> { });
        await().atMost(Duration.ofSeconds(5)).until(() -> clients(unbounded.clientName()).size() == 5);
        c2.close();
    }

    @Test
    void fanoutPrefixAndPatternsNameTheBroadcastChannel() throws Exception {
        Broker b = broker("fanout_prefix", "/custom.", "fanout_patterns", false);
        String ex = "ev-" + UUID.randomUUID();
        LinkedBlockingQueue<String> channels = new LinkedBlockingQueue<>();
        StatefulRedisPubSubConnection<String, byte[]> ps = raw.connectPubSub(RedisBroker.CODEC);
        try {
            ps.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, byte[] message) {
                    channels.add(channel);
                }
            });
            ps.sync().subscribe(PREFIX + "/custom." + ex);
            LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
            Subscription s = b.subscribeBroadcast(ex, (rk, m) -> got.add(rk));
            b.publishBroadcast(ex, "worker.heartbeat", RedisBrokerTest.msg("e1", 0)).get();
            assertThat(channels.poll(5, TimeUnit.SECONDS)).isEqualTo(PREFIX + "/custom." + ex);
            assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("worker.heartbeat");
            s.close();
        } finally {
            ps.close();
        }
    }

    @Test
    void aPublishRecreatesBindingsThisBrokerDeclaredWhenRedisLostThem() throws Exception {
        Broker b = broker();
        String q = queue();
        b.declareQueue(QueueSpec.of(q));
        r.del(PREFIX + "_kombu.binding." + q); // as after a restart without persistence
        b.publish(q, q, RedisBrokerTest.msg("kept", 0)).get(5, TimeUnit.SECONDS);
        assertThat(b.messageCount(q)).isEqualTo(1);
        assertThat(r.smembers(PREFIX + "_kombu.binding." + q).stream().map(v -> new String(v, StandardCharsets.UTF_8)))
                .containsExactly(q + "\u0006\u0016\u0006\u0016" + q);
    }
}
