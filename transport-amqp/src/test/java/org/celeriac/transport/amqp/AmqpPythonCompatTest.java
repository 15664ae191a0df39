package org.celeriac.transport.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.broker.QueueSpec;
import org.celeriac.spi.broker.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Against kombu 5.2.4 / py-amqp 5.1 (/usr/bin/python3) on a private vhost: the same topology declared from both
 * sides in both orders without PRECONDITION_FAILED, and header values written by each side read by the other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmqpPythonCompatTest {
    static final ObjectMapper MAPPER = new ObjectMapper();
    String vhost;
    AmqpBroker broker;

    @BeforeAll
    void setUp() {
        vhost = AmqpTestSupport.createVhost("pycompat");
        broker = AmqpTestSupport.open(vhost, Map.of());
    }

    @AfterAll
    void tearDown() {
        if (broker != null) {
            broker.close();
        }
        AmqpTestSupport.deleteVhost(vhost);
    }

    private String py(String body) {
        String code = "import json, kombu\n"
                + "from kombu import Connection, Exchange, Queue\n"
                + "conn = Connection(" + pyStr(AmqpTestSupport.url(vhost)) + ")\n"
                + "ch = conn.channel()\n" + body + "\nconn.release()\n";
        return AmqpTestSupport.python(code);
    }

    private static String pyStr(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** What Celery 5.2.6 declares for task_queues/default queue, via app.amqp (the real code path). */
    private String celeryDeclare(String queue, Integer maxPriority) {
        return AmqpTestSupport.python("from celery import Celery\n"
                + "app = Celery(broker=" + pyStr(AmqpTestSupport.url(vhost)) + ")\n"
                + "app.conf.task_default_queue = " + pyStr(queue) + "\n"
                + (maxPriority == null ? "" : "app.conf.task_queue_max_priority = " + maxPriority + "\n")
                + "with app.connection_for_write() as conn:\n"
                + "    q = app.amqp.queues[" + pyStr(queue) + "]\n"
                + "    q(conn.default_channel).declare()\n"
                + "    print(q.queue_arguments)\n");
    }

    /** Kombu's pidbox reply exchange ({@code reply.<namespace>.pidbox}, not durable), declared as Celery does. */
    private String kombuReplyExchange(String namespace) {
        return py("from kombu import pidbox\n"
                + "m = pidbox.Mailbox(" + pyStr(namespace) + ", type='fanout')\n"
                + "m.reply_exchange(ch).declare()\n"
                + "print(m.reply_exchange.name, m.reply_exchange.durable)");
    }

    /** A control client's reply queue as core's {@code Mailbox.replyQueue} specifies it. */
    private static QueueSpec replyQueue(String namespace, String oid) {
        String exchange = "reply." + namespace + ".pidbox";
        return new QueueSpec(oid + "." + exchange, exchange, oid, false, null,
                Map.of("x-message-ttl", 300_000, "x-expires", 10_000));
    }

    @Test
    void aJavaReplyQueueLeavesKombusReplyExchangeDeclarableByPython() {
        broker.declareQueue(replyQueue("ns1", "oid-1"));
        assertThat(kombuReplyExchange("ns1")).contains("reply.ns1.pidbox False");
    }

    @Test
    void aJavaReplyQueueBindsToKombusReplyExchangeDeclaredByPythonFirst() {
        assertThat(kombuReplyExchange("ns2")).contains("reply.ns2.pidbox False");
        broker.declareQueue(replyQueue("ns2", "oid-2"));
        broker.declareQueue(QueueSpec.of("compat.durable-exchange")); // a task queue: its exchange stays durable
        assertThat(py("from kombu import Exchange\n"
                + "Exchange('compat.durable-exchange', type='direct', durable=True)(ch).declare()\n"
                + "print('ok')")).contains("ok");
    }

    @Test
    void pythonThenJavaDeclareTheSameQueueWithoutPreconditionFailed() {
        celeryDeclare("compat.a", null);
        broker.declareQueue(QueueSpec.of("compat.a"));
        String args = celeryDeclare("compat.a", null);
        assertThat(args).isIn("None", "{}");
        String listed = AmqpTestSupport.rabbitmqctl("list_queues", "-p", vhost, "name", "durable", "auto_delete", "arguments");
        assertThat(listed).containsPattern("compat\\.a\\s+true\\s+false\\s+\\[\\]");
        String bindings = AmqpTestSupport.rabbitmqctl("list_bindings", "-p", vhost, "source_name", "destination_name", "routing_key");
        assertThat(bindings).containsPattern("compat\\.a\\s+compat\\.a\\s+compat\\.a");
    }

    @Test
    void javaThenPythonDeclareAPriorityQueueWithoutPreconditionFailed() {
        AmqpBroker prio = AmqpTestSupport.open(vhost, Map.of("task_queue_max_priority", 10));
        try {
            prio.declareQueue(QueueSpec.of("compat.prio"));
            assertThat(celeryDeclare("compat.prio", 10)).contains("'x-max-priority': 10");
            prio.declareQueue(QueueSpec.of("compat.prio"));
        } finally {
            prio.close();
        }
        String listed = AmqpTestSupport.rabbitmqctl("list_queues", "-p", vhost, "name", "arguments");
        assertThat(listed).containsPattern("compat\\.prio\\s+\\[\\{\"x-max-priority\",10\\}\\]");
        // and a mismatch is reported, not hidden
        assertThatThrownBy(() -> broker.declareQueue(QueueSpec.of("compat.prio")))
                .hasMessageContaining("PRECONDITION_FAILED").hasMessageContaining("x-max-priority");
        broker.declareQueue(QueueSpec.of("compat.after-error")); // the admin channel was reopened
    }

    /** Declares {@code queue} as Celery's kombu does, with {@code queueArguments} (Python literal); "ok" or "ERR ...". */
    private String kombuDeclare(String queue, String queueArguments) {
        return py("try:\n"
                + "    Queue(" + pyStr(queue) + ", Exchange(" + pyStr(queue) + ", 'direct'), routing_key=" + pyStr(queue)
                + ", queue_arguments=" + queueArguments + ")(ch).declare()\n"
                + "    print('ok')\n"
                + "except Exception as e:\n"
                + "    print('ERR', e)\n");
    }

    @Test
    void lazyQueueModeDeclaresTheArgumentWhichCeleryMustDeclareToo() throws Exception {
        AmqpBroker lazy = AmqpTestSupport.open(vhost, Map.of("broker_transport_options", Map.of("queue_mode", "lazy")));
        try {
            lazy.declareQueue(QueueSpec.of("compat.lazy"));
            String listed = AmqpTestSupport.rabbitmqctl("list_queues", "-p", vhost, "name", "arguments");
            assertThat(listed).containsPattern("compat\\.lazy\\s+\\[\\{\"x-queue-mode\",\"lazy\"\\}\\]");
            // messages flow through a lazy queue as through any other: confirmed publishes, then consumed in order
            int n = 50;
            List<java.util.concurrent.CompletableFuture<Void>> published = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                published.add(lazy.publish("", "compat.lazy", new Message(Map.of("id", "m" + i),
                        MessageProperties.builder().contentType("application/json").contentEncoding("utf-8").deliveryMode(2)
                                .build(), ("" + i).getBytes(StandardCharsets.UTF_8))));
            }
            java.util.concurrent.CompletableFuture.allOf(published.toArray(java.util.concurrent.CompletableFuture[]::new))
                    .get(10, TimeUnit.SECONDS);
            LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
            Consumer c = lazy.consume(List.of("compat.lazy"), 10, got::add);
            try {
                List<String> seen = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    Delivery d = got.poll(10, TimeUnit.SECONDS);
                    assertThat(d).as("message " + i).isNotNull();
                    seen.add(new String(d.message().body(), StandardCharsets.UTF_8));
                    c.ack(d);
                }
                assertThat(seen).containsExactlyElementsOf(java.util.stream.IntStream.range(0, n).mapToObj(Integer::toString).toList());
            } finally {
                c.close();
            }
            // Celery declaring the queue with the same argument is accepted; as Celery declares by default, refused
            assertThat(kombuDeclare("compat.lazy", "{'x-queue-mode': 'lazy'}")).isEqualTo("ok");
            assertThat(kombuDeclare("compat.lazy", "None")).contains("PRECONDITION_FAILED").contains("x-queue-mode");
            // and so is Celeriac without the option: why queue_mode is not the default
            assertThatThrownBy(() -> broker.declareQueue(QueueSpec.of("compat.lazy")))
                    .hasMessageContaining("PRECONDITION_FAILED").hasMessageContaining("x-queue-mode");
        } finally {
            lazy.close();
        }
    }

    @Test
    void pidboxAndEventExchangesMatchCelerysDeclarations() throws Exception {
        py("Exchange('celery.pidbox', 'fanout', durable=False, auto_delete=False)(ch).declare()\n"
                + "Exchange('celeryev', 'topic', durable=True)(ch).declare()\n");
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        try (Subscription a = broker.subscribeBroadcast("celery.pidbox", (rk, m) -> got.add("pidbox:" + new String(m.body(), StandardCharsets.UTF_8)));
             Subscription b = broker.subscribeBroadcast("celeryev", (rk, m) -> got.add("ev:" + rk))) {
            py("p = kombu.Producer(ch)\n"
                    + "p.publish({'method': 'ping'}, exchange='celery.pidbox', routing_key='', serializer='json')\n"
                    + "p.publish({'type': 'worker-heartbeat'}, exchange='celeryev', routing_key='worker.heartbeat', serializer='json')\n");
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String s = got.poll(10, TimeUnit.SECONDS);
                assertThat(s).as("broadcast " + i).isNotNull();
                seen.add(s);
            }
            assertThat(seen).containsExactlyInAnyOrder("pidbox:{\"method\": \"ping\"}", "ev:worker.heartbeat");
        }
        String ex = AmqpTestSupport.rabbitmqctl("list_exchanges", "-p", vhost, "name", "type", "durable");
        assertThat(ex).containsPattern("celery\\.pidbox\\s+fanout\\s+false").containsPattern("celeryev\\s+topic\\s+true");
    }

    @Test
    void headersWrittenByPyAmqpAreReadWithTheirValues() throws Exception {
        broker.declareQueue(QueueSpec.of("compat.hdr-in"));
        py("p = kombu.Producer(ch)\n"
                + "p.publish(b'[[2, 2], {}, {}]', routing_key='compat.hdr-in', content_type='application/json',"
                + " content_encoding='utf-8', correlation_id='abc', reply_to='r1', priority=3,"
                + " headers={'task': 'tasks.add', 'small': 7, 'neg': -7, 'big': 2**40, 'bigneg': -(2**40), 'none': None,"
                + " 'f': 1.5, 's': 'caf\\u00e9', 'flag': True, 'lst': [1, None, 'x'], 'timelimit': [None, 30],"
                + " 'dct': {'a': 1, 'b': {'c': None}}})\n");
        LinkedBlockingQueue<Delivery> in = new LinkedBlockingQueue<>();
        Consumer c = broker.consume(List.of("compat.hdr-in"), 1, in::add);
        try {
            Delivery d = in.poll(10, TimeUnit.SECONDS);
            assertThat(d).isNotNull();
            Map<String, Object> h = d.message().headers();
            assertThat(h.get("task")).isEqualTo("tasks.add");
            assertThat(h.get("small")).isEqualTo(7L);
            assertThat(h.get("neg")).isEqualTo(-7L);
            assertThat(h.get("big")).isEqualTo(1L << 40);
            assertThat(h.get("bigneg")).isEqualTo(-(1L << 40));
            assertThat(h).containsEntry("none", null);
            assertThat(h.get("f")).isEqualTo(1.5);
            assertThat(h.get("s")).isEqualTo("caf\u00e9");
            assertThat(h.get("flag")).isEqualTo(true);
            assertThat(h.get("lst")).isEqualTo(Arrays.asList(1L, null, "x"));
            assertThat(h.get("timelimit")).isEqualTo(Arrays.asList(null, 30L));
            Map<String, Object> inner = new LinkedHashMap<>();
            inner.put("c", null);
            assertThat(h.get("dct")).isEqualTo(Map.of("a", 1L, "b", inner));
            MessageProperties p = d.message().properties();
            assertThat(p.correlationId()).isEqualTo("abc");
            assertThat(p.replyTo()).isEqualTo("r1");
            assertThat(p.priority()).isEqualTo(3);
            assertThat(p.deliveryMode()).isEqualTo(2);
            assertThat(p.contentType()).isEqualTo("application/json");
            assertThat(d.exchange()).isEmpty();
            assertThat(d.routingKey()).isEqualTo("compat.hdr-in");
            c.ack(d);
        } finally {
            c.close();
        }
    }

    @Test
    void headersWrittenByCeleriacAreReadByKombu() throws Exception {
        broker.declareQueue(QueueSpec.of("compat.hdr-out"));
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("task", "tasks.add");
        h.put("retries", 0L);
        h.put("neg", -7L);
        h.put("big", 1L << 40);
        h.put("eta", null);
        h.put("timelimit", Arrays.asList(null, 30.5));
        h.put("nested", Map.of("k", List.of("v", 1L)));
        Message m = new Message(h, MessageProperties.builder().contentType("application/json").contentEncoding("utf-8")
                .correlationId("id-1").replyTo("oid").priority(0).deliveryMode(2).build(),
                "[[1], {}, {}]".getBytes(StandardCharsets.UTF_8));
        broker.publish("", "compat.hdr-out", m).get(10, TimeUnit.SECONDS);
        String out = py("q = Queue('compat.hdr-out', Exchange('compat.hdr-out'), 'compat.hdr-out')(ch)\n"
                + "msg = q.get(no_ack=True)\n"
                + "print(json.dumps({'headers': msg.headers, 'props': {k: v for k, v in msg.properties.items() if k != 'application_headers'}, "
                + "'payload': msg.decode()}))\n");
        JsonNode j = MAPPER.readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        assertThat(j.at("/headers/task").asText()).isEqualTo("tasks.add");
        assertThat(j.at("/headers/retries").asLong()).isZero();
        assertThat(j.at("/headers/neg").asLong()).isEqualTo(-7);
        assertThat(j.at("/headers/big").asLong()).isEqualTo(1L << 40);
        assertThat(j.at("/headers/eta").isNull()).isTrue();
        assertThat(j.at("/headers/timelimit").toString()).isEqualTo("[null,30.5]");
        assertThat(j.at("/headers/nested/k").toString()).isEqualTo("[\"v\",1]");
        assertThat(j.at("/props/correlation_id").asText()).isEqualTo("id-1");
        assertThat(j.at("/props/reply_to").asText()).isEqualTo("oid");
        assertThat(j.at("/props/delivery_mode").asInt()).isEqualTo(2);
        assertThat(j.at("/payload").toString()).isEqualTo("[[1],{},{}]");
    }

    @Test
    void aPublishToAMissingQueueFailsNamingExchangeAndRoutingKey() {
        assertThatThrownBy(() -> broker.publish("", "compat.nowhere", new Message(Map.of("id", "x"), null, new byte[] {1}))
                .get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(org.celeriac.spi.broker.BrokerException.class)
                .cause().hasMessageContaining("unroutable").hasMessageContaining("exchange ''")
                .hasMessageContaining("routing key 'compat.nowhere'");
        // a routable publish right after still completes (the return matched the right publish)
        broker.declareQueue(QueueSpec.of("compat.somewhere"));
        org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> broker.publish("", "compat.somewhere",
                new Message(Map.of("id", "y"), null, new byte[] {1})).get(10, TimeUnit.SECONDS));
        assertThat(broker.messageCount("compat.somewhere")).isEqualTo(1);
        assertThat(Duration.ofSeconds(1)).isPositive();
    }
}
