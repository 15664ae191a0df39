package org.celeriac.core.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.celeriac.core.config.LogCapture;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class MemoryBrokerTest {
    private String ns;
    private MemoryBroker broker;
    private final List<Broker> opened = new ArrayList<>();

    @BeforeEach
    void open() {
        ns = "t-" + UUID.randomUUID();
        broker = open(null);
    }

    private MemoryBroker open(String query) {
        MemoryBroker b = (MemoryBroker) new MemoryBrokerProvider().create(
                ConnectionUrl.parse("memory://" + ns + (query == null ? "" : "?" + query)), Settings.of(Map.of()), null);
        opened.add(b);
        return b;
    }

    @AfterEach
    void close() {
        opened.forEach(Broker::close);
        MemoryNamespaces.discard(ns);
    }

    static Message msg(String body) {
        return new Message(Map.of("id", body), MessageProperties.builder().contentType("text/plain").build(),
                body.getBytes(StandardCharsets.UTF_8));
    }

    static Message msg(String body, Integer priority) {
        return new Message(Map.of("id", body), MessageProperties.builder().priority(priority).build(),
                body.getBytes(StandardCharsets.UTF_8));
    }

    static String body(Delivery d) {
        return new String(d.message().body(), StandardCharsets.UTF_8);
    }

    /** Consumes into a queue, never settling. */
    private BlockingQueue<Delivery> collect(List<String> queues, int prefetch, Consumer[] out) {
        BlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        out[0] = broker.consume(queues, prefetch, got::add);
        return got;
    }

    private static Delivery take(BlockingQueue<Delivery> q) throws InterruptedException {
        Delivery d = q.poll(5, TimeUnit.SECONDS);
        assertThat(d).as("a delivery within 5 s").isNotNull();
        return d;
    }

    @Test
    void capabilities_describe_an_in_memory_transport() {
        BrokerCapabilities c = broker.capabilities();
        assertThat(c.priorityOrder()).isEqualTo(PriorityOrder.HIGHER_FIRST);
        assertThat(c.delayedDelivery()).isTrue();
        assertThat(c.broadcast()).isTrue();
        assertThat(c.deadLetter()).isTrue();
        assertThat(c.transactionalPublish()).isFalse();
        assertThat(c.durable()).isFalse();
        assertThat(c.redeliveryAfterCrash()).isNull();
        assertThat(c.celeryWireLayout()).isFalse();
        assertThat(open("redelivery_timeout=2s").capabilities().redeliveryAfterCrash()).isEqualTo(Duration.ofSeconds(2));
        assertThat(broker.coordination()).isPresent();
    }

    @Nested
    class Routing {
        @Test
        void the_default_exchange_routes_by_queue_name_and_creates_missing_queues() {
            assertThat(broker.publish("", "fresh", msg("a"))).isCompleted();
            assertThat(broker.messageCount("fresh")).isEqualTo(1);
        }

        @Test
        void a_direct_exchange_routes_to_bound_queues_and_drops_the_rest() {
            broker.declareQueue(new QueueSpec("q1", "ex", "k1", true, null, Map.of()));
            broker.declareQueue(new QueueSpec("q2", "ex", "k1", true, null, Map.of()));
            broker.declareQueue(new QueueSpec("q3", "ex", "k3", true, null, Map.of()));
            broker.publish("ex", "k1", msg("to-1-and-2"));
            broker.publish("ex", "k3", msg("to-3"));
            broker.publish("ex", "nobody", msg("dropped"));
            broker.publish("undeclared", "k1", msg("dropped too"));
            assertThat(broker.messageCount("q1")).isEqualTo(1);
            assertThat(broker.messageCount("q2")).isEqualTo(1);
            assertThat(broker.messageCount("q3")).isEqualTo(1);
            assertThat(broker.messageCount("nobody")).isZero();
            broker.declareQueue(QueueSpec.of("celery"));
            broker.publish("celery", "celery", msg("celery"));
            broker.publish("", "celery", msg("default exchange"));
            assertThat(broker.messageCount("celery")).isEqualTo(2);
        }

        @Test
        void namespaces_are_separate_and_shared_by_handles_on_the_same_host() {
            broker.publish("", "q", msg("a"));
            MemoryBroker same = open(null);
            assertThat(same.messageCount("q")).isEqualTo(1);
            MemoryBroker other = new MemoryBroker(ns + "-other", null);
            opened.add(other);
            assertThat(other.messageCount("q")).isZero();
        }

        @Test
        void purge_removes_ready_messages_and_returns_the_count() throws InterruptedException {
            for (int i = 0; i < 5; i++) {
                broker.publish("", "p", msg("m" + i));
            }
            Consumer[] c = new Consumer[1];
            BlockingQueue<Delivery> got = collect(List.of("p"), 1, c);
            take(got);
            assertThat(broker.purge("p")).isEqualTo(4);
            assertThat(broker.messageCount("p")).isZero();
            assertThat(broker.purge("never-declared")).isZero();
        }
    }

    @Nested
    class Delivering {
        @Test
        void fifo_within_a_priority_and_higher_priorities_first() throws InterruptedException {
            broker.publish("", "pq", msg("zero", 0));
            broker.publish("", "pq", msg("five-a", 5));
            broker.publish("", "pq", msg("nine", 9));
            broker.publish("", "pq", msg("none", null));
            broker.publish("", "pq", msg("five-b", 5));
            Consumer[] c = new Consumer[1];
            BlockingQueue<Delivery> got = collect(List.of("pq"), 0, c);
            List<String> order = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                order.add(body(take(got)));
            }
            assertThat(order).containsExactly("nine", "five-a", "five-b", "zero", "none");
        }

        @Test
        void a_queue_max_priority_caps_priorities() throws InterruptedException {
            broker.declareQueue(new QueueSpec("capped", null, null, true, 3, Map.of()));
            broker.publish("", "capped", msg("p9", 9));
            broker.publish("", "capped", msg("p3", 3));
            broker.publish("", "capped", msg("p1", 1));
            Consumer[] c = new Consumer[1];
            BlockingQueue<Delivery> got = collect(List.of("capped"), 0, c);
            assertThat(List.of(body(take(got)), body(take(got)), body(take(got)))).containsExactly("p9", "p3", "p1");
        }

        @Test
        void deliveries_carry_delivery_info_and_run_on_a_consumer_thread() throws InterruptedException {
            broker.declareQueue(QueueSpec.of("info"));
            broker.publish("info", "info", msg("x"));
            Set<String> threads = ConcurrentHashMap.newKeySet();
            BlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
            broker.consume(List.of("info"), 1, d -> {
                threads.add(Thread.currentThread().getName());
                got.add(d);
            });
            Delivery d = take(got);
            assertThat(d.queue()).isEqualTo("info");
            assertThat(d.exchange()).isEqualTo("info");
            assertThat(d.routingKey()).isEqualTo("info");
            assertThat(d.redelivered()).isFalse();
            assertThat(d.deliveryTag()).isNotBlank();
            assertThat(d.message()).isEqualTo(msg("x"));
            assertThat(threads).singleElement().asString().startsWith("celeriac-memory-consumer-")
                    .isNotEqualTo(Thread.currentThread().getName());
        }

        @Test
        void at_most_prefetch_deliveries_are_unsettled() throws InterruptedException {
            for (int i = 0; i < 10; i++) {
                broker.publish("", "pf", msg("m" + i));
            }
            Consumer[] c = new Consumer[1];
            BlockingQueue<Delivery> got = collect(List.of("pf"), 3, c);
            List<Delivery> first = List.of(take(got), take(got), take(got));
            assertThat(broker.messageCount("pf")).as("the fourth waits for a settle").isEqualTo(7);
            assertThat(got).isEmpty();
            c[0].ack(first.get(0));
            assertThat(body(take(got))).isEqualTo("m3");
            assertThat(broker.messageCount("pf")).isEqualTo(6);
            c[0].setPrefetch(0);
            assertThat(c[0].prefetch()).isZero();
            await().atMost(Duration.ofSeconds(5)).until(() -> broker.messageCount("pf") == 0);
        }

        @Test
        void several_queues_are_served_round_robin() throws InterruptedException {
            for (int i = 0; i < 4; i++) {
                broker.publish("", "rr1", msg("a" + i));
                broker.publish("", "rr2", msg("b" + i));
            }
            broker.publish("", "rr2", msg("b4"));
            Consumer[] c = new Consumer[1];
            BlockingQueue<Delivery> got = collect(List.of("rr1", "rr2"), 0, c);
            List<String> order = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                order.add(body(take(got)));
            }
            assertThat(order).containsExactly("a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3", "b4");
        }

        @Test
        void delayed_messages_come_when_due_and_are_not_counted_before() throws InterruptedException {
            Instant notBefore = Instant.now().plusMillis(300);
            broker.publish("", "later", msg("late"), new PublishOptions(notBefore, null));
            broker.publish("", "later", msg("now"));
            Consumer[] c = new Consumer[1];
            BlockingQueue<Delivery> got = collect(List.of("later"), 0, c);
            assertThat(body(take(got))).isEqualTo("now");
            Delivery late = take(got);
            assertThat(Instant.now()).isAfterOrEqualTo(notBefore);
            assertThat(body(late)).isEqualTo("late");
        }

        @Test
        void a_past_not_before_is_delivered_at_once() {
            broker.publish("", "past", msg("p"), new PublishOptions(Instant.now().minusSeconds(5), null));
            assertThat(broker.messageCount("past")).isEqualTo(1);
        }
    }

    @Nested
    class Settling {
        @Test
        void ack_forgets_and_a_second_ack_only_warns() throws InterruptedException {
            broker.publish("", "ack", msg("a"));
            Consumer[] c = new Consumer[1];
            BlockingQueue<Delivery> got = collect(List.of("ack"), 1, c);
            Delivery d = take(got);
            c[0].ack(d);
            try (LogCapture log = LogCapture.of(MemoryBroker.class)) {
                c[0].ack(d);
                assertThat(log.messages(Level.WARN)).singleElement().asString().contains("settled twice");
            }
            c[0].close();
            assertThat(broker.messageCount("ack")).isZero();
        }

        @Test
        void reject_with_requeue_redelivers_at_the_head_marked_redelivered() throws InterruptedException {
            broker.publish("", "rq", msg("first"));
            broker.publish("", "rq", msg("second"));
            Consumer[] c = new Consumer[1];
            BlockingQueue<Delivery> got = collect(List.of("rq"), 1, c);
            Delivery d = take(got);
            assertThat(body(d)).isEqualTo("first");
            c[0].reject(d, true);
            Delivery again = take(got);
            assertThat(body(again)).isEqualTo("first");
            assertThat(again.redelivered()).isTrue();
            assertThat(again.deliveryTag()).isNotEqualTo(d.deliveryTag());
        }

        @Test
        void reject_without_requeue_dead_letters() throws InterruptedException {
            broker.publish("", "dl", msg("bad"));
            Consumer[] c = new Consumer[1];
            BlockingQueue<Delivery> got = collect(List.of("dl"), 1, c);
            c[0].reject(take(got), false);
            assertThat(broker.deadLetters("dl")).containsExactly(msg("bad"));
            assertThat(broker.messageCount("dl")).isZero();
        }

        @Test
        void a_handler_that_throws_gets_the_message_requeued() throws InterruptedException {
            broker.publish("", "boom", msg("x"));
            AtomicInteger calls = new AtomicInteger();
            BlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
            broker.consume(List.of("boom"), 1, d -> {
                if (calls.incrementAndGet() == 1) {
                    throw new IllegalStateException("handler bug");
                }
                got.add(d);
            });
            Delivery d = take(got);
            assertThat(d.redelivered()).isTrue();
            assertThat(calls).hasValue(2);
        }

        @Test
        void close_gives_unsettled_deliveries_back_at_once() throws InterruptedException {
            for (int i = 0; i < 3; i++) {
                broker.publish("", "cl", msg("m" + i));
            }
            Consumer[] c = new Consumer[1];
            BlockingQueue<Delivery> got = collect(List.of("cl"), 2, c);
            Delivery d0 = take(got);
            take(got);
            c[0].close();
            c[0].close();
            assertThat(broker.messageCount("cl")).isEqualTo(3);
            assertThatThrownBy(() -> c[0].ack(d0)).isInstanceOf(BrokerException.class)
                    .hasMessageContaining("the consumer is closed");
            Consumer[] c2 = new Consumer[1];
            BlockingQueue<Delivery> got2 = collect(List.of("cl"), 0, c2);
            Delivery again = take(got2);
            assertThat(body(again)).isEqualTo("m0");
            assertThat(again.redelivered()).isTrue();
            assertThat(body(take(got2))).isEqualTo("m1");
            assertThat(take(got2).redelivered()).isFalse();
            assertThat(got).isEmpty();
        }

        @Test
        void a_crashed_consumer_s_deliveries_come_back_after_the_redelivery_timeout() throws InterruptedException {
            MemoryBroker b = open("redelivery_timeout=200ms");
            b.publish("", "crash", msg("c"));
            BlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
            Consumer dying = b.consume(List.of("crash"), 1, got::add);
            Delivery d = take(got);
            b.crash(dying);
            assertThat(b.messageCount("crash")).as("invisible until the timeout").isZero();
            assertThatThrownBy(() -> dying.ack(d)).isInstanceOf(BrokerException.class);
            BlockingQueue<Delivery> got2 = new LinkedBlockingQueue<>();
            b.consume(List.of("crash"), 1, got2::add);
            Delivery again = take(got2);
            assertThat(body(again)).isEqualTo("c");
            assertThat(again.redelivered()).isTrue();
            assertThatThrownBy(() -> b.crash(dying)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void closing_the_broker_closes_its_consumers_and_refuses_publishing() throws InterruptedException {
            MemoryBroker b = open(null);
            b.publish("", "bc", msg("x"));
            BlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
            Consumer c = b.consume(List.of("bc"), 1, got::add);
            Delivery d = take(got);
            b.close();
            assertThat(broker.messageCount("bc")).isEqualTo(1);
            assertThatThrownBy(() -> b.publish("", "bc", msg("y"))).isInstanceOf(BrokerException.class)
                    .hasMessageContaining("is closed");
            assertThatThrownBy(() -> c.ack(d)).isInstanceOf(BrokerException.class)
                    .hasMessageContaining("the consumer is closed");
        }

        @Test
        void transactional_publish_is_an_unsupported_capability() {
            assertThatThrownBy(() -> broker.publish("", "tx", msg("x"), new PublishOptions(null, new Object())))
                    .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("transactionalPublish");
        }
    }

    @Nested
    class Broadcast {
        @Test
        void every_current_subscriber_gets_broadcasts_on_its_own_thread() {
            broker.publishBroadcast("celeryev", "worker.heartbeat", msg("before"));
            List<String> a = new CopyOnWriteArrayList<>();
            List<String> b = new CopyOnWriteArrayList<>();
            Set<String> threads = ConcurrentHashMap.newKeySet();
            Subscription sa = broker.subscribeBroadcast("celeryev", (rk, m) -> {
                threads.add(Thread.currentThread().getName());
                a.add(rk + ":" + new String(m.body(), StandardCharsets.UTF_8));
            });
            Subscription sb = broker.subscribeBroadcast("celeryev", (rk, m) -> b.add(new String(m.body(), StandardCharsets.UTF_8)));
            broker.subscribeBroadcast("other", (rk, m) -> a.add("wrong exchange"));
            broker.publishBroadcast("celeryev", "task.sent", msg("one"));
            await().atMost(Duration.ofSeconds(5)).until(() -> a.size() == 1 && b.size() == 1);
            assertThat(a).containsExactly("task.sent:one");
            assertThat(threads).singleElement().asString().startsWith("celeriac-memory-broadcast-");
            sb.close();
            broker.publishBroadcast("celeryev", "task.sent", msg("two"));
            await().atMost(Duration.ofSeconds(5)).until(() -> a.size() == 2);
            assertThat(b).containsExactly("one");
            sa.close();
        }
    }

    @Nested
    class Concurrency {
        @Test
        void four_consumers_and_publishers_of_10000_messages_each_lose_and_duplicate_nothing() throws Exception {
            int publishers = 4;
            int perPublisher = 10_000;
            int total = publishers * perPublisher;
            Set<String> acked = ConcurrentHashMap.newKeySet();
            AtomicInteger duplicates = new AtomicInteger();
            AtomicInteger rejected = new AtomicInteger();
            List<Consumer> consumers = Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 4; i++) {
                Consumer[] self = new Consumer[1];
                self[0] = broker.consume(List.of("load"), 10, d -> {
                    String id = body(d);
                    if (!d.redelivered() && id.hashCode() % 13 == 0) {
                        rejected.incrementAndGet();
                        self[0].reject(d, true);
                        return;
                    }
                    if (!acked.add(id)) {
                        duplicates.incrementAndGet();
                    }
                    self[0].ack(d);
                });
                consumers.add(self[0]);
            }
            ExecutorService pool = Executors.newFixedThreadPool(publishers);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int p = 0; p < publishers; p++) {
                    int pp = p;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < perPublisher; i++) {
                            broker.publish("", "load", msg(pp + "-" + i));
                        }
                    }));
                }
                for (Future<?> f : done) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdown();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() + duplicates.get() >= total);
            consumers.forEach(Consumer::close);
            assertThat(duplicates).hasValue(0);
            assertThat(acked).hasSize(total);
            assertThat(rejected.get()).isPositive();
            assertThat(broker.messageCount("load")).isZero();
        }
    }
}
