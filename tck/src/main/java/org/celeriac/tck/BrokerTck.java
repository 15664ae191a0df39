package org.celeriac.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerCapabilities;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.broker.PriorityOrder;
import org.celeriac.spi.broker.PublishOptions;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.spi.broker.Subscription;
import org.celeriac.spi.broker.UnsupportedCapabilityException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The broker conformance kit: every rule {@code B-x.y} of {@code tck/RULES.md} as a test whose display
 * name starts with the rule id. Extend it in the transport's tests and supply {@link #createBroker()};
 * override the hooks ({@link #crashConsumer}, {@link #restartBroker}, {@link #deadLetters},
 * {@link #redeliveryTimeout}, {@link #timeout()}, {@link #quietPeriod()}) to enable or tune the fault
 * rules. An optional feature the transport lacks (by its {@link BrokerCapabilities} or a hook left
 * as is) shows as SKIPPED with a message naming the capability or hook, never as a pass.
 *
 * <p>One broker is created per test class ({@link #createBroker()} in {@code @BeforeAll}) and shared
 * by the tests; each test uses queues and exchanges of its own (random names starting {@code tck.}),
 * purged afterwards, and closes the consumers it opened. Every wait is bounded by {@link #timeout()}.
 * Instances are used by one JUnit engine thread; the broker under test is called from many threads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class BrokerTck {
    private volatile Broker broker;
    private final List<AutoCloseable> perTest = new CopyOnWriteArrayList<>();
    private final Set<String> usedQueues = ConcurrentHashMap.newKeySet();
    private static final java.util.regex.Pattern RULE = java.util.regex.Pattern.compile("^([BRS]-\\d+\\.\\d+)");
    private volatile String rule = "";

    // ------------------------------------------------------------------------------------------ hooks

    /**
     * Creates a broker for this test class: a new connection, on a store where the queues the TCK
     * names do not exist yet (random names make a shared store fine). Called once per test class,
     * and again by rules that need a second broker (B-12.2 closes it). Must not return null.
     */
    protected abstract Broker createBroker();

    /**
     * Simulates a consumer whose process died without closing it: no more deliveries, and its
     * unsettled deliveries come back only after {@link #redeliveryTimeout}. By default the crash
     * rules (B-5.3) are skipped: override it to enable them (e.g. {@code MemoryBroker.crash(consumer)};
     * a lease-based transport stops the consumer's threads and heartbeats without giving messages back).
     */
    protected void crashConsumer(Broker broker, Consumer consumer) {
        Assumptions.abort("hook BrokerTck.crashConsumer(Broker, Consumer) is not implemented: override it to simulate "
                + "a consumer that dies without closing (kombu: a worker killed with SIGKILL)");
    }

    /**
     * How soon the unsettled deliveries of a crashed consumer come back; by default the broker's
     * {@link BrokerCapabilities#redeliveryAfterCrash()}. Configure the transport with a short
     * visibility timeout in the test (a few seconds) so B-5.3 can run; null means never.
     */
    protected Duration redeliveryTimeout(Broker broker) {
        return broker.capabilities().redeliveryAfterCrash();
    }

    /**
     * Restarts the broker server (or reopens the store) and returns a broker connected to it again;
     * {@code broker} is closed by the hook or may be closed. Only used when the broker claims
     * {@link BrokerCapabilities#durable()}; by default the durability rule (B-8.1) is skipped.
     */
    protected Broker restartBroker(Broker broker) {
        return Assumptions.abort("hook BrokerTck.restartBroker(Broker) is not implemented: override it to restart the "
                + "broker (or close and reopen the store) so durability can be checked");
    }

    /**
     * The messages dead-lettered from {@code queue}, for transports with {@link BrokerCapabilities#deadLetter()};
     * empty (the default) when the test cannot inspect them, which skips B-3.4.
     */
    protected Optional<List<Message>> deadLetters(Broker broker, String queue) {
        return Optional.empty();
    }

    /** The longest time any expected event may take (a delivery, a publish confirm). Default 10 s. */
    protected Duration timeout() {
        return Duration.ofSeconds(10);
    }

    /**
     * How long to watch before concluding that nothing more will be delivered (prefetch limits,
     * acked messages, no duplicates). Default 300 ms; a polling transport sets a few polling intervals.
     */
    protected Duration quietPeriod() {
        return Duration.ofMillis(300);
    }

    /** The longest {@link #redeliveryTimeout} B-5.3 waits for; longer ones skip it. Default 30 s. */
    protected Duration maxRedeliveryWait() {
        return Duration.ofSeconds(30);
    }

    // ------------------------------------------------------------------------------------- lifecycle

    @BeforeAll
    final void openBroker() {
        broker = createBroker();
        assertNotNull(broker, getClass().getName() + ".createBroker() returned null");
    }

    @AfterAll
    final void closeBroker() {
        Broker b = broker;
        if (b != null) {
            b.close();
        }
    }

    @BeforeEach
    final void rememberRule(TestInfo info) {
        java.util.regex.Matcher m = RULE.matcher(info.getDisplayName());
        rule = m.find() ? m.group(1) + ": " : "";
    }

    @AfterEach
    final void closePerTest() {
        for (AutoCloseable c : perTest) {
            try {
                c.close();
            } catch (Exception | AssertionError e) {
                // a broken implementation may throw here; the rule under test has reported it
            }
        }
        perTest.clear();
        for (String q : usedQueues) {
            try {
                broker.purge(q);
            } catch (RuntimeException e) {
                // keep going: cleaning up is best effort
            }
        }
        usedQueues.clear();
    }

    /** The broker of this test class. */
    protected final Broker broker() {
        return broker;
    }

    // --------------------------------------------------------------------------------------- helpers

    private static String random() {
        byte[] b = new byte[5];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Declares a fresh queue (Celery's default shape) and returns its name. */
    private String newQueue() {
        return declare(QueueSpec.of("tck." + random()));
    }

    private String declare(QueueSpec spec) {
        broker.declareQueue(spec);
        usedQueues.add(spec.name());
        return spec.name();
    }

    private void publish(String queue, Message m) {
        await(broker.publish("", queue, m), "publish to queue " + queue);
    }

    private void publishAll(String queue, List<Message> ms) {
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (Message m : ms) {
            fs.add(broker.publish("", queue, m));
        }
        for (CompletableFuture<Void> f : fs) {
            await(f, "publish to queue " + queue);
        }
    }

    private <T> T await(CompletableFuture<T> f, String what) {
        try {
            return f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return fail(what + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            return fail(what + ": the future did not complete within " + timeout().toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted during " + what);
        }
    }

    private static List<Message> messages(String prefix, int n) {
        List<Message> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(TckMessages.message(prefix + i));
        }
        return out;
    }

    private static List<Object> ids(String prefix, int n) {
        List<Object> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(prefix + i);
        }
        return out;
    }

    private Inbox consume(String name, List<String> queues, int prefetch, Inbox.Settle settle) {
        Inbox inbox = new Inbox(rule + name, settle, timeout());
        Consumer c = broker.consume(queues, prefetch, inbox);
        assertNotNull(c, "consume() returned null");
        inbox.bind(c);
        perTest.add(c);
        return inbox;
    }

    private Inbox consume(String name, String queue, int prefetch, Inbox.Settle settle) {
        return consume(name, List.of(queue), prefetch, settle);
    }

    private void assertSame(Message expected, Delivery actual, String rule) {
        String d = TckMessages.messageDifference(expected, actual.message());
        if (d != null) {
            fail(rule + ": the delivered message differs from the published one at " + d);
        }
    }

    private BrokerCapabilities caps() {
        return broker.capabilities();
    }

    private void requireCapability(boolean present, String capability) {
        Assumptions.assumeTrue(present, () -> "optional feature not offered: BrokerCapabilities." + capability + " is "
                + capabilityValue(capability) + " for this transport");
    }

    private String capabilityValue(String capability) {
        BrokerCapabilities c = caps();
        return switch (capability) {
            case "priorityOrder" -> String.valueOf(c.priorityOrder());
            case "delayedDelivery" -> String.valueOf(c.delayedDelivery());
            case "broadcast" -> String.valueOf(c.broadcast());
            case "deadLetter" -> String.valueOf(c.deadLetter());
            case "durable" -> String.valueOf(c.durable());
            default -> "not set";
        };
    }

    /** Waits until {@code future} (or the call itself) fails with {@code type}; fails otherwise. */
    private void expectFailure(Class<? extends Throwable> type, String what, java.util.function.Supplier<CompletableFuture<?>> call) {
        CompletableFuture<?> f;
        try {
            f = call.get();
        } catch (RuntimeException e) {
            if (!type.isInstance(e)) {
                fail(what + ": expected " + type.getSimpleName() + ", got " + e, e);
            }
            return;
        }
        if (f == null) {
            fail(what + ": expected " + type.getSimpleName() + ", but it returned null");
        }
        try {
            f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
            fail(what + ": expected " + type.getSimpleName() + ", but it succeeded");
        } catch (ExecutionException e) {
            if (!type.isInstance(e.getCause())) {
                fail(what + ": expected " + type.getSimpleName() + ", got " + e.getCause(), e.getCause());
            }
        } catch (TimeoutException e) {
            fail(what + ": expected " + type.getSimpleName() + ", but the future did not complete within " + timeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }

    // ----------------------------------------------------------------------------------------- rules

    @Nested
    @DisplayName("B-1 publish and consume")
    class PublishAndConsume {

        @Test
        @DisplayName("B-1.1 a message published to a queue arrives with its headers, properties and body unchanged")
        void b1_1_roundTripPreservesHeadersPropertiesAndBody() {
            String q = newQueue();
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("x-tck", "kept");
            Message m = new Message(TckMessages.message("m1").headers(), MessageProperties.builder()
                    .contentType("application/json").contentEncoding("utf-8").correlationId("m1").replyTo("r.q")
                    .priority(0).deliveryMode(2).expiration("60000").extra(extra).build(),
                    "[[4, 4], {}, {}]".getBytes(StandardCharsets.UTF_8));
            publish(q, m);
            Inbox in = consume("consumer", q, 1, Inbox.Settle.ACK);
            Delivery d = in.next("the published message");
            assertSame(m, d, "B-1.1");
            assertEquals(q, d.queue(), "B-1.1: Delivery.queue must name the queue it was consumed from");
        }

        @Test
        @DisplayName("B-1.2 body bytes of any value (all 256 byte values, empty, 256 KiB) arrive unchanged")
        void b1_2_binaryBodiesArriveUnchanged() {
            String q = newQueue();
            byte[] all = new byte[512];
            for (int i = 0; i < all.length; i++) {
                all[i] = (byte) i;
            }
            byte[] big = new byte[256 * 1024];
            new Random(42).nextBytes(big);
            List<Message> ms = List.of(
                    new Message(Map.of("id", "all"), null, all),
                    new Message(Map.of("id", "empty"), null, new byte[0]),
                    new Message(Map.of("id", "big"), null, big));
            publishAll(q, ms);
            Inbox in = consume("consumer", q, 0, Inbox.Settle.ACK);
            Map<Object, Delivery> got = new LinkedHashMap<>();
            for (Delivery d : in.next(3, "the binary messages")) {
                got.put(TckMessages.idOf(d), d);
            }
            for (Message m : ms) {
                Delivery d = got.get(m.headers().get("id"));
                assertNotNull(d, "B-1.2: message " + m.headers().get("id") + " was not delivered");
                assertTrue(Arrays.equals(m.body(), d.message().body()), "B-1.2: body of " + m.headers().get("id")
                        + " differs: " + m.body().length + " bytes sent, " + d.message().body().length + " received, "
                        + "first difference at " + Arrays.mismatch(m.body(), d.message().body()));
            }
        }

        @Test
        @DisplayName("B-1.3 header values of the value model (null, booleans, integers, floats, strings, nested lists and maps) arrive equal")
        void b1_3_headerValuesRoundTrip() {
            String q = newQueue();
            Map<String, Object> nested = new LinkedHashMap<>();
            nested.put("list", Arrays.asList(1L, "two", 3.5, null, List.of()));
            nested.put("map", Map.of("k", Map.of()));
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("id", "h1");
            h.put("none", null);
            h.put("yes", true);
            h.put("no", false);
            h.put("long", Long.MAX_VALUE);
            h.put("negative", -42L);
            h.put("double", 0.1);
            h.put("text", "caf\u00e9 \u4e2d\u6587 \ud83d\ude00 \"quoted\" \\ back");
            h.put("empty", "");
            h.put("nested", nested);
            Message m = new Message(h, null, new byte[] {1});
            publish(q, m);
            Delivery d = consume("consumer", q, 1, Inbox.Settle.ACK).next("the message");
            String diff = TckMessages.difference("headers", h, d.message().headers());
            assertNull(diff, () -> "B-1.3: a header changed on the way: " + diff);
        }

        @Test
        @DisplayName("B-1.4 a message published to a direct exchange reaches the queue bound with its routing key, and the delivery says so")
        void b1_4_directExchangeRoutesByRoutingKey() {
            String name = "tck." + random();
            String exchange = "tck.x." + random();
            String key = "tck.rk." + random();
            declare(new QueueSpec(name, exchange, key, true, null, Map.of()));
            Message m = TckMessages.message("d1");
            await(broker.publish(exchange, key, m), "publish to exchange " + exchange);
            Delivery d = consume("consumer", name, 1, Inbox.Settle.ACK).next("the message routed by key " + key);
            assertSame(m, d, "B-1.4");
            assertEquals(name, d.queue(), "B-1.4: Delivery.queue");
            if (d.exchange() != null) {
                assertEquals(exchange, d.exchange(), "B-1.4: Delivery.exchange must be the exchange published to (or null when unknown)");
            }
            if (d.routingKey() != null) {
                assertEquals(key, d.routingKey(), "B-1.4: Delivery.routingKey must be the key published with (or null when unknown)");
            }
        }

        @Test
        @DisplayName("B-1.5 a message published to a direct exchange with a key no queue is bound with reaches no queue")
        void b1_5_unroutedMessageReachesNoQueue() {
            String name = "tck." + random();
            String exchange = "tck.x." + random();
            declare(new QueueSpec(name, exchange, "bound", true, null, Map.of()));
            await(broker.publish(exchange, "not-bound", TckMessages.message("stray")), "publish");
            Inbox in = consume("consumer", name, 1, Inbox.Settle.ACK);
            in.expectNothing(quietPeriod(), "B-1.5: a message published with routing key 'not-bound' must not reach a queue bound with 'bound'");
        }

        @Test
        @DisplayName("B-1.6 declaring a queue again is harmless: messages already in it stay")
        void b1_6_declareIsIdempotent() {
            String q = newQueue();
            publish(q, TckMessages.message("kept"));
            broker.declareQueue(QueueSpec.of(q));
            Delivery d = consume("consumer", q, 1, Inbox.Settle.ACK).next("the message published before the second declare");
            assertEquals("kept", TckMessages.idOf(d), "B-1.6");
        }

        @Test
        @DisplayName("B-1.7 a first delivery has redelivered = false and a delivery tag distinct from the other unsettled ones")
        void b1_7_firstDeliveryIsNotRedeliveredAndTagsAreDistinct() {
            String q = newQueue();
            publishAll(q, messages("t", 5));
            List<Delivery> ds = consume("consumer", q, 0, Inbox.Settle.HOLD).next(5, "the messages");
            Set<String> tags = new HashSet<>();
            for (Delivery d : ds) {
                assertFalse(d.redelivered(), () -> "B-1.7: " + Inbox.describe(d) + " was never delivered before, but redelivered = true");
                assertNotNull(d.deliveryTag(), "B-1.7: delivery tag is null");
                assertTrue(tags.add(d.deliveryTag()), () -> "B-1.7: delivery tag " + d.deliveryTag() + " used twice among unsettled deliveries");
            }
        }
    }

    @Nested
    @DisplayName("B-2 ordering")
    class Ordering {

        @Test
        @DisplayName("B-2.1 messages of equal priority in one queue are delivered in the order they were published (FIFO)")
        void b2_1_fifoPerQueue() {
            String q = newQueue();
            for (Message m : messages("f", 20)) {
                publish(q, m);
            }
            Inbox in = consume("consumer", q, 1, Inbox.Settle.ACK);
            List<Object> got = Inbox.ids(in.next(20, "the 20 messages"));
            assertEquals(ids("f", 20), got, "B-2.1: deliveries out of publish order");
        }

        @Test
        @DisplayName("B-2.2 a consumer of several queues serves each of them, none is starved (SHOULD)")
        void b2_2_severalQueuesAreNotStarved() {
            String busy = newQueue();
            String quiet = newQueue();
            publishAll(busy, messages("busy", 30));
            publish(quiet, TckMessages.message("lonely"));
            Inbox in = consume("consumer", List.of(busy, quiet), 1, Inbox.Settle.ACK);
            List<Object> first = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                first.add(TckMessages.idOf(in.next("a delivery")));
                if (first.contains("lonely")) {
                    return;
                }
            }
            fail("B-2.2: the message of queue " + quiet + " did not come within the first 10 deliveries while queue "
                    + busy + " had 30 waiting: " + first);
        }
    }

    @Nested
    @DisplayName("B-3 settlement")
    class Settlement {

        @Test
        @DisplayName("B-3.1 an acknowledged message is never delivered again, not even to a new consumer")
        void b3_1_ackRemoves() {
            String q = newQueue();
            publish(q, TckMessages.message("a1"));
            Inbox first = consume("first consumer", q, 1, Inbox.Settle.ACK);
            first.next("the message");
            first.consumer().close();
            Inbox second = consume("second consumer", q, 1, Inbox.Settle.ACK);
            second.expectNothing(quietPeriod(), "B-3.1: an acked message must not be delivered again");
            first.expectNothing(Duration.ZERO, "B-3.1: an acked message must not be delivered again");
        }

        @Test
        @DisplayName("B-3.2 a message rejected with requeue is delivered again, unchanged and with redelivered = true")
        void b3_2_rejectWithRequeueRedelivers() {
            String q = newQueue();
            Message m = TckMessages.message("r1");
            publish(q, m);
            Inbox in = consume("consumer", q, 1, Inbox.Settle.HOLD);
            Delivery first = in.next("the message");
            in.consumer().reject(first, true);
            Delivery again = in.next("the message again after reject(requeue = true)");
            assertEquals("r1", TckMessages.idOf(again), "B-3.2: another message came instead of the requeued one");
            assertTrue(again.redelivered(), "B-3.2: a requeued message must come back with redelivered = true");
            assertSame(m, again, "B-3.2");
            in.consumer().ack(again);
        }

        @Test
        @DisplayName("B-3.3 a message rejected without requeue is not delivered again")
        void b3_3_rejectWithoutRequeueDrops() {
            String q = newQueue();
            publish(q, TckMessages.message("x1"));
            Inbox in = consume("consumer", q, 1, Inbox.Settle.HOLD);
            in.consumer().reject(in.next("the message"), false);
            in.expectNothing(quietPeriod(), "B-3.3: a message rejected without requeue must not be delivered again");
            in.consumer().close();
            consume("new consumer", q, 1, Inbox.Settle.ACK)
                    .expectNothing(quietPeriod(), "B-3.3: a message rejected without requeue must not be delivered again");
        }

        @Test
        @DisplayName("B-3.4 a transport that dead-letters keeps a message rejected without requeue as a dead letter")
        void b3_4_rejectWithoutRequeueDeadLetters() {
            requireCapability(caps().deadLetter(), "deadLetter");
            String q = newQueue();
            Assumptions.assumeTrue(deadLetters(broker, q).isPresent(),
                    "hook BrokerTck.deadLetters(Broker, String) is not implemented: override it to read the dead letters of a queue");
            publish(q, TckMessages.message("dl1"));
            Inbox in = consume("consumer", q, 1, Inbox.Settle.HOLD);
            in.consumer().reject(in.next("the message"), false);
            long deadline = System.nanoTime() + timeout().toNanos();
            while (System.nanoTime() < deadline) {
                List<Message> dead = deadLetters(broker, q).orElse(List.of());
                if (dead.stream().anyMatch(m -> "dl1".equals(m.headers().get("id")))) {
                    return;
                }
                pause();
            }
            fail("B-3.4: the rejected message is not among the dead letters of " + q + " after " + timeout());
        }

        @Test
        @DisplayName("B-3.5 acknowledging a delivery twice is ignored and disturbs no other message")
        void b3_5_doubleAckIsIgnored() {
            String q = newQueue();
            publishAll(q, messages("d", 2));
            Inbox in = consume("consumer", q, 1, Inbox.Settle.HOLD);
            Delivery first = in.next("the first message");
            in.consumer().ack(first);
            in.consumer().ack(first);
            Delivery second = in.next("the second message after acking the first twice");
            assertEquals("d1", TckMessages.idOf(second), "B-3.5");
            in.consumer().ack(second);
            in.expectNothing(quietPeriod(), "B-3.5: after both messages were acked nothing must come back");
        }
    }

    @Nested
    @DisplayName("B-4 prefetch")
    class Prefetch {

        @Test
        @DisplayName("B-4.1 a consumer never holds more unsettled deliveries than its prefetch limit")
        void b4_1_prefetchLimitIsHonoured() {
            String q = newQueue();
            publishAll(q, messages("p", 6));
            Inbox in = consume("consumer", q, 2, Inbox.Settle.HOLD);
            in.next(2, "the first two messages");
            in.expectNothing(quietPeriod(), "B-4.1: with prefetch 2 and two unsettled deliveries no third may come");
        }

        @Test
        @DisplayName("B-4.2 settling a delivery lets the next message in")
        void b4_2_settlingLetsTheNextOneIn() {
            String q = newQueue();
            publishAll(q, messages("p", 3));
            Inbox in = consume("consumer", q, 1, Inbox.Settle.HOLD);
            Delivery d = in.next("the first message");
            in.expectNothing(quietPeriod(), "B-4.2: with prefetch 1 and one unsettled delivery no second may come");
            in.consumer().ack(d);
            assertEquals("p1", TckMessages.idOf(in.next("the second message once the first was acked")), "B-4.2");
        }

        @Test
        @DisplayName("B-4.3 raising the prefetch limit of a running consumer lets more deliveries in, and prefetch() reports it")
        void b4_3_setPrefetchRaisesTheLimit() {
            String q = newQueue();
            publishAll(q, messages("p", 6));
            Inbox in = consume("consumer", q, 1, Inbox.Settle.HOLD);
            in.next("the first message");
            assertEquals(1, in.consumer().prefetch(), "B-4.3: prefetch() right after consume(…, 1, …)");
            in.consumer().setPrefetch(4);
            assertEquals(4, in.consumer().prefetch(), "B-4.3: prefetch() after setPrefetch(4)");
            in.next(3, "three more messages after setPrefetch(4)");
            in.expectNothing(quietPeriod(), "B-4.3: with prefetch 4 and four unsettled deliveries no fifth may come");
        }

        @Test
        @DisplayName("B-4.4 prefetch 0 means unlimited: every waiting message is delivered without settling")
        void b4_4_zeroIsUnlimited() {
            String q = newQueue();
            publishAll(q, messages("u", 25));
            Inbox in = consume("consumer", q, 0, Inbox.Settle.HOLD);
            in.next(25, "every message with prefetch 0");
        }
    }

    @Nested
    @DisplayName("B-5 consumer loss")
    class ConsumerLoss {

        @Test
        @DisplayName("B-5.1 closing a consumer gives its unsettled deliveries back at once: another consumer gets them, redelivered")
        void b5_1_closeGivesUnsettledMessagesBack() {
            String q = newQueue();
            publishAll(q, messages("c", 2));
            Inbox first = consume("first consumer", q, 2, Inbox.Settle.HOLD);
            first.next(2, "both messages");
            first.consumer().close();
            Inbox second = consume("second consumer", q, 2, Inbox.Settle.HOLD);
            List<Delivery> again = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                again.add(second.next("message " + (i + 1) + " of 2 given back by the closed consumer"));
            }
            assertEquals(Set.of("c0", "c1"), new HashSet<>(Inbox.ids(again)), "B-5.1: the messages given back");
            for (Delivery d : again) {
                assertTrue(d.redelivered(), () -> "B-5.1: " + Inbox.describe(d) + " was delivered before, so redelivered must be true");
            }
        }

        @Test
        @DisplayName("B-5.2 after close() returns the consumer's handler gets no further delivery")
        void b5_2_noDeliveryAfterClose() {
            String q = newQueue();
            publish(q, TckMessages.message("before"));
            Inbox in = consume("closed consumer", q, 0, Inbox.Settle.ACK);
            in.next("the message published before close");
            in.consumer().close();
            publishAll(q, messages("after", 3));
            in.expectNothing(quietPeriod(), "B-5.2: a closed consumer must not get messages");
            Inbox next = consume("new consumer", q, 0, Inbox.Settle.ACK);
            assertEquals(Set.copyOf(ids("after", 3)), new HashSet<>(Inbox.ids(next.next(3, "the messages published after close"))),
                    "B-5.2: the messages published after close must wait for the next consumer");
        }

        @Test
        @DisplayName("B-5.3 the unsettled deliveries of a crashed consumer are delivered to another consumer after the redelivery timeout")
        void b5_3_crashedConsumersMessagesComeBack() {
            Duration after = redeliveryTimeout(broker);
            Assumptions.assumeTrue(after != null, "optional feature not offered: BrokerCapabilities.redeliveryAfterCrash is "
                    + "null (the messages of a crashed consumer never come back); override BrokerTck.redeliveryTimeout if it is configurable");
            Assumptions.assumeTrue(after.compareTo(maxRedeliveryWait()) <= 0, () -> "redelivery after a crash takes " + after
                    + ", longer than BrokerTck.maxRedeliveryWait() (" + maxRedeliveryWait()
                    + "): configure a short visibility timeout for the TCK or override BrokerTck.redeliveryTimeout");
            String q = newQueue();
            publishAll(q, messages("k", 2));
            Inbox victim = consume("crashed consumer", q, 2, Inbox.Settle.HOLD);
            victim.next(2, "both messages");
            crashConsumer(broker, victim.consumer());
            Inbox rescuer = consume("second consumer", q, 2, Inbox.Settle.ACK);
            Duration bound = after.plus(timeout());
            List<Delivery> again = List.of(rescuer.next(bound, "the first message of the crashed consumer"),
                    rescuer.next(bound, "the second message of the crashed consumer"));
            assertEquals(Set.of("k0", "k1"), new HashSet<>(Inbox.ids(again)), "B-5.3: the messages given back after the crash");
            for (Delivery d : again) {
                assertTrue(d.redelivered(), () -> "B-5.3: " + Inbox.describe(d) + " must have redelivered = true");
            }
        }
    }

    @Nested
    @DisplayName("B-6 purge and counts")
    class Purge {

        @Test
        @DisplayName("B-6.1 purge removes every waiting message and returns how many")
        void b6_1_purgeReturnsTheCount() {
            String q = newQueue();
            publishAll(q, messages("g", 7));
            assertEquals(7, broker.purge(q), "B-6.1: purge of a queue with 7 waiting messages");
            consume("consumer", q, 0, Inbox.Settle.ACK).expectNothing(quietPeriod(), "B-6.1: a purged queue must be empty");
        }

        @Test
        @DisplayName("B-6.2 purge leaves a delivered, unsettled message alone: rejected with requeue afterwards, it comes back")
        void b6_2_purgeKeepsUnsettledMessages() {
            String q = newQueue();
            publish(q, TckMessages.message("held"));
            Inbox in = consume("consumer", q, 1, Inbox.Settle.HOLD);
            Delivery d = in.next("the message");
            assertEquals(0, broker.purge(q), "B-6.2: purge must not count a delivered, unsettled message");
            in.consumer().reject(d, true);
            assertEquals("held", TckMessages.idOf(in.next("the message again after reject(requeue = true)")), "B-6.2");
        }

        @Test
        @DisplayName("B-6.3 messageCount, where supported, is the number of waiting messages")
        void b6_3_messageCountCountsWaitingMessages() {
            String q = newQueue();
            long empty = broker.messageCount(q);
            Assumptions.assumeTrue(empty != -1, "optional feature not offered: Broker.messageCount returns -1 (cannot tell cheaply)");
            assertEquals(0, empty, "B-6.3: messageCount of a new queue");
            publishAll(q, messages("n", 3));
            assertEquals(3, broker.messageCount(q), "B-6.3: messageCount after publishing 3");
            broker.purge(q);
            assertEquals(0, broker.messageCount(q), "B-6.3: messageCount after purge");
        }

        @Test
        @DisplayName("B-6.4 purge of an empty queue returns 0")
        void b6_4_purgeOfAnEmptyQueueReturnsZero() {
            assertEquals(0, broker.purge(newQueue()), "B-6.4");
        }
    }

    @Nested
    @DisplayName("B-7 concurrency")
    class Concurrency {

        @Test
        @DisplayName("B-7.1 concurrent consumers of one queue together receive every message exactly once")
        void b7_1_concurrentConsumersNeverShareAMessage() {
            String q = newQueue();
            int n = 200;
            publishAll(q, messages("cc", n));
            Map<Object, List<String>> seen = new ConcurrentHashMap<>();
            List<Inbox> inboxes = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                inboxes.add(consume("consumer " + i, q, 5, Inbox.Settle.ACK));
            }
            long deadline = System.nanoTime() + timeout().toNanos();
            while (total(inboxes) < n && System.nanoTime() < deadline) {
                pause();
            }
            quiet();
            for (int i = 0; i < inboxes.size(); i++) {
                for (Delivery d : inboxes.get(i).snapshot()) {
                    seen.computeIfAbsent(TckMessages.idOf(d), k -> new CopyOnWriteArrayList<>()).add("consumer " + i);
                }
            }
            List<String> twice = seen.entrySet().stream().filter(e -> e.getValue().size() > 1)
                    .map(e -> e.getKey() + " -> " + e.getValue()).sorted().toList();
            assertTrue(twice.isEmpty(), () -> "B-7.1: " + twice.size() + " message(s) delivered more than once: "
                    + twice.subList(0, Math.min(5, twice.size())));
            Set<Object> missing = new HashSet<>(ids("cc", n));
            missing.removeAll(seen.keySet());
            assertTrue(missing.isEmpty(), () -> "B-7.1: " + missing.size() + " message(s) never delivered, e.g. "
                    + missing.stream().limit(5).toList());
        }

        @Test
        @DisplayName("B-7.2 concurrent publishers lose no message")
        void b7_2_concurrentPublishersLoseNothing() throws Exception {
            String q = newQueue();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    fs.add(pool.submit(() -> publishAll(q, messages("t" + thread + "-", 50))));
                }
                for (java.util.concurrent.Future<?> f : fs) {
                    f.get(timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            Inbox in = consume("consumer", q, 0, Inbox.Settle.ACK);
            Set<Object> got = new HashSet<>(Inbox.ids(in.next(200, "the 200 messages of 4 publishing threads")));
            assertEquals(200, got.size(), "B-7.2: distinct messages received");
        }

        private int total(List<Inbox> inboxes) {
            return inboxes.stream().mapToInt(i -> i.snapshot().size()).sum();
        }
    }

    @Nested
    @DisplayName("B-8 durability")
    class Durability {

        @Test
        @DisplayName("B-8.1 a transport that claims durability keeps a published message across a broker restart")
        void b8_1_publishedMessagesSurviveARestart() {
            requireCapability(caps().durable(), "durable");
            String q = newQueue();
            publishAll(q, messages("dur", 3));
            Broker restarted = restartBroker(broker);
            assertNotNull(restarted, "restartBroker returned null");
            broker = restarted;
            Inbox in = consume("consumer after restart", q, 0, Inbox.Settle.ACK);
            assertEquals(Set.copyOf(ids("dur", 3)), new HashSet<>(Inbox.ids(in.next(3, "the messages published before the restart"))),
                    "B-8.1");
        }
    }

    @Nested
    @DisplayName("B-9 priorities")
    class Priorities {

        private List<Object> consumeAll(String q, int n) {
            return Inbox.ids(consume("consumer", q, 1, Inbox.Settle.ACK).next(n, "the messages"));
        }

        @Test
        @DisplayName("B-9.1 waiting messages of different priorities are delivered in the transport's priority order")
        void b9_1_priorityOrder() {
            PriorityOrder order = caps().priorityOrder();
            requireCapability(order != null && order != PriorityOrder.NONE, "priorityOrder");
            String q = declare(new QueueSpec("tck." + random(), null, null, true, 10, Map.of()));
            int[] priorities = {5, 1, 9, 5, 1};
            for (int i = 0; i < priorities.length; i++) {
                publish(q, TckMessages.message("p" + i + "@" + priorities[i], priorities[i]));
            }
            List<Object> expected = order == PriorityOrder.HIGHER_FIRST
                    ? List.of("p2@9", "p0@5", "p3@5", "p1@1", "p4@1")
                    : List.of("p1@1", "p4@1", "p0@5", "p3@5", "p2@9");
            assertEquals(expected, consumeAll(q, 5), "B-9.1: delivery order for PriorityOrder." + order);
        }

        @Test
        @DisplayName("B-9.2 messages of equal priority in a priority queue keep their publish order")
        void b9_2_equalPrioritiesAreFifo() {
            PriorityOrder order = caps().priorityOrder();
            requireCapability(order != null && order != PriorityOrder.NONE, "priorityOrder");
            String q = declare(new QueueSpec("tck." + random(), null, null, true, 10, Map.of()));
            for (int i = 0; i < 8; i++) {
                publish(q, TckMessages.message("e" + i, 3));
            }
            assertEquals(ids("e", 8), consumeAll(q, 8), "B-9.2");
        }

        @Test
        @DisplayName("B-9.3 a transport without priorities (PriorityOrder.NONE) delivers in publish order whatever the priority says")
        void b9_3_noPrioritiesMeansFifo() {
            Assumptions.assumeTrue(caps().priorityOrder() == PriorityOrder.NONE,
                    "applies only to BrokerCapabilities.priorityOrder NONE; this transport orders by priority (B-9.1)");
            String q = newQueue();
            int[] priorities = {1, 9, 5, 0};
            for (int i = 0; i < priorities.length; i++) {
                publish(q, TckMessages.message("n" + i, priorities[i]));
            }
            assertEquals(ids("n", 4), consumeAll(q, 4), "B-9.3");
        }
    }

    @Nested
    @DisplayName("B-10 delayed delivery")
    class Delayed {

        @Test
        @DisplayName("B-10.1 a message published with notBefore is not delivered before that instant")
        void b10_1_notBeforeIsHonoured() {
            requireCapability(caps().delayedDelivery(), "delayedDelivery");
            String q = newQueue();
            Instant notBefore = Instant.now().plusMillis(800);
            await(broker.publish("", q, TckMessages.message("later"), new PublishOptions(notBefore, null)), "delayed publish");
            publish(q, TckMessages.message("now"));
            Inbox in = consume("consumer", q, 0, Inbox.Settle.ACK);
            assertEquals("now", TckMessages.idOf(in.next("the undelayed message")),
                    "B-10.1: the delayed message came before the undelayed one published after it");
            Delivery d = in.next(Duration.ofMillis(800).plus(caps().delayPrecision()).plus(timeout()), "the delayed message");
            Instant at = Instant.now();
            assertFalse(at.isBefore(notBefore.minusMillis(10)), () -> "B-10.1: delivered at " + at + ", before notBefore " + notBefore);
            assertEquals("later", TckMessages.idOf(d), "B-10.1");
        }

        @Test
        @DisplayName("B-10.2 a delayed message is delivered no later than notBefore plus the declared delay precision")
        void b10_2_delayPrecisionIsHonoured() {
            requireCapability(caps().delayedDelivery(), "delayedDelivery");
            Duration precision = caps().delayPrecision();
            assertNotNull(precision, "B-10.2: delayedDelivery is true but delayPrecision is null");
            String q = newQueue();
            Inbox in = consume("consumer", q, 0, Inbox.Settle.ACK);
            Instant notBefore = Instant.now().plusMillis(500);
            await(broker.publish("", q, TckMessages.message("soon"), new PublishOptions(notBefore, null)), "delayed publish");
            Duration slack = Duration.ofMillis(500);
            in.next(Duration.ofMillis(500).plus(precision).plus(timeout()), "the delayed message");
            Instant at = Instant.now();
            Instant latest = notBefore.plus(precision).plus(slack);
            assertFalse(at.isAfter(latest), () -> "B-10.2: delivered at " + at + ", " + Duration.between(notBefore, at).toMillis()
                    + " ms after notBefore; the declared delayPrecision is " + precision.toMillis() + " ms (+" + slack.toMillis() + " ms slack)");
        }

        @Test
        @DisplayName("B-10.3 a transport without delayed delivery refuses notBefore with UnsupportedCapabilityException")
        void b10_3_delayWithoutCapabilityIsRefused() {
            Assumptions.assumeFalse(caps().delayedDelivery(),
                    "applies only to transports whose BrokerCapabilities.delayedDelivery is false (B-10.1 covers the others)");
            String q = newQueue();
            expectFailure(UnsupportedCapabilityException.class, "B-10.3: publish with PublishOptions.notBefore",
                    () -> broker.publish("", q, TckMessages.message("late"), new PublishOptions(Instant.now().plusSeconds(1), null)));
        }
    }

    @Nested
    @DisplayName("B-11 broadcast")
    class Broadcast {

        @Test
        @DisplayName("B-11.1 every subscriber of a fanout exchange receives a broadcast message with its routing key, headers and body")
        void b11_1_everySubscriberReceives() throws InterruptedException {
            requireCapability(caps().broadcast(), "broadcast");
            String exchange = "tck.fan." + random();
            LinkedBlockingQueue<Object[]> a = new LinkedBlockingQueue<>();
            LinkedBlockingQueue<Object[]> b = new LinkedBlockingQueue<>();
            perTest.add(broker.subscribeBroadcast(exchange, (rk, m) -> a.add(new Object[] {rk, m})));
            perTest.add(broker.subscribeBroadcast(exchange, (rk, m) -> b.add(new Object[] {rk, m})));
            Message m = TckMessages.message("bc1");
            await(broker.publishBroadcast(exchange, "pidbox", m), "publishBroadcast");
            for (LinkedBlockingQueue<Object[]> got : List.of(a, b)) {
                Object[] r = got.poll(timeout().toMillis(), TimeUnit.MILLISECONDS);
                assertNotNull(r, "B-11.1: a subscriber got no broadcast message within " + timeout());
                assertEquals("pidbox", r[0], "B-11.1: routing key");
                String d = TckMessages.messageDifference(m, (Message) r[1]);
                assertNull(d, () -> "B-11.1: the broadcast message differs at " + d);
            }
        }

        @Test
        @DisplayName("B-11.2 a closed subscription receives no further broadcast message")
        void b11_2_closedSubscriptionReceivesNothing() throws InterruptedException {
            requireCapability(caps().broadcast(), "broadcast");
            String exchange = "tck.fan." + random();
            LinkedBlockingQueue<Message> open = new LinkedBlockingQueue<>();
            LinkedBlockingQueue<Message> closed = new LinkedBlockingQueue<>();
            perTest.add(broker.subscribeBroadcast(exchange, (rk, m) -> open.add(m)));
            Subscription s = broker.subscribeBroadcast(exchange, (rk, m) -> closed.add(m));
            s.close();
            await(broker.publishBroadcast(exchange, "x", TckMessages.message("bc2")), "publishBroadcast");
            assertNotNull(open.poll(timeout().toMillis(), TimeUnit.MILLISECONDS), "B-11.2: the open subscription got nothing");
            assertNull(closed.poll(quietPeriod().toMillis(), TimeUnit.MILLISECONDS), "B-11.2: the closed subscription got a message");
        }

        @Test
        @DisplayName("B-11.3 a transport without broadcast refuses it with UnsupportedCapabilityException")
        void b11_3_broadcastWithoutCapabilityIsRefused() {
            Assumptions.assumeFalse(caps().broadcast(),
                    "applies only to transports whose BrokerCapabilities.broadcast is false (B-11.1 covers the others)");
            expectFailure(UnsupportedCapabilityException.class, "B-11.3: publishBroadcast",
                    () -> broker.publishBroadcast("tck.fan", "x", TckMessages.message("b")));
            try {
                Subscription s = broker.subscribeBroadcast("tck.fan", (rk, m) -> { });
                s.close();
                fail("B-11.3: subscribeBroadcast must throw UnsupportedCapabilityException");
            } catch (UnsupportedCapabilityException expected) {
                // as the SPI says
            }
        }
    }

    @Nested
    @DisplayName("B-12 lifecycle and capabilities")
    class Lifecycle {

        @Test
        @DisplayName("B-12.1 closing a consumer twice is harmless")
        void b12_1_consumerCloseIsIdempotent() {
            Inbox in = consume("consumer", newQueue(), 1, Inbox.Settle.ACK);
            in.consumer().close();
            org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> in.consumer().close(),
                    "B-12.1: the second close() of a consumer threw");
        }

        @Test
        @DisplayName("B-12.2 a closed broker refuses to publish with a BrokerException")
        void b12_2_closedBrokerRefusesPublish() {
            Broker other = createBroker();
            assertNotNull(other, "createBroker returned null");
            other.close();
            other.close();
            expectFailure(BrokerException.class, "B-12.2: publish on a closed broker",
                    () -> other.publish("", "tck.closed", TckMessages.message("c")));
        }

        @Test
        @DisplayName("B-12.3 capabilities are complete: a priority order, a delay precision when delayed delivery is offered, no negative durations")
        void b12_3_capabilitiesAreConsistent() {
            BrokerCapabilities c = caps();
            assertNotNull(c, "B-12.3: capabilities() returned null");
            assertNotNull(c.priorityOrder(), "B-12.3: priorityOrder is null; use PriorityOrder.NONE");
            if (c.delayedDelivery()) {
                assertNotNull(c.delayPrecision(), "B-12.3: delayedDelivery is true but delayPrecision is null");
                assertFalse(c.delayPrecision().isNegative(), "B-12.3: delayPrecision is negative");
            }
            if (c.redeliveryAfterCrash() != null) {
                assertFalse(c.redeliveryAfterCrash().isNegative(), "B-12.3: redeliveryAfterCrash is negative");
            }
        }

        @Test
        @DisplayName("B-12.4 a transport without transactional publish refuses PublishOptions.transaction with UnsupportedCapabilityException")
        void b12_4_transactionWithoutCapabilityIsRefused() {
            Assumptions.assumeFalse(caps().transactionalPublish(), "applies only to transports whose BrokerCapabilities."
                    + "transactionalPublish is false; transactional publish needs a java.sql.Connection and is the transport's own test");
            String q = newQueue();
            expectFailure(UnsupportedCapabilityException.class, "B-12.4: publish with PublishOptions.transaction",
                    () -> broker.publish("", q, TckMessages.message("tx"), new PublishOptions(null, new Object())));
        }
    }

    private void quiet() {
        try {
            Thread.sleep(quietPeriod().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
