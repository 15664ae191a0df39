package org.celeriac.transport.redis;

import java.util.Set;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerProvider;

/**
 * Provides {@link RedisBroker}s for {@code redis://}, {@code rediss://} and kombu's Sentinel URLs
 * ({@code sentinel://h1:26379;sentinel://h2:26379/0} with the {@code master_name} transport option). Reads
 * {@code broker_transport_options} (see {@link RedisTransportOptions}). Stateless and thread-safe.
 */
public final class RedisBrokerProvider implements BrokerProvider {
    /** The Maven coordinates of this module. */
    public static final String ARTIFACT = "org.celeriac:celeriac-transport-redis";

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("redis", "rediss", "sentinel");
    }

    @Override
    public String artifact() {
        return ARTIFACT;
    }

    @Override
    public Broker create(ConnectionUrl url, Settings settings, ProviderContext context) {
        RedisTransportOptions options;
        try {
            options = RedisTransportOptions.parse(settings.map("broker_transport_options"));
        } catch (IllegalArgumentException e) {
            throw new ProviderException("broker_url " + url + ": " + e.getMessage(), e);
        }
        RedisConnectionFactory.uri(url, options, null); // fails fast on a malformed URL
        return new RedisBroker(url, options, context.serializer("application/json"), clientName(context.nodeName()));
    }

    /**
     * The name the broker's connections give themselves: {@code celeriac-broker:<node name>:<8 hex digits>},
     * unique per broker, characters Redis refuses in a client name replaced by {@code _}.
     */
    static String clientName(String nodeName) {
        String node = nodeName == null ? "" : nodeName.replaceAll("[^\\x21-\\x7e]", "_");
        return "celeriac-broker:" + node + ":" + java.util.UUID.randomUUID().toString().substring(0, 8);
    }
}
