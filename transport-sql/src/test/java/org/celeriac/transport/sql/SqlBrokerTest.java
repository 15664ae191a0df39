package org.celeriac.transport.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.broker.PriorityOrder;
import org.celeriac.spi.broker.PublishOptions;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.spi.coordination.Coordination;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqlBrokerTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;
    static Broker broker;

    @BeforeAll
    static void open() {
        broker = TestSupport.open(dir);
    }

    @AfterAll
    static void close() {
        broker.close();
    }

    private static String queue() {
        return "q-" + UUID.randomUUID();
    }

    private static Message message(String id, Integer priority) {
        return new Message(Map.of("id", id), MessageProperties.builder().contentType("application/json")
                .priority(priority).build(), id.getBytes(StandardCharsets.UTF_8));
    }

    private static String id(Delivery d) {
        return (String) d.message().headers().get("id");
    }

    private static void publishAll(Broker b, String queue, List<Message> messages) {
        CompletableFuture.allOf(messages.stream().map(m -> b.publish("", queue, m))
                .toArray(CompletableFuture[]::new)).join();
    }

    @Test
    void capabilitiesDescribeTheTransport() {
        var caps = broker.capabilities();
        assertThat(caps.priorityOrder()).isEqualTo(PriorityOrder.HIGHER_FIRST);
        assertThat(caps.delayedDelivery()).isTrue();
        assertThat(caps.delayPrecision()).isEqualTo(Duration.ofMillis(20));
        assertThat(caps.deadLetter()).isTrue();
        assertThat(caps.transactionalPublish()).isTrue();
        assertThat(caps.durable()).isTrue();
        assertThat(caps.broadcast()).isTrue();
        assertThat(caps.celeryWireLayout()).isFalse();
        // lease_timeout 30 s + one heartbeat interval (10 s) + the polling wait (20 ms in these tests)
        assertThat(caps.redeliveryAfterCrash()).isEqualTo(Duration.ofMillis(40_020));
        assertThat(((SqlBroker) broker).skipLockedClause()).containsIgnoringCase("for update skip locked");
    }

    @Test
    void roundTripKeepsHeadersPropertiesAndBodyBytes() {
        String q = queue();
        byte[] body = {0, 1, 2, (byte) 0xff, (byte) 0x80, 'x'};
        Map<String, Object> headers = Map.of("task", "tasks.add", "id", "abc", "retries", 3L,
                "nested", Map.of("a", List.of(1L, "two")), "eta", "2024-01-01T00:00:00");
        MessageProperties props = MessageProperties.builder().contentType("application/json")
                .contentEncoding("utf-8").correlationId("abc").replyTo("reply.q").priority(7).deliveryMode(2)
                .expiration("60000").extra("body_encoding", "base64").build();
        Message sent = new Message(headers, props, body);
        broker.publish("", q, sent).join();

        List<Delivery> got = new CopyOnWriteArrayList<>();
        try (Consumer c = broker.consume(List.of(q), 1, d -> { got.add(d); })) {
            await().atMost(WAIT).until(() -> got.size() == 1);
            Delivery d = got.get(0);
            assertThat(d.message()).isEqualTo(sent);
            assertThat(d.message().body()).containsExactly(body);
            assertThat(d.queue()).isEqualTo(q);
            assertThat(d.exchange()).isEmpty();
            assertThat(d.routingKey()).isEqualTo(q);
            assertThat(d.redelivered()).isFalse();
            assertThat(d.deliveryTag()).matches("\\d+");
            c.ack(d);
        }
    }

    @Test
    void fifoWithinOnePriorityAndHigherPriorityFirst() {
        String q = queue();
        List<Message> ms = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ms.add(message("low-" + i, null));
        }
        for (int i = 0; i < 5; i++) {
            ms.add(message("high-" + i, 9));
        }
        ms.add(message("mid-0", 5));
        publishAll(broker, q, ms);

        List<String> order = new CopyOnWriteArrayList<>();
        CompletableFuture<Consumer> ref = new CompletableFuture<>(); // the handler may run before consume() returns
        try (Consumer c = broker.consume(List.of(q), 1, d -> {
            order.add(id(d));
            ref.join().ack(d);
        })) {
            ref.complete(c);
            await().atMost(WAIT).until(() -> order.size() == 16);
        }
        assertThat(order).containsExactly("high-0", "high-1", "high-2", "high-3", "high-4", "mid-0",
                "low-0", "low-1", "low-2", "low-3", "low-4", "low-5", "low-6", "low-7", "low-8", "low-9");
    }

    @Test
    void prefetchLimitsUnsettledDeliveriesAndAckFreesTheWindow() {
        String q = queue();
        List<Message> ms = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ms.add(message("m" + i, null));
        }
        publishAll(broker, q, ms);
        List<Delivery> got = new CopyOnWriteArrayList<>();
        try (Consumer c = broker.consume(List.of(q), 2, got::add)) {
            await().atMost(WAIT).until(() -> got.size() == 2);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> got.size() == 2);
            c.ack(got.get(0));
            await().atMost(WAIT).until(() -> got.size() == 3);
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> got.size() == 3);
            c.setPrefetch(0);
            await().atMost(WAIT).until(() -> got.size() == 6);
            assertThat(c.prefetch()).isZero();
            got.forEach(c::ack);
        }
    }

    @Test
    void ackDeletesTheRowAndDoubleAckIsIgnored() throws Exception {
        String q = queue();
        publishAll(broker, q, List.of(message("a", null), message("b", null)));
        List<Delivery> got = new CopyOnWriteArrayList<>();
        Consumer c = broker.consume(List.of(q), 10, got::add);
        await().atMost(WAIT).until(() -> got.size() == 2);
        c.ack(got.get(0));
        c.ack(got.get(0)); // ignored with a warning
        await().atMost(WAIT).until(() -> rows(q) == 1);
        c.close();
        assertThat(rows(q)).isEqualTo(1); // the unacked one was given back, not deleted
        assertThat(broker.messageCount(q)).isEqualTo(1);
        assertThatThrownBy(() -> c.ack(got.get(1))).isInstanceOf(BrokerException.class).hasMessageContaining("closed");
        c.close(); // idempotent
    }

    private static long rows(String q) throws Exception {
        return TestSupport.count(dir, "select count(*) from celeriac_message where queue = '" + q + "'");
    }

    @Test
    void rejectWithRequeueRedeliversWithTheRedeliveredFlag() {
        String q = queue();
        broker.publish("", q, message("r", null)).join();
        List<Delivery> got = new CopyOnWriteArrayList<>();
        CompletableFuture<Consumer> ref = new CompletableFuture<>(); // the handler may run before consume() returns
        try (Consumer c = broker.consume(List.of(q), 1, d -> {
            got.add(d);
            if (got.size() == 1) {
                ref.join().reject(d, true);
            } else {
                ref.join().ack(d);
            }
        })) {
            ref.complete(c);
            await().atMost(WAIT).until(() -> got.size() == 2);
        }
        assertThat(got).extracting(TestSupportIds::id).containsExactly("r", "r");
        assertThat(got).extracting(Delivery::redelivered).containsExactly(false, true);
    }

    @Test
    void rejectWithoutRequeueMovesTheMessageToTheDeadLetterTable() throws Exception {
        String q = queue();
        broker.publish("", q, message("dead", null)).join();
        List<Delivery> got = new CopyOnWriteArrayList<>();
        CompletableFuture<Consumer> ref = new CompletableFuture<>(); // the handler may run before consume() returns
        try (Consumer c = broker.consume(List.of(q), 1, d -> {
            got.add(d);
            ref.join().reject(d, false);
        })) {
            ref.complete(c);
            await().atMost(WAIT).until(() -> TestSupport.count(dir,
                    "select count(*) from celeriac_dead_letter where queue = '" + q + "'") == 1);
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> got.size() == 1);
        }
        assertThat(rows(q)).isZero();
        assertThat(TestSupport.count(dir, "select count(*) from celeriac_dead_letter where queue = '" + q
                + "' and body = X'" + "dead".chars().mapToObj(ch -> String.format("%02x", ch))
                .reduce("", String::concat) + "'")).isEqualTo(1);
    }

    @Test
    void closeGivesUnsettledMessagesBackAtOnce() {
        String q = queue();
        publishAll(broker, q, List.of(message("1", null), message("2", null), message("3", null)));
        List<Delivery> first = new CopyOnWriteArrayList<>();
        Consumer c1 = broker.consume(List.of(q), 3, first::add);
        await().atMost(WAIT).until(() -> first.size() == 3);
        c1.ack(first.get(0));
        c1.close();

        List<Delivery> second = new CopyOnWriteArrayList<>();
        try (Consumer c2 = broker.consume(List.of(q), 10, second::add)) {
            // far sooner than the one-hour visibility timeout
            await().atMost(Duration.ofSeconds(5)).until(() -> second.size() == 2);
            assertThat(second).extracting(TestSupportIds::id).containsExactly("2", "3");
            assertThat(second).allMatch(Delivery::redelivered);
            second.forEach(c2::ack);
        }
    }

    @Test
    void expiredLeaseIsDeliveredAgainToAnotherConsumer(@TempDir Path own) {
        try (Broker b = TestSupport.open(TestSupport.h2Url(own), Map.of("visibility_timeout", 0.3))) {
            assertThat(b.capabilities().redeliveryAfterCrash()).isEqualTo(Duration.ofMillis(300));
            String q = queue();
            b.publish("", q, message("lease", null)).join();
            List<Delivery> first = new CopyOnWriteArrayList<>();
            Consumer stuck = b.consume(List.of(q), 1, first::add); // never settles: like a crashed worker
            await().atMost(WAIT).until(() -> first.size() == 1);
            List<Delivery> second = new CopyOnWriteArrayList<>();
            Instant start = Instant.now();
            try (Consumer c2 = b.consume(List.of(q), 1, second::add)) {
                await().atMost(WAIT).until(() -> second.size() == 1);
                assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(5));
                assertThat(second.get(0).redelivered()).isTrue();
                assertThat(TestSupportIds.id(second.get(0))).isEqualTo("lease");
                c2.ack(second.get(0));
            }
            stuck.ack(first.get(0)); // late ack of the old claim does not touch the new owner's row
            stuck.close();
        }
    }

    @Test
    void purgeRemovesReadyMessagesAndCountsThem() {
        String q = queue();
        publishAll(broker, q, List.of(message("1", null), message("2", null), message("3", null)));
        broker.publish("", q, message("later", null), new PublishOptions(Instant.now().plusSeconds(60), null)).join();
        assertThat(broker.messageCount(q)).isEqualTo(3);
        assertThat(broker.purge(q)).isEqualTo(4);
        assertThat(broker.messageCount(q)).isZero();
        assertThat(broker.purge(q)).isZero();
    }

    @Test
    void delayedMessageIsNotDeliveredBeforeItsTime() {
        String q = queue();
        Instant notBefore = Instant.now().plusMillis(500);
        broker.publish("", q, message("late", null), new PublishOptions(notBefore, null)).join();
        broker.publish("", q, message("now", null)).join();
        List<Delivery> got = new CopyOnWriteArrayList<>();
        Map<String, Instant> at = new ConcurrentHashMap<>();
        try (Consumer c = broker.consume(List.of(q), 0, d -> {
            at.put(TestSupportIds.id(d), Instant.now());
            got.add(d);
        })) {
            await().atMost(WAIT).until(() -> got.size() == 2);
            assertThat(got).extracting(TestSupportIds::id).containsExactly("now", "late");
            assertThat(at.get("late")).isAfterOrEqualTo(notBefore);
            got.forEach(c::ack);
        }
    }

    @Test
    void directExchangeRoutesThroughBindingsAndDropsUnboundKeys() {
        String q = queue();
        broker.declareQueue(new QueueSpec(q, "ex-" + q, "rk-" + q, true, null, Map.of()));
        broker.declareQueue(new QueueSpec(q, "ex-" + q, "rk-" + q, true, null, Map.of())); // idempotent
        broker.publish("ex-" + q, "rk-" + q, message("routed", null)).join();
        broker.publish("ex-" + q, "other", message("dropped", null)).join();
        assertThat(broker.messageCount(q)).isEqualTo(1);
        List<Delivery> got = new CopyOnWriteArrayList<>();
        try (Consumer c = broker.consume(List.of(q), 1, got::add)) {
            await().atMost(WAIT).until(() -> got.size() == 1);
            assertThat(got.get(0).exchange()).isEqualTo("ex-" + q);
            assertThat(got.get(0).routingKey()).isEqualTo("rk-" + q);
            c.ack(got.get(0));
        }
    }

    @Test
    void severalQueuesAreConsumedTogether() {
        String a = queue();
        String b = queue();
        broker.publish("", a, message("a", null)).join();
        broker.publish("", b, message("b", null)).join();
        Set<String> got = ConcurrentHashMap.newKeySet();
        CompletableFuture<Consumer> ref = new CompletableFuture<>(); // the handler may run before consume() returns
        try (Consumer c = broker.consume(List.of(a, b), 5, d -> {
            got.add(d.queue() + ":" + TestSupportIds.id(d));
            ref.join().ack(d);
        })) {
            ref.complete(c);
            await().atMost(WAIT).until(() -> got.size() == 2);
        }
        assertThat(got).containsExactlyInAnyOrder(a + ":a", b + ":b");
    }

    @Test
    void transactionalPublishIsVisibleOnlyAfterCommit() throws Exception {
        String q = queue();
        try (Connection tx = TestSupport.jdbc(dir)) {
            tx.setAutoCommit(false);
            CompletableFuture<Void> f = broker.publish("", q, message("tx", null), new PublishOptions(null, tx));
            assertThat(f).isCompleted();
            assertThat(broker.messageCount(q)).isZero();
            tx.rollback();
            assertThat(broker.messageCount(q)).isZero();
            broker.publish("", q, message("tx", null), new PublishOptions(null, tx));
            tx.commit();
        }
        assertThat(broker.messageCount(q)).isEqualTo(1);
        assertThatThrownBy(() -> broker.publish("", q, message("x", null), new PublishOptions(null, "not a connection")))
                .isInstanceOf(org.celeriac.spi.broker.UnsupportedCapabilityException.class)
                .hasMessageContaining("java.sql.Connection");
    }

    @Test
    void handlerExceptionRequeuesTheDelivery() {
        String q = queue();
        broker.publish("", q, message("boom", null)).join();
        List<Delivery> got = new CopyOnWriteArrayList<>();
        CompletableFuture<Consumer> ref = new CompletableFuture<>(); // the handler may run before consume() returns
        try (Consumer c = broker.consume(List.of(q), 1, d -> {
            got.add(d);
            if (got.size() == 1) {
                throw new IllegalStateException("handler bug");
            }
            ref.join().ack(d);
        })) {
            ref.complete(c);
            await().atMost(WAIT).until(() -> got.size() == 2);
        }
        assertThat(got.get(1).redelivered()).isTrue();
    }

    @Test
    void twoConsumersNeverShareAMessageAndLoseNone() {
        String q = queue();
        int n = 3000;
        List<Message> ms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ms.add(message(Integer.toString(i), null));
        }
        publishAll(broker, q, ms);
        List<String> a = Collections.synchronizedList(new ArrayList<>());
        List<String> b = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Consumer> ra = new CompletableFuture<>(); // the handler may run before consume() returns
        CompletableFuture<Consumer> rb = new CompletableFuture<>(); // the handler may run before consume() returns
        try (Consumer ca = broker.consume(List.of(q), 7, d -> { a.add(TestSupportIds.id(d)); ra.join().ack(d); });
             Consumer cb = broker.consume(List.of(q), 5, d -> { b.add(TestSupportIds.id(d)); rb.join().ack(d); })) {
            ra.complete(ca);
            rb.complete(cb);
            await().atMost(Duration.ofSeconds(60)).until(() -> a.size() + b.size() >= n);
        }
        assertThat(a).isNotEmpty();
        assertThat(b).isNotEmpty();
        assertThat(a).doesNotHaveDuplicates().doesNotContainAnyElementsOf(b);
        assertThat(a.size() + b.size()).isEqualTo(n);
        assertThat(broker.messageCount(q)).isZero();
    }

    @Test
    void coordinationOffersLeasesCountersAndExpiringValues() {
        Coordination co = broker.coordination().orElseThrow();
        String k = UUID.randomUUID().toString();
        assertThat(co.tryAcquireLease("beat-" + k, "a", Duration.ofSeconds(30))).isTrue();
        assertThat(co.tryAcquireLease("beat-" + k, "b", Duration.ofSeconds(30))).isFalse();
        assertThat(co.tryAcquireLease("beat-" + k, "a", Duration.ofSeconds(30))).isTrue();
        co.releaseLease("beat-" + k, "b"); // not the owner: nothing happens
        assertThat(co.tryAcquireLease("beat-" + k, "b", Duration.ofSeconds(30))).isFalse();
        co.releaseLease("beat-" + k, "a");
        assertThat(co.tryAcquireLease("beat-" + k, "b", Duration.ofMillis(100))).isTrue();
        await().atMost(WAIT).until(() -> co.tryAcquireLease("beat-" + k, "a", Duration.ofSeconds(30)));

        assertThat(co.incrementAndGet("c-" + k, 1, null)).isEqualTo(1);
        assertThat(co.incrementAndGet("c-" + k, 5, null)).isEqualTo(6);
        assertThat(co.get("c-" + k)).hasValueSatisfying(v -> assertThat(new String(v)).isEqualTo("6"));

        co.put("v-" + k, new byte[] {1, 2}, null);
        assertThat(co.get("v-" + k)).hasValueSatisfying(v -> assertThat(v).containsExactly(1, 2));
        co.delete("v-" + k);
        assertThat(co.get("v-" + k)).isEmpty();
        co.put("t-" + k, new byte[] {3}, Duration.ofMillis(100));
        await().atMost(WAIT).until(() -> co.get("t-" + k).isEmpty());
    }

    @Test
    void aPublishOfThisProcessWakesAnIdleConsumerLongBeforeThePollingInterval(@TempDir Path own) {
        try (Broker b = TestSupport.open(TestSupport.h2Url(own), Map.of("polling_interval", 30));
             Broker client = TestSupport.open(TestSupport.h2Url(own), Map.of("polling_interval", 30))) {
            String q = queue();
            List<Delivery> got = new CopyOnWriteArrayList<>();
            CompletableFuture<Consumer> ref = new CompletableFuture<>(); // the handler may run before consume() returns
            try (Consumer c = b.consume(List.of(q), 1, d -> {
                got.add(d);
                ref.join().ack(d);
            })) {
                ref.complete(c);
                b.publish("", q, message("first", null)).join();
                await().atMost(WAIT).until(() -> got.size() == 1);
                // idle long enough for the back-off to grow past a second
                await().during(Duration.ofMillis(1200)).atMost(Duration.ofSeconds(3)).until(() -> got.size() == 1);
                Instant sent = Instant.now();
                client.publish("", q, message("second", null)).join(); // another broker of this JVM
                await().atMost(WAIT).until(() -> got.size() == 2);
                assertThat(Duration.between(sent, Instant.now())).isLessThan(Duration.ofMillis(300));
                await().during(Duration.ofMillis(1200)).atMost(Duration.ofSeconds(3)).until(() -> got.size() == 2);
                sent = Instant.now();
                b.publish("", q, message("third", null)).join();
                await().atMost(WAIT).until(() -> got.size() == 3);
                assertThat(Duration.between(sent, Instant.now())).isLessThan(Duration.ofMillis(300));
            }
        }
    }

    @Test
    void publishAfterCloseFails(@TempDir Path own) {
        Broker b = TestSupport.open(own);
        b.close();
        b.close(); // idempotent
        assertThatThrownBy(() -> b.publish("", "q", message("x", null))).isInstanceOf(BrokerException.class)
                .hasMessageContaining("closed").hasMessageNotContaining("s3cret");
    }
}
