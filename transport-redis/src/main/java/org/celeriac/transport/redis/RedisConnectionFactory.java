package org.celeriac.transport.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import java.time.Duration;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;

/**
 * Turns a kombu Redis URL into a lettuce {@link RedisURI}: {@code redis://[user:password@]host[:port][/db]},
 * {@code rediss://} (TLS), and kombu's Sentinel form {@code sentinel://h1:26379;sentinel://h2:26379/db} with
 * the {@code master_name} transport option. Stateless.
 */
final class RedisConnectionFactory {
    private RedisConnectionFactory() {
    }

    static int db(ConnectionUrl url) {
        String path = url.path();
        if (path == null || path.isEmpty()) {
            return 0;
        }
        try {
            return Integer.parseInt(path.replace("/", "").trim());
        } catch (NumberFormatException e) {
            throw new ProviderException("broker_url " + url + ": the path '" + path
                    + "' is not a database number; use redis://host:6379/0");
        }
    }

    static RedisURI uri(ConnectionUrl url, String masterName) {
        int db = db(url);
        RedisURI.Builder b;
        switch (url.scheme()) {
            case "redis", "rediss" -> {
                ConnectionUrl.Host h = url.host("localhost", 6379);
                b = RedisURI.Builder.redis(h.host(), h.port()).withSsl(url.scheme().equals("rediss"));
            }
            case "sentinel" -> {
                if (masterName == null || masterName.isBlank()) {
                    throw new ProviderException("broker_url " + url + ": a Sentinel URL needs the master_name "
                            + "transport option, e.g. broker_transport_options = {\"master_name\": \"mymaster\"}");
                }
                if (url.hosts().isEmpty()) {
                    throw new ProviderException("broker_url " + url + ": no Sentinel host; use sentinel://host:26379");
                }
                ConnectionUrl.Host first = url.host("localhost", 26379);
                b = RedisURI.Builder.sentinel(first.host(), first.port(), masterName);
                for (int i = 1; i < url.hosts().size(); i++) {
                    ConnectionUrl.Host h = url.hosts().get(i);
                    b.withSentinel(h.host().isEmpty() ? "localhost" : h.host(), h.port() < 0 ? 26379 : h.port());
                }
            }
            default -> throw new ProviderException("broker_url " + url + ": scheme '" + url.scheme()
                    + "' is not served by celeriac-transport-redis (redis, rediss, sentinel)");
        }
        b.withDatabase(db);
        url.password().ifPresent(p -> {
            if (url.user().isPresent()) {
                b.withAuthentication(url.user().get(), p.toCharArray());
            } else {
                b.withPassword(p.toCharArray());
            }
        });
        b.withTimeout(Duration.ofSeconds(30));
        return b.build();
    }

    static ClientOptions clientOptions() {
        return ClientOptions.builder()
                .autoReconnect(true)
                .requestQueueSize(1_000_000)
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(10)).keepAlive(true).build())
                .build();
    }
}
