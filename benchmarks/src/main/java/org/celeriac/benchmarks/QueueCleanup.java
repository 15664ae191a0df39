package org.celeriac.benchmarks;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import org.celeriac.spi.ConnectionUrl;

/**
 * Removes a benchmark queue after its purge, where the SPI cannot (it has no queue deletion): on Redis
 * kombu's priority lists and the {@code _kombu.binding.<queue>} set (default {@code broker_transport_options}:
 * no key prefix, the {@code \x06\x16} separator, steps 3, 6, 9); on RabbitMQ the queue and the direct exchange
 * of the same name that Celery's routing declares. Nothing else is touched; other schemes (SQL: the purged
 * queue is one row) are left alone. Blocking; not for concurrent use on one queue.
 */
final class QueueCleanup {
    private static final String SEP = "\u0006\u0016";

    private QueueCleanup() {
    }

    /**
     * Deletes the queue's keys or objects.
     *
     * @param brokerUrl the broker URL; null (the embedded default) does nothing
     * @throws RuntimeException when the broker refuses or cannot be reached
     */
    static void delete(String brokerUrl, String queue) throws Exception {
        if (brokerUrl == null) {
            return;
        }
        switch (ConnectionUrl.parse(brokerUrl).scheme()) {
            case "redis", "rediss" -> redis(brokerUrl, queue);
            case "amqp", "amqps", "pyamqp" -> amqp(brokerUrl, queue);
            default -> {
            }
        }
    }

    private static void redis(String url, String queue) {
        RedisClient client = RedisClient.create(RedisURI.create(url));
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            c.setTimeout(Duration.ofSeconds(10));
            c.sync().del(queue, queue + SEP + "3", queue + SEP + "6", queue + SEP + "9", "_kombu.binding." + queue);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static void amqp(String url, String queue) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        // kombu's URL: the path is the virtual host, "//" meaning "/"; amqp-client wants it URL-encoded.
        String u = url.replaceFirst("^pyamqp://", "amqp://");
        if (u.endsWith("//")) {
            u = u.substring(0, u.length() - 2) + "/%2F";
        }
        f.setUri(u);
        try (Connection c = f.newConnection("celeriac-bench-cleanup"); Channel ch = c.createChannel()) {
            ch.queueDelete(queue);
            ch.exchangeDelete(queue);
        }
    }
}
