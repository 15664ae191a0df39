package org.celeriac.transport.amqp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.broker.QueueSpec;

/**
 * Not a test: measures confirmed publishes from one thread (counted until every confirm arrived) and drain
 * (consume + ack) of one consumer, on a private vhost. Run with
 * {@code java -cp <test classpath> org.celeriac.transport.amqp.AmqpThroughput [n] [prefetch]}.
 */
public final class AmqpThroughput {
    private AmqpThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int prefetch = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        String vhost = AmqpTestSupport.createVhost("bench");
        try (AmqpBroker broker = AmqpTestSupport.open(vhost, Map.of())) {
            broker.declareQueue(QueueSpec.of("bench"));
            byte[] body = "[[2, 2], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]"
                    .getBytes(StandardCharsets.UTF_8);
            long t0 = System.nanoTime();
            List<CompletableFuture<Void>> fs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String id = "00000000-0000-0000-0000-" + String.format("%012d", i);
                Message m = new Message(Map.of("lang", "py", "task", "tasks.noop", "id", id, "retries", 0L),
                        MessageProperties.builder().contentType("application/json").contentEncoding("utf-8")
                                .correlationId(id).deliveryMode(2).priority(0).build(), body);
                fs.add(broker.publish("", "bench", m));
            }
            double written = n / ((System.nanoTime() - t0) / 1e9);
            CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            double pub = n / ((System.nanoTime() - t0) / 1e9);
            System.out.printf("written %.0f/s, confirmed %.0f/s%n", written, pub);
            CountDownLatch done = new CountDownLatch(n);
            long t1 = System.nanoTime();
            // deliveries may arrive before consume() returns: the handler waits for the consumer it acks on
            CompletableFuture<Consumer> c = new CompletableFuture<>();
            c.complete(broker.consume(List.of("bench"), prefetch, d -> {
                c.join().ack(d);
                done.countDown();
            }));
            done.await(120, TimeUnit.SECONDS);
            double drain = n / ((System.nanoTime() - t1) / 1e9);
            c.join().close();
            System.out.printf("messages %d: confirmed publishes %.0f/s (one thread); drained %.0f/s (consume+ack, prefetch %d)%n",
                    n, pub, drain, prefetch);
        } finally {
            AmqpTestSupport.deleteVhost(vhost);
        }
    }
}
