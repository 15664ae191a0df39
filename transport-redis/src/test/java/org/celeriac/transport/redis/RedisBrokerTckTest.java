package org.celeriac.transport.redis;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.tck.BrokerTck;
import org.celeriac.tck.TckProviders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The broker TCK against the Redis transport on the shared server: a key prefix of its own, a 2 s
 * visibility timeout so the crash rule runs (kombu restores a dead consumer's messages after it).
 */
class RedisBrokerTckTest extends BrokerTck {
    private static final String URL = "redis://127.0.0.1:6379/0";
    private final String prefix = "tck-" + UUID.randomUUID() + ":";

    @BeforeAll
    static void redisIsUp() {
        RedisTestSupport.requireRedis();
    }

    @Override
    protected Broker createBroker() {
        Settings settings = Settings.of(Map.of("broker_transport_options",
                Map.of("global_keyprefix", prefix, "visibility_timeout", 2)));
        return new RedisBrokerProvider().create(ConnectionUrl.parse(URL), settings, TckProviders.context(settings));
    }

    @Override
    protected void crashConsumer(Broker broker, Consumer consumer) {
        ((RedisConsumer) consumer).crash();
    }

    @Override
    protected Duration maxRedeliveryWait() {
        return Duration.ofSeconds(15);
    }

    @AfterAll
    void deleteKeys() {
        RedisTestSupport.deleteKeys(URL, prefix);
    }
}
