package org.celeriac.backend.redis;

import io.lettuce.core.RedisChannelWriter;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StatefulRedisConnectionImpl;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.protocol.PushHandler;
import io.lettuce.core.pubsub.PubSubEndpoint;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnectionImpl;
import io.lettuce.core.pubsub.api.sync.RedisPubSubCommands;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;

/**
 * A {@link RedisClient} whose connections build their synchronous API when it is first asked for. lettuce builds it
 * in every connection's constructor ({@code StatefulRedisConnectionImpl.newRedisSyncCommandsImpl}): a
 * {@link java.lang.reflect.Proxy} and a map from each method of {@code RedisCommands} to its asynchronous twin, about
 * a thousand {@link java.lang.reflect.Method} objects per connection, kept for its life — for an API this backend
 * never calls (it uses {@code async()} only). The same class as transport-redis's (each module stands alone):
 * docs/performance.md, session 5, has the figures. {@code sync()} still works. Thread-safe.
 */
final class LeanRedisClient extends RedisClient {
    LeanRedisClient(ClientResources resources, RedisURI uri) {
        super(resources, uri);
    }

    @Override
    protected <K, V> StatefulRedisConnectionImpl<K, V> newStatefulRedisConnection(RedisChannelWriter writer,
            PushHandler pushHandler, RedisCodec<K, V> codec, Duration timeout) {
        return new StatefulRedisConnectionImpl<>(writer, pushHandler, codec, timeout, getOptions().getJsonParser()) {
            private RedisCommands<K, V> lazySync;

            @Override
            protected RedisCommands<K, V> newRedisSyncCommandsImpl() {
                return null; // see sync()
            }

            @Override
            public synchronized RedisCommands<K, V> sync() {
                return lazySync != null ? lazySync : (lazySync = super.newRedisSyncCommandsImpl());
            }
        };
    }

    @Override
    protected <K, V> StatefulRedisPubSubConnectionImpl<K, V> newStatefulRedisPubSubConnection(
            PubSubEndpoint<K, V> endpoint, RedisChannelWriter writer, RedisCodec<K, V> codec, Duration timeout) {
        return new StatefulRedisPubSubConnectionImpl<>(endpoint, writer, codec, timeout) {
            private RedisPubSubCommands<K, V> lazySync;

            @Override
            protected RedisPubSubCommands<K, V> newRedisSyncCommandsImpl() {
                return null; // see sync()
            }

            @Override
            public synchronized RedisPubSubCommands<K, V> sync() {
                return lazySync != null ? lazySync : (lazySync = super.newRedisSyncCommandsImpl());
            }
        };
    }
}
