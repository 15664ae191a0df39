package org.celeriac.transport.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.RedisCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;

/**
 * Turns a kombu Redis URL into a lettuce {@link RedisURI}: {@code redis://[user:password@]host[:port][/db]},
 * {@code rediss://} (TLS), and kombu's Sentinel form {@code sentinel://h1:26379;sentinel://h2:26379/db} with
 * the {@code master_name} transport option (Celery's result-backend form, a db on every part —
 * {@code sentinel://h1:26379/3;sentinel://h2:26379/3} — works too: {@link ConnectionUrl} reads it, the first
 * part that names a db or a password giving it). Builds the lettuce client options from the socket transport options. Stateless.
 */
final class RedisConnectionFactory {
    /** Blocking commands: their timeout is their own wait plus the command timeout. */
    private static final Set<ProtocolKeyword> BLOCKING = Set.of(CommandType.BLMOVE, CommandType.BRPOPLPUSH,
            CommandType.BRPOP, CommandType.BLPOP, CommandType.BLMPOP, CommandType.BZPOPMIN, CommandType.BZPOPMAX);

    private RedisConnectionFactory() {
    }

    static int db(ConnectionUrl url) {
        String path = url.path();
        if (path != null && !path.replace("/", "").isBlank()) {
            try {
                return Integer.parseInt(path.replace("/", "").trim());
            } catch (NumberFormatException e) {
                throw new ProviderException("broker_url " + url + ": the path '" + path
                        + "' is not a database number; use redis://host:6379/0");
            }
        }
        return 0;
    }

    static RedisURI uri(ConnectionUrl url, RedisTransportOptions options, String clientName) {
        int db = db(url);
        RedisURI.Builder b;
        switch (url.scheme()) {
            case "redis", "rediss" -> {
                ConnectionUrl.Host h = url.host("localhost", 6379);
                b = RedisURI.Builder.redis(h.host(), h.port()).withSsl(url.scheme().equals("rediss"));
            }
            case "sentinel" -> {
                String masterName = options.masterName();
                if (masterName == null || masterName.isBlank()) {
                    throw new ProviderException(url + ": a Sentinel URL needs the master_name transport option, "
                            + "e.g. broker_transport_options = {\"master_name\": \"mymaster\"} (for a result backend: "
                            + "result_backend_transport_options)");
                }
                List<ConnectionUrl.Host> sentinels = new ArrayList<>();
                for (ConnectionUrl.Host h : url.hosts()) {
                    sentinels.add(new ConnectionUrl.Host(h.host().isEmpty() ? "localhost" : h.host(),
                            h.port() < 0 ? 26379 : h.port()));
                }
                if (sentinels.isEmpty()) {
                    throw new ProviderException(url + ": no Sentinel host; use sentinel://host:26379");
                }
                String sp = options.sentinelPassword();
                ConnectionUrl.Host first = sentinels.get(0);
                b = sp != null ? RedisURI.Builder.sentinel(first.host(), first.port(), masterName, sp)
                        : RedisURI.Builder.sentinel(first.host(), first.port(), masterName);
                for (ConnectionUrl.Host h : sentinels.subList(1, sentinels.size())) {
                    if (sp != null) {
                        b.withSentinel(h.host(), h.port(), sp);
                    } else {
                        b.withSentinel(h.host(), h.port());
                    }
                }
            }
            default -> throw new ProviderException(url + ": scheme '" + url.scheme()
                    + "' is not served by celeriac-transport-redis (redis, rediss, sentinel)");
        }
        b.withDatabase(db);
        ConnectionUrl cred = url;
        cred.password().ifPresent(p -> {
            if (cred.user().isPresent()) {
                b.withAuthentication(cred.user().get(), p.toCharArray());
            } else {
                b.withPassword(p.toCharArray());
            }
        });
        b.withTimeout(options.commandTimeout());
        if (clientName != null) {
            b.withClientName(clientName);
        }
        return b.build();
    }

    /**
     * lettuce's options: reconnect by itself, buffer up to 1,000,000 commands while disconnected,
     * {@code socket_connect_timeout}, {@code socket_keepalive}, and {@code socket_timeout} as the command
     * timeout — blocking commands get their own wait on top of it.
     */
    static ClientOptions clientOptions(RedisTransportOptions options) {
        long timeoutNanos = options.commandTimeout().toNanos();
        TimeoutOptions timeouts = TimeoutOptions.builder().timeoutCommands().timeoutSource(new TimeoutOptions.TimeoutSource() {
            @Override
            public long getTimeout(RedisCommand<?, ?, ?> command) {
                if (BLOCKING.contains(command.getType())) {
                    return timeoutNanos + TimeUnit.SECONDS.toNanos(RedisConsumer.PEEK_TIMEOUT_SECONDS);
                }
                return timeoutNanos;
            }

            @Override
            public TimeUnit getTimeUnit() {
                return TimeUnit.NANOSECONDS;
            }
        }).build();
        return ClientOptions.builder()
                .autoReconnect(true)
                .requestQueueSize(1_000_000)
                .timeoutOptions(timeouts)
                .socketOptions(SocketOptions.builder().connectTimeout(options.connectTimeout())
                        .keepAlive(options.socketKeepalive()).build())
                .build();
    }

    static Duration awaitTimeout(RedisTransportOptions options) {
        return options.commandTimeout().plusSeconds(1);
    }
}
