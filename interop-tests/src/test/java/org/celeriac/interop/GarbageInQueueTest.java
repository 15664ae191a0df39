package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.celeriac.api.ApplyOptions;
import org.celeriac.core.Celeriac;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage pushed raw ({@code LPUSH}) into the Redis lists a Celeriac worker consumes — not JSON, not UTF-8, JSON
 * that is no kombu envelope, a body that is not base64, missing or wrong task headers, a body that is not
 * protocol v2 or v1, a bad eta, a content type that is not accepted: the worker logs and drops each one, leaves
 * nothing in the queue or in {@code unacked} (so no restore brings it back), keeps running, and the good task
 * sent after them succeeds.
 *
 * <p>Redis database 14 is reserved for this class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GarbageInQueueTest {
    private static final int DB = 14;

    @TempDir
    static Path dir;

    private final String url = Interop.sharedRedis(DB);
    private final String queue = Interop.uniqueQueue("garbage");
    private Peer worker;
    private Celeriac app;
    private RedisClient redis;

    @BeforeAll
    void start() throws Exception {
        Interop.requireRedis();
        worker = Peer.javaWorker(dir, "java-garbage", url, queue, 2, Map.of()).awaitReady(Duration.ofSeconds(60));
        app = Celeriac.builder().set("broker_url", url).set("result_backend", url).build();
        redis = RedisClient.create(url);
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
        if (redis != null) {
            redis.shutdown();
        }
        if (worker != null) {
            worker.close();
            Interop.deleteKeys(url, List.of(queue));
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(utf8(s));
    }

    /** A kombu envelope around {@code body} (already base64), with the given headers and content type. */
    private byte[] envelope(String body, Map<String, Object> headers, String contentType) throws Exception {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("body", body);
        env.put("content-encoding", "utf-8");
        env.put("content-type", contentType);
        if (headers != null) {
            env.put("headers", headers);
        }
        Map<String, Object> props = new LinkedHashMap<>();
        if (headers != null && headers.get("id") != null) {
            props.put("correlation_id", headers.get("id")); // as Celery does; absent when the id is missing
        }
        props.putAll(Map.of("delivery_mode", 2, "priority", 0, "body_encoding", "base64",
                "delivery_tag", java.util.UUID.randomUUID().toString(),
                "delivery_info", Map.of("exchange", "", "routing_key", queue)));
        env.put("properties", props);
        return Interop.JSON.writeValueAsBytes(env);
    }

    private static Map<String, Object> headers(Object... kv) {
        Map<String, Object> h = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            h.put((String) kv[i], kv[i + 1]);
        }
        return h;
    }

    @Test
    void garbage_is_logged_and_dropped_and_the_worker_keeps_consuming() throws Exception {
        String goodBody = b64("[[1, 2], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]");
        List<byte[]> garbage = new ArrayList<>(List.of(
                utf8("this is not json"),
                new byte[0],
                new byte[] {(byte) 0xff, (byte) 0xfe, 0, (byte) 0x80, '{'},
                utf8("[1, 2, 3]"),
                utf8("{\"hello\": \"world\"}"),
                utf8("42"),
                utf8("null"),
                utf8("{\"body\": \"W1sxLCAy"), // truncated JSON
                envelope("!!! not base64 !!!", headers("task", "tasks.add", "id", "garbage-bad-base64"),
                        "application/json"),
                envelope(goodBody, headers(), "application/json"), // no task header, v2 body: neither v2 nor v1
                envelope(goodBody, null, "application/json"), // no headers at all
                envelope(goodBody, headers("task", "tasks.add"), "application/json"), // no id
                envelope(goodBody, headers("task", 123, "id", "garbage-task-not-a-string"), "application/json"),
                envelope(b64("this body is not json"), headers("task", "tasks.add", "id", "garbage-body-not-json"),
                        "application/json"),
                envelope(b64("\"just a string\""), headers("task", "tasks.add", "id", "garbage-wrong-protocol"),
                        "application/json"),
                envelope(b64("{\"args\": [1, 2]}"), headers(), "application/json"), // v1 body without task/id
                envelope(goodBody, headers("task", "tasks.add", "id", "garbage-bad-eta", "eta", "not a date"),
                        "application/json"),
                envelope(Base64.getEncoder().encodeToString(new byte[] {(byte) 0x80, 4, 'K', '.'}),
                        headers("task", "tasks.add", "id", "garbage-pickle"), "application/x-python-serialize")));
        try (StatefulRedisConnection<byte[], byte[]> raw = redis.connect(ByteArrayCodec.INSTANCE)) {
            for (byte[] g : garbage) {
                raw.sync().lpush(utf8(queue), g);
            }
            raw.sync().lpush(utf8(queue + "\u0006\u00163"), utf8("garbage in a priority list"));
        }

        Object good = app.sendTask("tasks.add", List.of(1, 2), Map.of(), ApplyOptions.builder().queue(queue).build())
                .get(Duration.ofSeconds(30));

        assertThat(good).isEqualTo(3L);
        try (StatefulRedisConnection<String, String> conn = redis.connect()) {
            Awaitility.await("queues and unacked empty").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                        assertThat(conn.sync().llen(queue)).as("left in the queue").isZero();
                        assertThat(conn.sync().llen(queue + "\u0006\u00163")).as("left in priority list 3").isZero();
                        assertThat(conn.sync().hlen("unacked")).as("left in unacked").isZero();
                        assertThat(conn.sync().zcard("unacked_index")).as("left in unacked_index").isZero();
                    });
        }
        assertThat(worker.process().isAlive()).isTrue();
        String log = worker.log();
        for (String id : List.of("garbage-task-not-a-string", "garbage-body-not-json", "garbage-wrong-protocol",
                "garbage-bad-eta", "garbage-pickle")) {
            assertThat(log).as("the log names the rejected message %s", id).contains(id);
            assertThat(log).as("%s never ran", id).doesNotContain("[" + id + "] succeeded");
        }
        assertThat(log).as("only the good task ran").containsOnlyOnce("succeeded");
        long complaints = log.lines().filter(l -> l.contains("ERROR/") || l.contains("WARNING/")).count();
        assertThat(complaints).as("one error or warning per garbage message at least")
                .isGreaterThanOrEqualTo(garbage.size() + 1);
    }
}
