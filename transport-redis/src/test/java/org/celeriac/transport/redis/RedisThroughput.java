package org.celeriac.transport.redis;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;

/**
 * Prints a publish rate (one thread, until Redis holds all N) and a drain rate (one consumer, ack at once).
 * Not a test: run with {@code java -cp <test classpath> org.celeriac.transport.redis.RedisThroughput [n] [prefetch]}.
 */
public final class RedisThroughput {
    private RedisThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int prefetch = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        String prefix = "celeriac-bench-" + UUID.randomUUID() + ":";
        String q = "bench";
        Settings s = Settings.of(Map.of("broker_transport_options", Map.of("global_keyprefix", prefix)));
        try (Broker b = new RedisBrokerProvider().create(ConnectionUrl.parse("redis://127.0.0.1:6379/0"), s,
                org.celeriac.tck.TckProviders.context(s))) {
            for (int round = 0; round < 2; round++) {
                long t0 = System.nanoTime();
                CompletableFuture<Void> last = null;
                for (int i = 0; i < n; i++) {
                    last = b.publish("", q, RedisBrokerTest.msg(Integer.toString(i), 0));
                }
                last.get(60, TimeUnit.SECONDS);
                long t1 = System.nanoTime();
                System.out.printf("round %d: published %d in %.1f ms = %.0f msg/s (queue %d)%n", round, n,
                        (t1 - t0) / 1e6, n / ((t1 - t0) / 1e9), b.messageCount(q));
                CountDownLatch done = new CountDownLatch(n);
                Consumer[] c = new Consumer[1];
                long t2 = System.nanoTime();
                c[0] = b.consume(List.of(q), prefetch, d -> {
                    c[0].ack(d);
                    done.countDown();
                });
                done.await(120, TimeUnit.SECONDS);
                long t3 = System.nanoTime();
                System.out.printf("round %d: drained %d in %.1f ms = %.0f msg/s (prefetch %d)%n", round, n,
                        (t3 - t2) / 1e6, n / ((t3 - t2) / 1e9), prefetch);
                c[0].close();
            }
        } finally {
            RedisTestSupport.deleteKeys("redis://127.0.0.1:6379/0", prefix);
        }
    }
}
