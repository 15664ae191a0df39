package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.celeriac.api.ApplyOptions;
import org.celeriac.core.Celeriac;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Garbage published raw (RabbitMQ Java client) into the queue a Celeriac worker process consumes over RabbitMQ, with
 * {@code broker_transport_options.dead_letter_exchange} configured: bodies that are not JSON or not UTF-8, a body
 * that is no task protocol, missing or wrong task headers, a bad eta, a content type that is not accepted. The
 * worker logs and rejects each one without requeue, so RabbitMQ dead-letters every one of them to the DLX; it keeps
 * consuming and the good task sent after them succeeds; nothing is left ready or unacknowledged. Private vhost.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmqpGarbageMessageTest {
    private static final String DLX = "it.garbage.dlx";
    private static final String DEAD = "it.garbage.dead";

    private final String queue = Interop.uniqueQueue("amqp-garbage");
    private String vhost;
    private AmqpInterop.Proc worker;
    private Celeriac app;
    private Connection raw;

    @BeforeAll
    void start() throws Exception {
        AmqpInterop.requireRabbit();
        Path dir = Files.createTempDirectory("amqp-garbage");
        vhost = AmqpInterop.createVhost("garbage");
        String url = AmqpInterop.url(vhost);
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(AmqpInterop.HOST);
        f.setPort(AmqpInterop.PORT);
        f.setVirtualHost(vhost);
        raw = f.newConnection("garbage-test");
        try (Channel ch = raw.createChannel()) {
            ch.exchangeDeclare(DLX, "fanout", true);
            ch.queueDeclare(DEAD, true, false, false, null);
            ch.queueBind(DEAD, DLX, "");
        }
        String options = "{\"dead_letter_exchange\": \"" + DLX + "\"}";
        worker = AmqpInterop.Proc.javaWorker(dir, "java-amqp-garbage", url, "rpc://", queue, 2,
                Map.of("CELERIAC_BROKER_TRANSPORT_OPTIONS", options)).awaitReady(Duration.ofSeconds(60));
        app = Celeriac.builder().set("broker_url", url).set("result_backend", "rpc://")
                .set("broker_transport_options", Map.of("dead_letter_exchange", DLX)).build();
    }

    @AfterAll
    void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (raw != null) {
            raw.close();
        }
        if (worker != null) {
            worker.close();
        }
        AmqpInterop.deleteVhost(vhost);
    }

    private static AMQP.BasicProperties props(String contentType, Map<String, Object> headers) {
        Object id = headers == null ? null : headers.get("id");
        return new AMQP.BasicProperties.Builder().contentType(contentType).contentEncoding("utf-8")
                .correlationId(id instanceof String s ? s : null).deliveryMode(2).headers(headers).build();
    }

    private static Map<String, Object> headers(Object... kv) {
        Map<String, Object> h = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            h.put((String) kv[i], kv[i + 1]);
        }
        return h;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void garbage_is_logged_and_dead_lettered_and_the_worker_keeps_consuming() throws Exception {
        byte[] good = utf8("[[1, 2], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]");
        List<Object[]> garbage = new ArrayList<>(List.of(
                new Object[] {props("application/json", headers("task", "tasks.add", "id", "garbage-not-json")),
                        utf8("this is not json")},
                new Object[] {props("application/json", headers("task", "tasks.add", "id", "garbage-not-utf8")),
                        new byte[] {(byte) 0xff, (byte) 0xfe, 0, (byte) 0x80, '{'}},
                new Object[] {props("application/json", headers("task", "tasks.add", "id", "garbage-wrong-protocol")),
                        utf8("\"just a string\"")},
                new Object[] {props("application/json", headers()), good},
                new Object[] {props("application/json", null), good},
                new Object[] {props("application/json", headers("task", "tasks.add")), good},
                new Object[] {props("application/json", headers("task", 123, "id", "garbage-task-not-a-string")), good},
                new Object[] {props("application/json", headers("task", "tasks.add", "id", "garbage-bad-eta",
                        "eta", "not a date")), good},
                new Object[] {props("application/x-python-serialize", headers("task", "tasks.add", "id",
                        "garbage-pickle")), new byte[] {(byte) 0x80, 4, 'K', '.'}},
                new Object[] {props(null, null), new byte[0]}));
        try (Channel ch = raw.createChannel()) {
            ch.confirmSelect();
            for (Object[] g : garbage) {
                ch.basicPublish("", queue, true, (AMQP.BasicProperties) g[0], (byte[]) g[1]);
            }
            ch.waitForConfirmsOrDie(10_000);
        }

        Object result = app.sendTask("tasks.add", List.of(1, 2), Map.of(), ApplyOptions.builder().queue(queue).build())
                .get(Duration.ofSeconds(30));

        assertThat(result).isEqualTo(3L);
        Awaitility.await("every garbage message dead-lettered, the task queue empty").atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    assertThat(AmqpInterop.queueCounts(vhost, queue)).as("ready, unacked in " + queue).containsExactly(0, 0);
                    assertThat(AmqpInterop.queueCounts(vhost, DEAD)[0]).as("dead-lettered to " + DLX)
                            .isEqualTo(garbage.size());
                });
        assertThat(worker.isAlive()).isTrue();
        String log = worker.log();
        for (String id : List.of("garbage-not-json", "garbage-wrong-protocol", "garbage-task-not-a-string",
                "garbage-bad-eta", "garbage-pickle")) {
            assertThat(log).as("the log names the rejected message %s", id).contains(id);
            assertThat(log).as("%s never ran", id).doesNotContain("[" + id + "] succeeded");
        }
        assertThat(log).as("only the good task ran").containsOnlyOnce("succeeded");
        long complaints = log.lines().filter(l -> l.contains("ERROR/") || l.contains("WARNING/")).count();
        assertThat(complaints).as("one error or warning per garbage message at least").isGreaterThanOrEqualTo(garbage.size());
    }
}
