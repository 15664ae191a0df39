package org.celeriac.transport.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerCapabilities;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.broker.PriorityOrder;
import org.celeriac.spi.broker.PublishOptions;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.spi.broker.Subscription;
import org.celeriac.spi.broker.UnsupportedCapabilityException;
import org.celeriac.tck.TckProviders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RedisBrokerTest {
    static final String URL = "redis://127.0.0.1:6379/0";
    static final String PREFIX = "celeriac-test-transport-" + UUID.randomUUID() + ":";
    /** The message of §3.1 of the wire spec, byte for byte as Python Celery 5.2.6 / kombu 5.2.4 writes it. */
    static final String PYTHON_ENVELOPE = "{\"body\": \"W1syLCAyXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d\", "
            + "\"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", "
            + "\"headers\": {\"lang\": \"py\", \"task\": \"app1.add\", \"id\": \"11111111-2222-3333-4444-555555555555\", "
            + "\"shadow\": null, \"eta\": null, \"expires\": null, \"group\": null, \"group_index\": null, \"retries\": 0, "
            + "\"timelimit\": [null, null], \"root_id\": \"11111111-2222-3333-4444-555555555555\", \"parent_id\": null, "
            + "\"argsrepr\": \"(2, 2)\", \"kwargsrepr\": \"{}\", \"origin\": \"gen11156@vm\", \"ignore_result\": false}, "
            + "\"properties\": {\"correlation_id\": \"11111111-2222-3333-4444-555555555555\", "
            + "\"reply_to\": \"6883e817-4a0b-3f4e-9e5b-1d5c0c7e3a11\", \"delivery_mode\": 2, "
            + "\"delivery_info\": {\"exchange\": \"\", \"routing_key\": \"celery\"}, \"priority\": 0, "
            + "\"body_encoding\": \"base64\", \"delivery_tag\": \"a587d4ac-40bd-497f-80bf-d1023c894773\"}}";

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

    Broker broker(Map<String, Object> extraOptions) {
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("global_keyprefix", PREFIX);
        opts.putAll(extraOptions);
        Settings settings = Settings.of(Map.of("broker_transport_options", opts));
        Broker b = new RedisBrokerProvider().create(ConnectionUrl.parse(URL), settings, TckProviders.context(settings));
        brokers.add(b);
        return b;
    }

    Broker broker() {
        return broker(Map.of());
    }

    static String queue() {
        return "q-" + UUID.randomUUID();
    }

    static Message msg(String id, Integer priority) {
        return new Message(Map.of("task", "tasks.add", "id", id), MessageProperties.builder()
                .contentType("application/json").contentEncoding("utf-8").correlationId(id).priority(priority).build(),
                ("[[" + id.length() + "], {}, {}]").getBytes(StandardCharsets.UTF_8));
    }

    static String id(Delivery d) {
        return (String) d.message().headers().get("id");
    }

    static String str(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void capabilitiesAreKombusRedis() {
        BrokerCapabilities c = broker(Map.of("visibility_timeout", 30)).capabilities();
        assertThat(c.priorityOrder()).isEqualTo(PriorityOrder.LOWER_FIRST);
        assertThat(c.redeliveryAfterCrash()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.celeryWireLayout()).isTrue();
        assertThat(c.broadcast()).isTrue();
        assertThat(c.delayedDelivery()).isFalse();
        assertThat(c.durable()).isFalse();
    }

    @Test
    void decodesAndAcksAMessageExactlyAsPythonWritesIt() throws Exception {
        Broker b = broker();
        String q = queue();
        r.lpush(PREFIX + q, PYTHON_ENVELOPE.getBytes(StandardCharsets.UTF_8));
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c = b.consume(List.of(q), 10, got::add);
        Delivery d = got.poll(5, TimeUnit.SECONDS);
        assertThat(d).isNotNull();
        assertThat(d.deliveryTag()).isEqualTo("a587d4ac-40bd-497f-80bf-d1023c894773");
        assertThat(d.exchange()).isEmpty();
        assertThat(d.routingKey()).isEqualTo("celery");
        assertThat(d.queue()).isEqualTo(q);
        assertThat(d.redelivered()).isFalse();
        assertThat(d.message().headers()).containsEntry("task", "app1.add").containsEntry("retries", 0L)
                .containsEntry("timelimit", java.util.Arrays.asList(null, null));
        assertThat(str(d.message().body()))
                .isEqualTo("[[2, 2], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]");
        assertThat(d.message().properties().contentType()).isEqualTo("application/json");
        assertThat(d.message().properties().replyTo()).isEqualTo("6883e817-4a0b-3f4e-9e5b-1d5c0c7e3a11");
        assertThat(d.message().properties().deliveryMode()).isEqualTo(2);
        // recorded as kombu's QoS.append does, the envelope embedded verbatim
        assertThat(str(r.hget(PREFIX + "unacked", d.deliveryTag())))
                .isEqualTo("[" + PYTHON_ENVELOPE + ", \"\", \"celery\"]");
        assertThat(r.zscore(PREFIX + "unacked_index", RedisBroker.bytes(d.deliveryTag())))
                .isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(10.0));
        c.ack(d);
        await().atMost(Duration.ofSeconds(5)).until(() -> r.hlen(PREFIX + "unacked") == 0
                && r.zcard(PREFIX + "unacked_index") == 0);
        c.close();
    }

    /**
     * The claim script finds the tag and delivery_info of kombu's layout with string scans and records the entry byte
     * for byte as kombu's {@code QoS.append} writes it ({@code json.dumps}: a '/' stays unescaped, which cjson would
     * escape); any other layout (here compact separators, and a header that is also called delivery_tag) is decoded
     * and recorded all the same.
     */
    @Test
    void recordsUnackedEntriesAsKombuWritesThemWhateverTheEnvelopesLayout() throws Exception {
        Broker b = broker();
        String q = "q/" + UUID.randomUUID();
        b.publish("", q, msg("kombu-layout", null)).get();
        byte[] raw = r.lindex(PREFIX + q, 0);
        String compact = PYTHON_ENVELOPE.replace("\": ", "\":").replace(", \"", ",\"")
                .replace("a587d4ac-40bd-497f-80bf-d1023c894773", "b587d4ac-40bd-497f-80bf-d1023c894773");
        String headerTag = PYTHON_ENVELOPE.replace("\"headers\": {", "\"headers\": {\"delivery_tag\": \"x\", ")
                .replace("a587d4ac-40bd-497f-80bf-d1023c894773", "c587d4ac-40bd-497f-80bf-d1023c894773");
        r.lpush(PREFIX + q, compact.getBytes(StandardCharsets.UTF_8));
        r.lpush(PREFIX + q, headerTag.getBytes(StandardCharsets.UTF_8));
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c = b.consume(List.of(q), 10, got::add);
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 3);
        Delivery first = got.poll();
        assertThat(str(r.hget(PREFIX + "unacked", first.deliveryTag())))
                .isEqualTo("[" + str(raw) + ", \"\", \"" + q + "\"]");
        assertThat(str(r.hget(PREFIX + "unacked", "b587d4ac-40bd-497f-80bf-d1023c894773")))
                .isEqualTo("[" + compact + ", \"\", \"celery\"]");
        assertThat(str(r.hget(PREFIX + "unacked", "c587d4ac-40bd-497f-80bf-d1023c894773")))
                .isEqualTo("[" + headerTag + ", \"\", \"celery\"]");
        assertThat(r.hexists(PREFIX + "unacked", "x")).isFalse();
        got.forEach(c::ack);
        c.ack(first);
        await().atMost(Duration.ofSeconds(5)).until(() -> r.hlen(PREFIX + "unacked") == 0);
        c.close();
    }

    @Test
    void writesKombusEnvelopeByteForByte() throws Exception {
        Broker b = broker();
        String q = queue();
        // re-publish the Python message: the bytes must be Python's, except the fresh delivery tag
        r.lpush(PREFIX + q, PYTHON_ENVELOPE.getBytes(StandardCharsets.UTF_8));
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c = b.consume(List.of(q), 10, got::add);
        Delivery d = got.poll(5, TimeUnit.SECONDS);
        c.ack(d);
        c.close();
        String q2 = queue();
        b.publish("", "celery-" + q2, d.message()).get(5, TimeUnit.SECONDS);
        String written = str(r.rpop(PREFIX + "celery-" + q2));
        String tag = written.replaceAll(".*\"delivery_tag\": \"([^\"]+)\".*", "$1");
        assertThat(UUID.fromString(tag).version()).isEqualTo(4);
        assertThat(written).isEqualTo(PYTHON_ENVELOPE
                .replace("a587d4ac-40bd-497f-80bf-d1023c894773", tag)
                .replace("\"routing_key\": \"celery\"", "\"routing_key\": \"celery-" + q2 + "\""));
    }

    @Test
    void roundTripKeepsHeadersPropertiesAndBody() throws Exception {
        Broker b = broker();
        String q = queue();
        Message m = new Message(Map.of("task", "t", "id", "1", "eta", "2026-01-01T00:00:00+00:00"),
                MessageProperties.builder().contentType("application/x-kryo").contentEncoding("binary")
                        .correlationId("1").replyTo("rq").priority(0).deliveryMode(1).extra("x-custom", "v").build(),
                new byte[] {0, (byte) 0xff, 10, 13});
        b.publish("", q, m).get(5, TimeUnit.SECONDS);
        assertThat(b.messageCount(q)).isEqualTo(1);
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c = b.consume(List.of(q), 1, got::add);
        Delivery d = got.poll(5, TimeUnit.SECONDS);
        assertThat(d.message()).isEqualTo(m);
        c.ack(d);
        c.close();
    }

    @Test
    void lowerPriorityNumbersAreServedFirstFromKombusSubLists() throws Exception {
        Broker b = broker();
        String q = queue();
        b.publish("", q, msg("p9", 9)).get();
        b.publish("", q, msg("p5", 5)).get();
        b.publish("", q, msg("p0a", 0)).get();
        b.publish("", q, msg("p0b", null)).get();
        assertThat(r.llen(PREFIX + q)).isEqualTo(2);
        assertThat(r.llen(PREFIX + q + "\u0006\u00163")).isEqualTo(1);
        assertThat(r.llen(PREFIX + q + "\u0006\u00169")).isEqualTo(1);
        List<String> order = new CopyOnWriteArrayList<>();
        Consumer c = b.consume(List.of(q), 0, d -> order.add(id(d)));
        await().atMost(Duration.ofSeconds(5)).until(() -> order.size() == 4);
        assertThat(order).containsExactly("p0a", "p0b", "p5", "p9");
        c.close();
    }

    @Test
    void prefetchBoundsUnsettledDeliveriesAndAckOpensTheWindow() throws Exception {
        Broker b = broker();
        String q = queue();
        for (int i = 0; i < 10; i++) {
            b.publish("", q, msg("m" + i, 0));
        }
        b.publish("", q, msg("m10", 0)).get();
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c = b.consume(List.of(q), 3, got::add);
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 3);
        assertThat(got.poll(300, TimeUnit.MILLISECONDS)).isNotNull();
        // 2 still queued here, none more may arrive while 3 are unsettled
        List<Delivery> held = new ArrayList<>(got);
        got.clear();
        assertThat(got.poll(300, TimeUnit.MILLISECONDS)).isNull();
        assertThat(b.messageCount(q)).isEqualTo(8);
        c.ack(held.get(0));
        Delivery next = got.poll(5, TimeUnit.SECONDS);
        assertThat(next).isNotNull();
        assertThat(id(next)).isEqualTo("m3");
        c.close();
    }

    @Test
    void rejectWithRequeueGoesToTheTailMarkedRedeliveredAndWithoutIsDropped() throws Exception {
        Broker b = broker();
        String q = queue();
        b.publish("", q, msg("a", 0)).get();
        b.publish("", q, msg("b", 0)).get();
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c = b.consume(List.of(q), 1, got::add);
        Delivery a = got.poll(5, TimeUnit.SECONDS);
        assertThat(id(a)).isEqualTo("a");
        c.reject(a, true);
        Delivery next = got.poll(5, TimeUnit.SECONDS);
        assertThat(id(next)).isEqualTo("b");
        c.reject(next, false);
        Delivery again = got.poll(5, TimeUnit.SECONDS);
        assertThat(id(again)).isEqualTo("a");
        assertThat(again.redelivered()).isTrue();
        assertThat(again.message().headers()).containsEntry("redelivered", true);
        c.ack(again);
        assertThat(got.poll(300, TimeUnit.MILLISECONDS)).isNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> r.hlen(PREFIX + "unacked") == 0);
        c.close();
        assertThat(b.messageCount(q)).isZero();
    }

    @Test
    void closeGivesUnsettledDeliveriesBackInOrder() throws Exception {
        Broker b = broker();
        String q = queue();
        for (int i = 0; i < 5; i++) {
            b.publish("", q, msg("m" + i, 0)).get();
        }
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c = b.consume(List.of(q), 3, got::add);
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 3);
        c.ack(got.poll());
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 3); // m1, m2, m3
        c.close();
        assertThatThrownBy(() -> c.ack(got.peek())).isInstanceOf(org.celeriac.spi.broker.BrokerException.class);
        assertThat(b.messageCount(q)).isEqualTo(4);
        assertThat(r.hlen(PREFIX + "unacked")).isZero();
        List<Delivery> after = new CopyOnWriteArrayList<>();
        Consumer c2 = b.consume(List.of(q), 0, after::add);
        await().atMost(Duration.ofSeconds(5)).until(() -> after.size() == 4);
        assertThat(after.stream().map(RedisBrokerTest::id)).containsExactly("m1", "m2", "m3", "m4");
        assertThat(after.get(0).redelivered()).isTrue();
        assertThat(after.get(3).redelivered()).isFalse();
        after.forEach(c2::ack);
        c2.close();
    }

    /** A key prefix of its own (under {@link #PREFIX}, so cleaned up with it), for tests that count shared keys. */
    static String ownPrefix() {
        return PREFIX + "own-" + UUID.randomUUID() + ":";
    }

    @Test
    void anIdleConsumerTakesAMessageWithOneBlockingClaimAndRecordsItInUnackedAsKombuDoes() throws Exception {
        String p = ownPrefix();
        Broker b = broker(Map.of("global_keyprefix", p));
        String q = queue();
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        RedisConsumer c = (RedisConsumer) b.consume(List.of(q), 10, got::add);
        // idle: one blocking claim per list (4 priority steps), each with a registered in-flight list
        await().atMost(Duration.ofSeconds(5)).until(() -> r.hlen(p + "_celeriac.inflight") == 4);
        assertThat(c.inFlightLists()).hasSize(4);
        for (String list : c.inFlightLists()) {
            assertThat(str(r.hget(p + "_celeriac.inflight", list))).startsWith(p + q);
            assertThat(r.zscore(p + "_celeriac.inflight_index", list.getBytes(StandardCharsets.UTF_8))).isNotNull();
        }
        b.publish("", q, msg("one", null)).get();
        Delivery d = got.poll(5, TimeUnit.SECONDS);
        assertThat(d).isNotNull();
        assertThat(id(d)).isEqualTo("one");
        // recorded in kombu's unacked structures and taken off the in-flight list
        await().atMost(Duration.ofSeconds(5)).until(() -> r.hexists(p + "unacked", d.deliveryTag()));
        assertThat(r.zscore(p + "unacked_index", d.deliveryTag().getBytes(StandardCharsets.UTF_8))).isNotNull();
        String entry = str(r.hget(p + "unacked", d.deliveryTag()));
        assertThat(entry).startsWith("[{").endsWith("}, \"\", \"" + q + "\"]");
        for (String list : c.inFlightLists()) {
            assertThat(r.llen(list)).isZero();
        }
        c.ack(d);
        await().atMost(Duration.ofSeconds(5)).until(() -> r.hlen(p + "unacked") == 0);
        c.close();
        assertThat(r.hlen(p + "_celeriac.inflight")).isZero();
        assertThat(r.zcard(p + "_celeriac.inflight_index")).isZero();
    }

    /**
     * A requeued message is claimed again at once by the consumer that gave it back (its blocking peek wakes and
     * claims from the event loop); when close() stops the dispatch thread while it waits for that claim, the
     * claimed message must be held and given back, not dropped into {@code unacked} until the visibility timeout.
     * (A cold shutdown with task_reject_on_worker_lost does exactly this.) A race: repeated to hit it.
     */
    @Test
    void aMessageClaimedAgainAsTheConsumerClosesIsGivenBack() throws Exception {
        String p = ownPrefix();
        Broker b = broker(Map.of("global_keyprefix", p));
        for (int i = 0; i < 40; i++) {
            String q = queue();
            b.publish("", q, msg("m" + i, null)).get();
            LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
            Consumer c = b.consume(List.of(q), 1, got::add);
            Delivery d = got.poll(5, TimeUnit.SECONDS);
            assertThat(d).isNotNull();
            c.reject(d, true);
            c.close();
            assertThat(b.messageCount(q)).as("round %d: the message is back in its queue", i).isEqualTo(1);
            assertThat(r.hlen(p + "unacked")).as("round %d: nothing left in unacked", i).isZero();
            b.purge(q);
        }
    }

    @Test
    void closeGivesBackWhatABlockingClaimMovedButDidNotHandOver() throws Exception {
        String p = ownPrefix();
        Broker b = broker(Map.of("global_keyprefix", p));
        String q = queue();
        RedisConsumer c = (RedisConsumer) b.consume(List.of(q), 10, d -> { });
        await().atMost(Duration.ofSeconds(5)).until(() -> c.inFlightLists().size() == 4);
        // as if Redis had moved a message into the in-flight list and the process had not seen the reply yet
        String inFlight = c.inFlightLists().get(0);
        String source = str(r.hget(p + "_celeriac.inflight", inFlight));
        assertThat(source).isEqualTo(p + q);
        r.lpush(inFlight, PYTHON_ENVELOPE.getBytes(StandardCharsets.UTF_8));
        c.close();
        assertThat(r.llen(inFlight)).isZero();
        assertThat(r.llen(source)).isEqualTo(1);
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c2 = broker(Map.of("global_keyprefix", p)).consume(List.of(q), 10, got::add);
        Delivery d = got.poll(5, TimeUnit.SECONDS);
        assertThat(d).isNotNull();
        assertThat(id(d)).isEqualTo("11111111-2222-3333-4444-555555555555");
        c2.ack(d);
        c2.close();
    }

    @Test
    void whatADeadConsumerLeftInItsInFlightListGoesBackAfterTheVisibilityTimeout() throws Exception {
        String p = ownPrefix();
        String q = queue();
        Broker publisher = broker(Map.of("global_keyprefix", p));
        publisher.publish("", q, msg("stranded", null)).get();
        publisher.publish("", q, msg("next", null)).get();
        // a consumer that died right after Redis moved "stranded" into its in-flight list: registered, not renewed
        String inFlight = p + "_celeriac.inflight.dead-consumer.0";
        r.hset(p + "_celeriac.inflight", inFlight, (p + q).getBytes(StandardCharsets.UTF_8));
        r.zadd(p + "_celeriac.inflight_index", System.currentTimeMillis() / 1000.0 - 60,
                inFlight.getBytes(StandardCharsets.UTF_8));
        r.lpush(inFlight, r.rpop(p + q));
        RedisBroker b = (RedisBroker) broker(Map.of("global_keyprefix", p, "visibility_timeout", 1));
        assertThat(b.returnDeadInFlight()).isEqualTo(1);
        assertThat(str(r.lindex(p + q, -1))).contains("stranded"); // back at the head of its list
        assertThat(r.exists(inFlight)).isZero();
        assertThat(r.hexists(p + "_celeriac.inflight", inFlight)).isFalse();
        // and a consumer's restore does it by itself
        r.hset(p + "_celeriac.inflight", inFlight, (p + q).getBytes(StandardCharsets.UTF_8));
        r.zadd(p + "_celeriac.inflight_index", System.currentTimeMillis() / 1000.0 - 60,
                inFlight.getBytes(StandardCharsets.UTF_8));
        r.lpush(inFlight, r.rpop(p + q));
        List<String> got = new CopyOnWriteArrayList<>();
        Consumer c = b.consume(List.of(q), 10, d -> got.add(id(d)));
        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 2);
        assertThat(got).containsExactlyInAnyOrder("stranded", "next");
        assertThat(r.exists(inFlight)).isZero();
        c.close();
    }

    @Test
    void aLiveConsumersInFlightListsAreRenewedSoNobodyTakesThemBack() throws Exception {
        String p = ownPrefix();
        String q = queue();
        Broker b = broker(Map.of("global_keyprefix", p, "visibility_timeout", 1));
        RedisConsumer c = (RedisConsumer) b.consume(List.of(q), 10, d -> { });
        await().atMost(Duration.ofSeconds(5)).until(() -> c.inFlightLists().size() == 4);
        byte[] member = c.inFlightLists().get(0).getBytes(StandardCharsets.UTF_8);
        double first = r.zscore(p + "_celeriac.inflight_index", member);
        await().atMost(Duration.ofSeconds(5)).until(() -> r.zscore(p + "_celeriac.inflight_index", member) > first);
        assertThat(r.hlen(p + "_celeriac.inflight")).isEqualTo(4);
        c.close();
    }

    @Test
    void aCrashedConsumersDeliveriesComeBackAfterTheVisibilityTimeout() throws Exception {
        Broker b = broker(Map.of("visibility_timeout", 1));
        String q = queue();
        b.publish("", q, msg("x", 0)).get();
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        RedisConsumer dead = (RedisConsumer) b.consume(List.of(q), 1, got::add);
        assertThat(got.poll(5, TimeUnit.SECONDS)).isNotNull();
        dead.crash();
        assertThat(r.hlen(PREFIX + "unacked")).isEqualTo(1);
        Broker other = broker(Map.of("visibility_timeout", 1));
        LinkedBlockingQueue<Delivery> got2 = new LinkedBlockingQueue<>();
        long start = System.nanoTime();
        Consumer c2 = other.consume(List.of(q), 1, got2::add);
        Delivery d = got2.poll(10, TimeUnit.SECONDS);
        assertThat(d).isNotNull();
        assertThat(id(d)).isEqualTo("x");
        assertThat(d.redelivered()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        c2.ack(d);
        c2.close();
    }

    @Test
    void aLiveHolderRenewsItsDeliveriesSoRestoreNeverTakesThem() throws Exception {
        Broker holderBroker = broker(Map.of("visibility_timeout", 1));
        String q = queue();
        holderBroker.publish("", q, msg("held", 0)).get();
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer holder = holderBroker.consume(List.of(q), 1, got::add);
        Delivery held = got.poll(5, TimeUnit.SECONDS);
        assertThat(held).isNotNull();
        Broker other = broker(Map.of("visibility_timeout", 1));
        LinkedBlockingQueue<Delivery> got2 = new LinkedBlockingQueue<>();
        Consumer c2 = other.consume(List.of(q), 1, got2::add);
        // three visibility timeouts while both restore loops run: the holder's renewals keep it
        assertThat(got2.poll(3, TimeUnit.SECONDS)).isNull();
        ((RedisConsumer) holder).crash();
        Delivery d = got2.poll(10, TimeUnit.SECONDS);
        assertThat(d).isNotNull();
        assertThat(id(d)).isEqualTo("held");
        c2.ack(d);
        c2.close();
    }

    @Test
    void twoConcurrentConsumersNeitherLoseNorDuplicate() throws Exception {
        String q = queue();
        Broker b1 = broker();
        Broker b2 = broker();
        int n = 3000;
        Set<String> seen = ConcurrentHashMap.newKeySet();
        List<String> dups = new CopyOnWriteArrayList<>();
        Map<Consumer, Integer> counts = new ConcurrentHashMap<>();
        Consumer[] cs = new Consumer[2];
        cs[0] = b1.consume(List.of(q), 50, d -> {
            if (!seen.add(id(d))) {
                dups.add(id(d));
            }
            cs[0].ack(d);
        });
        cs[1] = b2.consume(List.of(q), 50, d -> {
            if (!seen.add(id(d))) {
                dups.add(id(d));
            }
            cs[1].ack(d);
        });
        Broker pub = broker();
        for (int i = 0; i < n; i++) {
            pub.publish("", q, msg("m" + i, i % 10));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() == n);
        assertThat(dups).isEmpty();
        cs[0].close();
        cs[1].close();
        assertThat(pub.messageCount(q)).isZero();
        assertThat(counts).isEmpty();
    }

    @Test
    void severalQueuesAreServedRoundRobin() throws Exception {
        Broker b = broker();
        String q1 = queue();
        String q2 = queue();
        for (int i = 0; i < 20; i++) {
            b.publish("", q1, msg("a" + i, 0));
        }
        b.publish("", q2, msg("b0", 0)).get();
        List<String> order = new CopyOnWriteArrayList<>();
        Consumer[] c = new Consumer[1];
        c[0] = b.consume(List.of(q1, q2), 1, d -> {
            order.add(id(d));
            c[0].ack(d);
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> order.size() == 21);
        assertThat(order.indexOf("b0")).isLessThan(3);
        c[0].close();
    }

    @Test
    void declareQueueWritesKombusBindingAndNamedExchangesRouteThroughIt() throws Exception {
        Broker b = broker();
        String q = queue();
        b.declareQueue(new QueueSpec(q, "ex-" + q, "rk", true, null, Map.of()));
        assertThat(r.smembers(PREFIX + "_kombu.binding.ex-" + q).stream().map(RedisBrokerTest::str))
                .containsExactly("rk\u0006\u0016\u0006\u0016" + q);
        b.publish("ex-" + q, "rk", msg("routed", 0)).get();
        b.publish("ex-" + q, "other", msg("dropped", 0)).get();
        assertThat(b.messageCount(q)).isEqualTo(1);
        String written = str(r.rpop(PREFIX + q));
        assertThat(written).contains("\"delivery_info\": {\"exchange\": \"ex-" + q + "\", \"routing_key\": \"rk\"}");
    }

    @Test
    void purgeEmptiesEveryPriorityList() throws Exception {
        Broker b = broker();
        String q = queue();
        for (int i = 0; i < 10; i++) {
            b.publish("", q, msg("m" + i, i)).get();
        }
        assertThat(b.purge(q)).isEqualTo(10);
        assertThat(b.messageCount(q)).isZero();
        assertThat(b.purge(q)).isZero();
    }

    @Test
    void garbageIsDroppedAndConsumingGoesOn() throws Exception {
        Broker b = broker();
        String q = queue();
        r.lpush(PREFIX + q, "not json".getBytes(StandardCharsets.UTF_8));
        r.lpush(PREFIX + q, "{\"properties\": {\"delivery_tag\": \"t1\"}, \"body\": 5}".getBytes(StandardCharsets.UTF_8));
        b.publish("", q, msg("good", 0)).get();
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c = b.consume(List.of(q), 10, got::add);
        Delivery d = got.poll(5, TimeUnit.SECONDS);
        assertThat(id(d)).isEqualTo("good");
        c.ack(d);
        await().atMost(Duration.ofSeconds(5)).until(() -> r.hlen(PREFIX + "unacked") == 0);
        assertThat(b.messageCount(q)).isZero();
        c.close();
    }

    @Test
    void broadcastUsesKombusChannelNames() throws Exception {
        Broker b = broker();
        String ex = "ev-" + UUID.randomUUID();
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        Subscription s = b.subscribeBroadcast(ex, (rk, m) -> got.add(rk + "|" + m.headers().get("id")));
        LinkedBlockingQueue<String> channels = new LinkedBlockingQueue<>();
        StatefulRedisPubSubConnection<String, byte[]> ps = raw.connectPubSub(RedisBroker.CODEC);
        ps.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, byte[] message) {
                channels.add(channel);
            }
        });
        ps.sync().subscribe(PREFIX + "/0." + ex + "/worker.heartbeat", PREFIX + "/0." + ex);
        b.publishBroadcast(ex, "worker.heartbeat", msg("e1", 0)).get();
        b.publishBroadcast(ex, "", msg("e2", 0)).get();
        assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("worker.heartbeat|e1");
        assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("|e2");
        assertThat(channels.poll(5, TimeUnit.SECONDS)).isEqualTo(PREFIX + "/0." + ex + "/worker.heartbeat");
        assertThat(channels.poll(5, TimeUnit.SECONDS)).isEqualTo(PREFIX + "/0." + ex);
        s.close();
        b.publishBroadcast(ex, "x", msg("e3", 0)).get();
        assertThat(got.poll(300, TimeUnit.MILLISECONDS)).isNull();
        ps.close();
    }

    @Test
    void delayedDeliveryIsRefusedNamingTheCapability() {
        Broker b = broker();
        assertThatThrownBy(() -> b.publish("", queue(), msg("x", 0),
                new PublishOptions(java.time.Instant.now(), null)))
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("delayedDelivery");
    }

    @Test
    void sentinelWithoutMasterNameIsAClearError() {
        assertThatThrownBy(() -> new RedisBrokerProvider().create(ConnectionUrl.parse("sentinel://h1:26379"),
                Settings.of(Map.of()), TckProviders.context(Settings.of(Map.of()))))
                .isInstanceOf(org.celeriac.spi.ProviderException.class).hasMessageContaining("master_name");
    }

    @Test
    void handlerExceptionRequeues() throws Exception {
        Broker b = broker();
        String q = queue();
        b.publish("", q, msg("boom", 0)).get();
        Set<Boolean> seen = new HashSet<>();
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        Consumer c = b.consume(List.of(q), 1, d -> {
            synchronized (seen) {
                if (seen.add(d.redelivered())) {
                    if (!d.redelivered()) {
                        throw new IllegalStateException("first attempt fails");
                    }
                }
            }
            got.add(d);
        });
        Delivery d = got.poll(5, TimeUnit.SECONDS);
        assertThat(d.redelivered()).isTrue();
        c.ack(d);
        c.close();
    }
}
