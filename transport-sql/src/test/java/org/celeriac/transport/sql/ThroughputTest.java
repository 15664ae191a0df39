package org.celeriac.transport.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures (prints, does not assert a rate) publish and drain of 20,000 task-sized messages, one subclass
 * per database. Each run uses a queue of its own, so a shared database is fine.
 */
abstract class ThroughputTest {

    /** The JDBC URL; may skip (or fail on CI) when the server is down. */
    protected abstract String url(Path dir);

    /** The name printed with the figures. */
    protected abstract String name();

    @Test
    void publishesAndDrainsTwentyThousandMessages(@TempDir Path dir) {
        String queue = "throughput-" + java.util.UUID.randomUUID();
        int n = 20_000;
        byte[] body = "[[4, 4], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        MessageProperties props = MessageProperties.builder().contentType("application/json").contentEncoding("utf-8")
                .deliveryMode(2).priority(0).replyTo("reply").build();
        try (Broker broker = TestSupport.open(url(dir), Map.of())) {
            long t0 = System.nanoTime();
            CompletableFuture<?>[] sent = new CompletableFuture<?>[n];
            for (int i = 0; i < n; i++) {
                Map<String, Object> headers = Map.of("lang", "py", "task", "tasks.add", "id", "id-" + i,
                        "root_id", "id-" + i, "retries", 0L, "argsrepr", "(4, 4)", "kwargsrepr", "{}",
                        "origin", "gen1@host");
                sent[i] = broker.publish("", queue, new Message(headers, props.toBuilder()
                        .correlationId("id-" + i).build(), body));
            }
            long handedOver = System.nanoTime();
            CompletableFuture.allOf(sent).join();
            long t1 = System.nanoTime();
            assertThat(broker.messageCount(queue)).isEqualTo(n);

            AtomicInteger got = new AtomicInteger();
            CompletableFuture<Consumer> ref = new CompletableFuture<>(); // the handler may run before consume() returns
            long t2 = System.nanoTime();
            try (Consumer c = broker.consume(List.of(queue), 100, d -> {
                got.incrementAndGet();
                ref.join().ack(d);
            })) {
                ref.complete(c);
                await().atMost(Duration.ofSeconds(120)).until(() -> got.get() >= n);
            }
            long t3 = System.nanoTime();
            assertThat(broker.messageCount(queue)).isZero();
            System.out.printf("SQL transport on " + name() + ": published %d in %d ms (%.0f msg/s; publish() calls took %d ms), "
                            + "drained in %d ms (%.0f msg/s, prefetch 100, ack per message)%n", n,
                    (t1 - t0) / 1_000_000, n / ((t1 - t0) / 1e9), (handedOver - t0) / 1_000_000,
                    (t3 - t2) / 1_000_000, n / ((t3 - t2) / 1e9));
        }
    }
}
