package org.celeriac.backend.redis;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.Set;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendProvider;

/**
 * Provides {@link RedisResultBackend}s for {@code redis://[user:password@]host[:port][/db]} and {@code rediss://}.
 * Results expire after {@code result_expires} (default one day; 0 or None: never). Stateless and thread-safe.
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
        return Set.of("redis", "rediss");
    }

    @Override
    public String artifact() {
        return ARTIFACT;
    }

    @Override
    public ResultBackend create(ConnectionUrl url, Settings settings, ProviderContext context) {
        Duration expires;
        try {
            expires = settings.duration("result_expires", Duration.ofDays(1));
        } catch (IllegalArgumentException e) {
            throw new ProviderException("result_backend " + url + ": " + e.getMessage(), e);
        }
        return new RedisResultBackend(url, uri(url), expires, context.resultSerializer());
    }

    static RedisURI uri(ConnectionUrl url) {
        if (!url.scheme().equals("redis") && !url.scheme().equals("rediss")) {
            throw new ProviderException("result_backend " + url + ": scheme '" + url.scheme()
                    + "' is not served by " + ARTIFACT + " (redis, rediss)");
        }
        int db = 0;
        String path = url.path().replace("/", "").trim();
        if (!path.isEmpty()) {
            try {
                db = Integer.parseInt(path);
            } catch (NumberFormatException e) {
                throw new ProviderException("result_backend " + url + ": the path '" + url.path()
                        + "' is not a database number; use redis://host:6379/1");
            }
        }
        ConnectionUrl.Host h = url.host("localhost", 6379);
        RedisURI.Builder b = RedisURI.Builder.redis(h.host(), h.port()).withSsl(url.scheme().equals("rediss"))
                .withDatabase(db).withTimeout(Duration.ofSeconds(30));
        url.password().ifPresent(p -> {
            if (url.user().isPresent()) {
                b.withAuthentication(url.user().get(), p.toCharArray());
            } else {
                b.withPassword(p.toCharArray());
            }
        });
        return b.build();
    }
}
