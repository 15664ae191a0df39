package org.celeriac.backend.redis;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendProvider;

/**
 * Provides {@link RedisResultBackend}s for {@code redis://[user:password@]host[:port][/db]}, {@code rediss://} and
 * Celery's Sentinel form {@code sentinel://h1:26379/0;sentinel://h2:26379/0} with
 * {@code result_backend_transport_options = {"master_name": ...}}. Results expire after {@code result_expires}
 * (default one day; 0 or None: never); the connection settings are in {@link RedisBackendOptions}. Stateless and
 * thread-safe.
 */
public final class RedisResultBackendProvider implements ResultBackendProvider {
    /** The Maven coordinates of this module. */
    public static final String ARTIFACT = "org.celeriac:celeriac-backend-redis";

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
    public ResultBackend create(ConnectionUrl url, Settings settings, ProviderContext context) {
        Duration expires;
        RedisBackendOptions options;
        try {
            expires = settings.duration("result_expires", Duration.ofDays(1));
            options = RedisBackendOptions.from(settings);
        } catch (IllegalArgumentException e) {
            throw new ProviderException("result_backend " + url + ": " + e.getMessage(), e);
        }
        String node = context.nodeName() == null ? "" : context.nodeName().replaceAll("[^\\x21-\\x7e]", "_");
        String clientName = "celeriac-backend:" + node + ":" + UUID.randomUUID().toString().substring(0, 8);
        return new RedisResultBackend(url, options.uri(url, clientName), expires, context.resultSerializer(), options);
    }

    /** The lettuce URI of a {@code redis://} or {@code rediss://} URL with the default options. */
    static RedisURI uri(ConnectionUrl url) {
        return RedisBackendOptions.defaults().uri(url, null);
    }
}
