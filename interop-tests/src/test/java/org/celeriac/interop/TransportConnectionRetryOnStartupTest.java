package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.celeriac.api.ApplyOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.spi.broker.BrokerException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code broker_connection_retry_on_startup} (Celery 5.3) against a private {@code redis-server} that is down when
 * the worker or the client starts: with the default, both log Celery's "Cannot connect … Trying again" line and
 * connect once it is up; with it false the start fails at once; with {@code broker_connection_max_retries} reached it
 * fails saying so. Short retry intervals come from kombu's {@code interval_start}/{@code interval_step}
 * transport options.
 */
class TransportConnectionRetryOnStartupTest {
    private static final Map<String, Object> FAST = Map.of("interval_start", 0.2, "interval_step", 0.2,
            "interval_max", 1);

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

    private RedisRestartableServer downServer() throws Exception {
        RedisRestartableServer redis = closeLater(RedisRestartableServer.start(dir));
        redis.stop();
        return redis;
    }

    @Test
    void a_worker_and_a_client_started_while_redis_is_down_connect_when_it_comes_up() throws Exception {
        RedisRestartableServer redis = downServer();
        String url = redis.url(0);
        String queue = Interop.uniqueQueue("retry-startup");
        Peer worker = closeLater(Peer.javaWorker(dir, "retry", url, queue, 1,
                Map.of("CELERIAC_BROKER_TRANSPORT_OPTIONS", "{\"interval_start\": 0.2, \"interval_step\": 0.2}")));
        CompletableFuture<Celeriac> client = CompletableFuture.supplyAsync(() -> Celeriac.builder()
                .set("broker_url", url).set("result_backend", url).set("broker_transport_options", FAST).build());

        String expected = "consumer: Cannot connect to " + url + ": ";
        Awaitility.await("the worker's retry line").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .failFast("worker exited", () -> {
                    if (!worker.process().isAlive()) {
                        throw new AssertionError("worker exited:\n" + worker.log());
                    }
                })
                .until(() -> worker.log().contains(expected) && worker.log().contains("Trying again in 0.40 seconds... (2/100)"));
        assertThat(client).isNotDone();

        redis.restart();
        worker.awaitReady(Duration.ofSeconds(30));
        Celeriac app = closeLater(client.get(30, java.util.concurrent.TimeUnit.SECONDS));
        Object sum = app.sendTask("tasks.add", List.of(20, 22), Map.of(), ApplyOptions.builder().queue(queue).build())
                .get(Duration.ofSeconds(30));
        assertThat(sum).isEqualTo(42L);
        assertThat(worker.log()).contains("Connection refused");
    }

    @Test
    void with_retry_on_startup_off_the_start_fails_at_once_with_a_clear_error() throws Exception {
        RedisRestartableServer redis = downServer();
        long start = System.nanoTime();
        assertThatThrownBy(() -> Celeriac.builder().set("broker_url", redis.url(0).replace("//", "//:s3cret@"))
                .set("broker_connection_retry_on_startup", false).build())
                .isInstanceOf(BrokerException.class)
                .hasMessageContaining("cannot connect to the broker " + redis.url(0).replace("//", "//:***@"))
                .hasMessageContaining("broker_connection_retry_on_startup is false")
                .hasMessageNotContaining("s3cret");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void when_max_retries_are_spent_the_start_fails_saying_so() throws Exception {
        RedisRestartableServer redis = downServer();
        assertThatThrownBy(() -> Celeriac.builder().set("broker_url", redis.url(0))
                .set("broker_transport_options", FAST).set("broker_connection_max_retries", 2).build())
                .isInstanceOf(BrokerException.class)
                .hasMessageContaining("gave up connecting to the broker " + redis.url(0) + " after 2 retries")
                .hasMessageContaining("Connection refused");
    }
}
