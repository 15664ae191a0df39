package org.celeriac.backend.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection settings of Celery 5.2.6's Redis result backend ({@code celery/backends/redis.py
 * RedisBackend.__init__} and {@code SentinelBackend}), read from Celery's settings and
 * {@code result_backend_transport_options}. Immutable and thread-safe.
 *
 * @param masterName {@code result_backend_transport_options.master_name}, for {@code sentinel://} URLs; nullable
 * @param sentinelPassword {@code result_backend_transport_options.sentinel_kwargs.password}: authenticates to
 *        the Sentinels (the URL's password authenticates to the master); nullable
 * @param socketTimeout {@code redis_socket_timeout}: how long a command may wait for its reply; null (Celery's
 *        default, "no timeout") means 30 s here
 * @param connectTimeout {@code redis_socket_connect_timeout}; null means 10 s
 * @param socketKeepalive {@code redis_socket_keepalive} (default true here; redis-py leaves it off)
 * @param healthCheckInterval {@code redis_backend_health_check_interval}: a {@code PING} on the command and
 *        pub/sub connections this often; zero (Celery's default, None) disables
 */
public record RedisBackendOptions(String masterName, String sentinelPassword, Duration socketTimeout,
                                  Duration connectTimeout, boolean socketKeepalive, Duration healthCheckInterval) {
    private static final Logger LOG = LoggerFactory.getLogger(RedisBackendOptions.class);
    private static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
    /** {@code result_backend_transport_options} keys honoured here. */
    private static final Set<String> SUPPORTED = Set.of("master_name", "sentinel_kwargs");

    /** Celery's defaults: no Sentinel, no timeouts (30 s / 10 s here), no health check. */
    public static RedisBackendOptions defaults() {
        return new RedisBackendOptions(null, null, null, null, true, Duration.ZERO);
    }

    /**
     * Reads the options from {@code settings}. Options that are not honoured are logged at WARN once per process
     * and name (see {@link #problems}).
     *
     * @throws IllegalArgumentException naming the setting when a value is invalid
     */
    public static RedisBackendOptions from(Settings settings) {
        Map<String, Object> t = settings.map("result_backend_transport_options");
        problems(settings).forEach((name, why) -> {
            if (WARNED.add(name)) {
                LOG.warn("{}: {}", name, why);
            }
        });
        String password = null;
        Object kw = t.get("sentinel_kwargs");
        if (kw instanceof Map<?, ?> m && m.get("password") != null) {
            password = String.valueOf(m.get("password"));
        } else if (kw != null && !(kw instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("result_backend_transport_options.sentinel_kwargs must be a map such as "
                    + "{\"password\": \"...\"}");
        }
        Duration health = settings.duration("redis_backend_health_check_interval", Duration.ZERO);
        return new RedisBackendOptions(t.get("master_name") == null ? null : String.valueOf(t.get("master_name")),
                password, positive(settings, "redis_socket_timeout"), positive(settings, "redis_socket_connect_timeout"),
                settings.bool("redis_socket_keepalive", true),
                health == null || health.isNegative() ? Duration.ZERO : health);
    }

    /**
     * The settings that are set but not honoured, each with the reason: {@code result_backend_transport_options}
     * keys other than {@code master_name} and {@code sentinel_kwargs.password} ({@code global_keyprefix} included:
     * Celery 5.2.6's Redis backend does not read it either, so keys stay where Python clients look), and
     * {@code redis_retry_on_timeout}.
     *
     * @return setting name → why it is ignored; empty when everything is honoured
     */
    public static Map<String, String> problems(Settings settings) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : settings.map("result_backend_transport_options").entrySet()) {
            String k = e.getKey();
            String name = "result_backend_transport_options." + k;
            switch (k) {
                case "global_keyprefix" -> out.put(name, "ignored, as by Celery 5.2.6's Redis backend (it arrived in "
                        + "Celery 5.3): results stay under celery-task-meta-<id>, where Python 5.2 clients look");
                case "retry_policy" -> out.put(name, "not supported, ignored: the backend reconnects by itself and "
                        + "re-sends buffered commands; a command fails after redis_socket_timeout");
                case "result_chord_ordered" -> {
                    if (!Boolean.TRUE.equals(e.getValue()) && !"true".equalsIgnoreCase(String.valueOf(e.getValue()))) {
                        out.put(name, "only the ordered join is supported; ignored");
                    }
                }
                case "min_other_sentinels" -> out.put(name, "not supported, ignored: the master address of the first "
                        + "Sentinel that answers is used");
                case "sentinel_kwargs" -> {
                    if (e.getValue() instanceof Map<?, ?> m) {
                        for (Object sk : m.keySet()) {
                            if (!"password".equals(sk)) {
                                out.put(name + "." + sk, "not supported, ignored: only sentinel_kwargs.password is used");
                            }
                        }
                    }
                }
                default -> {
                    if (!SUPPORTED.contains(k)) {
                        out.put(name, "not a Celery Redis result backend option that Celeriac knows, ignored "
                                + "(supported: master_name, sentinel_kwargs)");
                    }
                }
            }
        }
        if (settings.bool("redis_retry_on_timeout", false)) {
            out.put("redis_retry_on_timeout", "not supported, ignored: a timed-out command is not re-sent");
        }
        return out;
    }

    /** The command timeout: {@code redis_socket_timeout}, or 30 s. */
    public Duration commandTimeout() {
        return socketTimeout != null ? socketTimeout : DEFAULT_COMMAND_TIMEOUT;
    }

    private static Duration positive(Settings s, String key) {
        Duration d = s.duration(key, null);
        if (d != null && (d.isZero() || d.isNegative())) {
            throw new IllegalArgumentException("setting " + key + " must be positive (or None), was " + d);
        }
        return d;
    }

    /**
     * The lettuce URI: {@code redis://[user:password@]host[:port][/db]}, {@code rediss://}, or Celery's Sentinel
     * form {@code sentinel://h1:26379/3;sentinel://h2:26379/3} (db and password from the first part that has
     * them) with {@link #masterName()}.
     *
     * @throws ProviderException naming the URL (password masked) when it cannot be used
     */
    RedisURI uri(ConnectionUrl url, String clientName) {
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
        RedisURI.Builder b;
        switch (url.scheme()) {
            case "redis", "rediss" -> {
                ConnectionUrl.Host h = url.host("localhost", 6379);
                b = RedisURI.Builder.redis(h.host(), h.port()).withSsl(url.scheme().equals("rediss"));
            }
            case "sentinel" -> {
                if (masterName == null || masterName.isBlank()) {
                    throw new ProviderException("result_backend " + url + ": a Sentinel URL needs the master_name "
                            + "option: result_backend_transport_options = {\"master_name\": \"mymaster\"}");
                }
                List<ConnectionUrl.Host> sentinels = new ArrayList<>();
                for (ConnectionUrl.Host h : url.hosts()) {
                    sentinels.add(new ConnectionUrl.Host(h.host().isEmpty() ? "localhost" : h.host(),
                            h.port() < 0 ? 26379 : h.port()));
                }
                if (sentinels.isEmpty()) {
                    throw new ProviderException("result_backend " + url + ": no Sentinel host; use sentinel://host:26379");
                }
                ConnectionUrl.Host first = sentinels.get(0);
                b = sentinelPassword != null
                        ? RedisURI.Builder.sentinel(first.host(), first.port(), masterName, sentinelPassword)
                        : RedisURI.Builder.sentinel(first.host(), first.port(), masterName);
                for (ConnectionUrl.Host h : sentinels.subList(1, sentinels.size())) {
                    if (sentinelPassword != null) {
                        b.withSentinel(h.host(), h.port(), sentinelPassword);
                    } else {
                        b.withSentinel(h.host(), h.port());
                    }
                }
            }
            default -> throw new ProviderException("result_backend " + url + ": scheme '" + url.scheme()
                    + "' is not served by " + RedisResultBackendProvider.ARTIFACT + " (redis, rediss, sentinel)");
        }
        b.withDatabase(db).withTimeout(commandTimeout());
        ConnectionUrl cred = url;
        cred.password().ifPresent(p -> {
            if (cred.user().isPresent()) {
                b.withAuthentication(cred.user().get(), p.toCharArray());
            } else {
                b.withPassword(p.toCharArray());
            }
        });
        if (clientName != null) {
            b.withClientName(clientName);
        }
        return b.build();
    }

    /** lettuce's options: auto-reconnect, the command timeout, connect timeout and keep-alive. */
    ClientOptions clientOptions() {
        return ClientOptions.builder()
                .autoReconnect(true)
                .timeoutOptions(TimeoutOptions.enabled(commandTimeout()))
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(connectTimeout != null ? connectTimeout : DEFAULT_CONNECT_TIMEOUT)
                        .keepAlive(socketKeepalive).build())
                .build();
    }
}
