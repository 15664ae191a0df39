package org.celeriac.transport.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link LeanRedisClient}'s connections build their synchronous API only when asked for, and it then works as
 * lettuce's own (one instance per connection); the asynchronous API is untouched.
 */
class LeanRedisClientTest {
    @BeforeAll
    static void redis() {
        RedisTestSupport.requireRedis();
    }

    @Test
    void theSyncApiIsBuiltOnFirstUseAndWorks() throws Exception {
        ClientResources resources = ClientResources.create();
        LeanRedisClient client = new LeanRedisClient(resources, RedisURI.create("redis://127.0.0.1:6379/0"));
        try (StatefulRedisConnection<String, byte[]> c = client.connect(RedisBroker.CODEC);
             StatefulRedisPubSubConnection<String, byte[]> ps = client.connectPubSub(RedisBroker.CODEC)) {
            assertThat(c.async().ping().get(5, TimeUnit.SECONDS)).isEqualTo("PONG");
            assertThat(c.sync()).isNotNull().isSameAs(c.sync());
            String key = "celeriac-test-lean-" + UUID.randomUUID();
            c.sync().setex(key, 10, new byte[] {1, 2});
            assertThat(c.sync().get(key)).containsExactly(1, 2);
            c.sync().del(key);
            assertThat(ps.sync()).isNotNull().isSameAs(ps.sync());
            assertThat(ps.sync().ping()).isEqualTo("PONG");
            assertThat(ps.async().publish("celeriac-test-lean", new byte[0]).get(5, TimeUnit.SECONDS)).isZero();
        } finally {
            client.shutdown();
            resources.shutdown();
        }
    }
}
