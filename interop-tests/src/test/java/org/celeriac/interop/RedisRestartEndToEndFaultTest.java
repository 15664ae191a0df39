package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.core.Celeriac;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Celeriac worker process and a Celeriac client on a private {@code redis-server}, which is restarted on the same
 * port while they run: both reconnect by themselves, re-declare their queue bindings, and go on; nothing whose
 * publish was acknowledged is lost. Tagged {@code fault}: {@code mvn test -pl interop-tests -Dgroups=fault}.
 */
@Tag("fault")
class RedisRestartEndToEndFaultTest {
    private static final Map<String, String> WORKER_ENV = Map.of(
            "CELERIAC_BROKER_TRANSPORT_OPTIONS", "{\"visibility_timeout\": 5}");

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T t) {
        resources.add(t);
        return t;
    }

    private static AsyncResult<Object> add(Celeriac app, String queue, long a, long b) {
        return app.sendTask("tasks.add", List.of(a, b), Map.of(), ApplyOptions.builder().queue(queue).build());
    }

    @Test
    void worker_and_client_carry_on_after_a_restart_that_lost_everything() throws Exception {
        RedisRestartableServer redis = closeLater(RedisRestartableServer.start(dir));
        String url = redis.url(0);
        String queue = Interop.uniqueQueue("restart");
        Peer worker = closeLater(Peer.javaWorker(dir, "restart", url, queue, 2, WORKER_ENV))
                .awaitReady(Duration.ofSeconds(60));
        Celeriac app = closeLater(Celeriac.builder().set("broker_url", url).set("result_backend", url).build());
        for (long i = 0; i < 20; i++) {
            assertThat(add(app, queue, i, 1000).get(Duration.ofSeconds(30))).isEqualTo(i + 1000);
        }

        redis.stop(); // no persistence: the restarted server is empty — no queue, no binding, no script
        redis.restart();
        Instant restarted = Instant.now();

        RedisClient raw = RedisClient.create(url);
        resources.add(raw::shutdown);
        StatefulRedisConnection<String, String> conn = closeLater(raw.connect());
        Awaitility.await("the binding of " + queue + " re-declared after the restart")
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> conn.sync().smembers("_kombu.binding." + queue).size() == 1);

        List<AsyncResult<Object>> after = new ArrayList<>();
        for (long i = 0; i < 50; i++) {
            after.add(add(app, queue, i, 2000));
        }
        for (int i = 0; i < after.size(); i++) {
            assertThat(after.get(i).get(Duration.ofSeconds(60))).as("result of %s", after.get(i).id())
                    .isEqualTo(i + 2000L);
        }
        assertThat(worker.process().isAlive()).isTrue();
        assertThat(worker.log()).contains("re-declared");
        Awaitility.await("queue and unacked empty").atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(conn.sync().llen(queue)).isZero();
            assertThat(conn.sync().hlen("unacked")).isZero();
        });
        System.out.printf("after a restart without persistence, 50 new tasks done %s after it%n",
                Duration.between(restarted, Instant.now()));
    }

    @Test
    void nothing_acknowledged_is_lost_when_a_persistent_redis_is_killed_in_the_middle_of_a_batch() throws Exception {
        RedisRestartableServer redis = closeLater(RedisRestartableServer.start(dir, "--appendonly", "yes",
                "--appendfsync", "always"));
        String url = redis.url(0);
        String queue = Interop.uniqueQueue("restart-aof");
        Peer worker = closeLater(Peer.javaWorker(dir, "restart-aof", url, queue, 2, WORKER_ENV))
                .awaitReady(Duration.ofSeconds(60));
        Celeriac app = closeLater(Celeriac.builder().set("broker_url", url).set("result_backend", url).build());
        List<AsyncResult<Object>> results = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            results.add(app.sendTask("tasks.sleep", List.of(0.01), Map.of(), ApplyOptions.builder().queue(queue).build()));
        }
        RedisClient raw = RedisClient.create(url);
        resources.add(raw::shutdown);
        StatefulRedisConnection<String, String> conn = closeLater(raw.connect());
        // every message is in Redis (appendfsync always: on disk): queued, held in unacked, or done; at most
        // the worker's 2 running tasks are in none of these
        Awaitility.await("all 300 messages written to Redis").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> conn.sync().llen(queue) + conn.sync().hlen("unacked")
                        + Interop.succeededIds(worker.log(), "tasks.sleep").size() >= 298);
        Awaitility.await("the worker is in the middle of the batch").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> Interop.succeededIds(worker.log(), "tasks.sleep").size() >= 50);

        redis.kill(); // SIGKILL in the middle of the batch
        int doneBefore = Interop.succeededIds(worker.log(), "tasks.sleep").size();
        redis.restart();

        for (int i = 0; i < 50; i++) {
            results.add(app.sendTask("tasks.sleep", List.of(0.01), Map.of(), ApplyOptions.builder().queue(queue).build()));
        }
        for (AsyncResult<Object> r : results) {
            assertThat(r.get(Duration.ofSeconds(90))).as("result of %s", r.id()).isEqualTo(0.01);
        }
        assertThat(doneBefore).as("killed in the middle of the batch").isLessThan(300);
        assertThat(worker.process().isAlive()).isTrue();
        Awaitility.await("queue and unacked empty").atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(conn.sync().llen(queue)).isZero();
            assertThat(conn.sync().hlen("unacked")).isZero();
        });
        System.out.printf("350 tasks, Redis killed after %d were done: all 350 results are SUCCESS%n", doneBefore);
    }
}
