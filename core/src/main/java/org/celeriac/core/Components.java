package org.celeriac.core;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.celeriac.core.config.CeleriacConfig;
import org.celeriac.core.config.EmbeddedDefault;
import org.celeriac.core.discovery.Providers;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.serializer.Serializer;

/**
 * Turns settings into the app's components through {@link Providers} (ServiceLoader discovery with
 * the none/one/many diagnostics) and applies the embedded default: with neither {@code broker_url}
 * nor {@code result_backend} set, both are the per-user H2 database of {@link EmbeddedDefault}; with only
 * a broker set there is no result backend, as in Celery. Thread-safe.
 */
public final class Components {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Components.class);
    private final Providers providers;
    private final Map<String, Serializer> serializers = new ConcurrentHashMap<>();
    private volatile Settings settings = Settings.of(Map.of());

    private Components(Providers providers) {
        this.providers = providers;
    }

    static Components load(ClassLoader loader) {
        return new Components(Providers.load(loader == null ? Components.class.getClassLoader() : loader));
    }

    /** The discovered providers. */
    public Providers providers() {
        return providers;
    }

    /** Merges the sources; {@code given} replaces the environment, system properties and config file. */
    Settings settings(Settings given, Path configFile, Map<String, Object> overrides) {
        CeleriacConfig.Builder b = CeleriacConfig.builder().configFile(configFile);
        if (given != null) {
            b.environment(Map.of()).systemProperties(new Properties()).setAll(given.asMap());
        }
        b.setAll(overrides);
        CeleriacConfig config = b.build();
        boolean brokerSet = config.brokerUrl().filter(s -> !s.isBlank()).isPresent();
        boolean backendSet = config.resultBackend().filter(s -> !s.isBlank()).isPresent();
        if (!brokerSet || !backendSet) {
            CeleriacConfig.Builder withDefaults = CeleriacConfig.builder().environment(Map.of())
                    .systemProperties(new Properties()).setAll(config.asMap());
            EmbeddedDefault embedded = null;
            if (!brokerSet) {
                embedded = EmbeddedDefault.of(config);
                withDefaults.set("broker_url", embedded.url());
            }
            if (!backendSet && !brokerSet) {
                withDefaults.set("result_backend", embedded.url());
            }
            if (embedded != null) {
                // H2's AUTO_SERVER listens on every interface unless told otherwise; H2 reads this once.
                if (System.getProperty("h2.bindAddress") == null) {
                    System.setProperty("h2.bindAddress", "127.0.0.1");
                }
                embedded.logLocation();
            }
            config = withDefaults.build();
        }
        config.warnOnceAboutUnservedContentTypes(providers::hasSerializer);
        this.settings = config;
        return config;
    }

    /** The serializer for a name or content type, or null when none is on the class path. */
    public Serializer serializerOrNull(String nameOrType) {
        Serializer known = serializers.get(nameOrType); // every message asks: no provider lookup once created
        if (known != null) {
            return known;
        }
        if (!providers.hasSerializer(nameOrType)) {
            return null;
        }
        return serializer(nameOrType);
    }

    /**
     * The serializer for a name ({@code json}) or content type ({@code application/json}); one instance each.
     *
     * @throws ProviderException when none (or several, without a choice) serve it
     */
    public Serializer serializer(String nameOrType) {
        String key = nameOrType.trim().toLowerCase(Locale.ROOT);
        Serializer s = serializers.get(key);
        if (s == null) {
            s = providers.serializer(key, settings).create(settings);
            serializers.put(key, s);
        }
        return s;
    }

    /** {@code accept_content} as content types, keeping only those a serializer on the class path serves. */
    Set<String> acceptedContentTypes(Settings s) {
        Set<String> out = new LinkedHashSet<>();
        if (s instanceof CeleriacConfig c) {
            out.addAll(c.acceptContentTypes());
        } else {
            out.add("application/json");
        }
        return out;
    }

    ProviderContext context(Settings s, Broker broker, String nodeName) {
        Components self = this;
        return new ProviderContext() {
            @Override
            public Optional<Broker> broker() {
                return Optional.ofNullable(broker);
            }

            @Override
            public Serializer resultSerializer() {
                return self.serializer(s.string("result_serializer", "json"));
            }

            @Override
            public Serializer serializer(String contentTypeOrName) {
                return self.serializer(contentTypeOrName);
            }

            @Override
            public String nodeName() {
                return nodeName;
            }
        };
    }

    /**
     * Creates the broker, retrying at start as Celery's consumer does ({@link StartupRetry}).
     *
     * @throws ProviderException when no module serves the scheme or the URL is invalid
     * @throws org.celeriac.spi.broker.BrokerException when the broker cannot be reached and retrying is off or
     *         exhausted
     */
    Broker createBroker(Settings s, ProviderContext ctx) {
        ConnectionUrl url = parse("broker_url", s.string("broker_url").orElseThrow());
        org.celeriac.spi.broker.BrokerProvider provider = providers.broker(url, s);
        return StartupRetry.of(s).connect("consumer", url, () -> provider.create(url, s, ctx));
    }

    Optional<ResultBackend> createResultBackend(Settings s, ProviderContext ctx) {
        Optional<String> raw = s.string("result_backend").filter(v -> !v.isBlank()
                && !v.equalsIgnoreCase("disabled") && !v.equalsIgnoreCase("none"));
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        ConnectionUrl url = parse("result_backend", aliasToUrl(raw.get().trim(), s));
        org.celeriac.spi.backend.ResultBackendProvider provider = providers.resultBackend(url, s);
        return Optional.of(StartupRetry.of(s).connect("result backend", url, () -> provider.create(url, s, ctx)));
    }

    /**
     * Celery's bare backend names ({@code celery/app/backends.py BACKEND_ALIASES}) as URLs: the seeds' Celery 3
     * {@code CELERY_RESULT_BACKEND = 'amqp'} is today's {@code rpc://}; {@code 'mongodb'} takes its host, port
     * and database from {@code mongodb_backend_settings}; {@code 'redis'} is the local default server.
     * Anything with a scheme is returned unchanged.
     */
    static String aliasToUrl(String value, Settings s) {
        if (value.contains(":")) {
            return value;
        }
        switch (value.toLowerCase(Locale.ROOT)) {
            case "amqp" -> {
                LOG.warn("result_backend 'amqp' is Celery 3's AMQP result backend; it is served as 'rpc://', where "
                        + "a result reaches only the client that sent the task. Set result_backend = 'rpc://' to "
                        + "silence this warning");
                return "rpc://";
            }
            case "rpc" -> {
                return "rpc://";
            }
            case "mongodb" -> {
                Map<String, Object> m = s.map("mongodb_backend_settings");
                Object host = m.getOrDefault("host", "localhost");
                Object port = m.getOrDefault("port", 27017);
                Object db = m.getOrDefault("database", "celery");
                return String.valueOf(host).contains("://") ? String.valueOf(host)
                        : "mongodb://" + host + ":" + port + "/" + db;
            }
            case "redis" -> {
                return "redis://localhost:6379/0";
            }
            default -> throw new ProviderException("setting result_backend: '" + value + "' is neither a URL nor one of "
                    + "Celery's backend names Celeriac serves (amqp, rpc, redis, mongodb, disabled); use a URL such as "
                    + "redis://localhost:6379/0");
        }
    }

    private static ConnectionUrl parse(String setting, String value) {
        try {
            return ConnectionUrl.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ProviderException("setting " + setting + ": " + e.getMessage(), e);
        }
    }

    /**
     * Celery's {@code broker_connection_retry_on_startup} (Celery 5.3, {@code celery/worker/consumer/consumer.py
     * ensure_connected} over kombu's {@code Connection.ensure_connection}): when the broker or the result backend
     * cannot be reached while the app starts, log Celery's line and try again after a growing interval (kombu's
     * {@code interval_start} 2 s, {@code interval_step} 2 s, {@code interval_max} 30 s, overridable under those
     * names in {@code broker_transport_options}), at most {@code broker_connection_max_retries} times (default
     * 100; 0 or None retry forever). With the setting false the first failure is thrown at once. Only connection
     * failures are retried (a refused or timed-out socket, an unknown host); a wrong password, vhost or setting
     * fails at once. Each attempt's own timeout is {@code broker_connection_timeout}, applied by the transport.
     * Blocks the calling thread while it waits; thread-safe (no shared state).
     */
    static final class StartupRetry {
        /** Sleeps between attempts; tests pass one that does not wait. */
        interface Sleeper {
            void sleep(java.time.Duration d) throws InterruptedException;
        }

        private static final org.slf4j.Logger RETRY_LOG = org.slf4j.LoggerFactory.getLogger(Components.class);
        private final boolean enabled;
        private final int maxRetries;
        private final double intervalStart;
        private final double intervalStep;
        private final double intervalMax;
        private final Sleeper sleeper;

        StartupRetry(boolean enabled, int maxRetries, double intervalStart, double intervalStep, double intervalMax,
                     Sleeper sleeper) {
            this.enabled = enabled;
            this.maxRetries = maxRetries;
            this.intervalStart = intervalStart;
            this.intervalStep = intervalStep;
            this.intervalMax = intervalMax;
            this.sleeper = sleeper;
        }

        /**
         * Reads {@code broker_connection_retry_on_startup} (default true), {@code broker_connection_max_retries}
         * (default 100; 0 or None: forever) and {@code interval_start}/{@code interval_step}/{@code interval_max}
         * (seconds) of {@code broker_transport_options}.
         *
         * @throws ProviderException naming the setting when a value has the wrong type
         */
        static StartupRetry of(Settings s) {
            try {
                boolean enabled = s.bool("broker_connection_retry_on_startup", true);
                Optional<Object> rawMax = s.raw("broker_connection_max_retries");
                int max = rawMax.isEmpty() ? 100
                        : rawMax.get() == null || "none".equalsIgnoreCase(String.valueOf(rawMax.get()).trim()) ? 0
                        : s.integer("broker_connection_max_retries", 100);
                if (max < 0) {
                    throw new IllegalArgumentException("setting broker_connection_max_retries: " + max
                            + " is negative; use a count, or 0 or None to retry forever");
                }
                Map<String, Object> t = s.map("broker_transport_options");
                return new StartupRetry(enabled, max, seconds(t, "interval_start", 2), seconds(t, "interval_step", 2),
                        seconds(t, "interval_max", 30), d -> Thread.sleep(d));
            } catch (IllegalArgumentException e) {
                throw new ProviderException(e.getMessage(), e);
            }
        }

        private static double seconds(Map<String, Object> options, String key, double def) {
            Object v = options.get(key);
            if (v == null) {
                return def;
            }
            try {
                double d = v instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(v).trim());
                if (d < 0 || Double.isNaN(d)) {
                    throw new NumberFormatException();
                }
                return d;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("broker_transport_options " + key + ": '" + v
                        + "' is not a number of seconds >= 0");
            }
        }

        int maxRetries() {
            return maxRetries;
        }

        /** The wait before retry {@code n} (1-based): start, start + step, …, at most max, as kombu's. */
        java.time.Duration interval(int n) {
            double secs = Math.min(intervalStart + intervalStep * (n - 1), intervalMax);
            return java.time.Duration.ofNanos((long) (secs * 1e9));
        }

        /**
         * Runs {@code attempt} until it succeeds, retrying connection failures as described above.
         *
         * @param who {@code consumer} for the broker (Celery's prefix), {@code result backend} for the backend
         * @param url the URL (logged masked)
         * @param attempt one connection attempt: creates the broker or backend
         * @return what the attempt returned
         * @throws RuntimeException the attempt's own exception when it is no connection failure; else a
         *         {@link org.celeriac.spi.broker.BrokerException} (broker) or
         *         {@link org.celeriac.spi.backend.ResultBackendException} (backend) saying why it gave up
         */
        <T> T connect(String who, ConnectionUrl url, java.util.function.Supplier<T> attempt) {
            int retries = 0;
            while (true) {
                try {
                    return attempt.get();
                } catch (RuntimeException e) {
                    if (!isConnectionFailure(e)) {
                        throw e;
                    }
                    String what = who.equals("consumer") ? "the broker" : "the result backend";
                    if (!enabled) {
                        throw failure(who, "cannot connect to " + what + " " + url + " at start: " + reason(e)
                                + " (broker_connection_retry_on_startup is false, so Celeriac does not retry: start "
                                + what.substring(4) + " first, or set it to true)", e);
                    }
                    if (maxRetries > 0 && retries >= maxRetries) {
                        throw failure(who, "gave up connecting to " + what + " " + url + " after " + retries
                                + (retries == 1 ? " retry" : " retries") + " (broker_connection_max_retries = "
                                + maxRetries + "; 0 or None retries forever): " + reason(e), e);
                    }
                    retries++;
                    java.time.Duration wait = interval(retries);
                    RETRY_LOG.error("{}: Cannot connect to {}: {}.\nTrying again {}... ({}/{})", who, url, reason(e),
                            humanize(wait), retries, maxRetries > 0 ? Integer.toString(maxRetries) : "None");
                    try {
                        sleeper.sleep(wait);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw failure(who, "interrupted while waiting to connect to " + what + " " + url
                                + " again: " + reason(e), e);
                    }
                }
            }
        }

        private static RuntimeException failure(String who, String message, Throwable cause) {
            return who.equals("consumer") ? new org.celeriac.spi.broker.BrokerException(message, cause)
                    : new org.celeriac.spi.backend.ResultBackendException(message, cause);
        }

        /** Celery's {@code humanize_seconds(secs, 'in', ' ')} for seconds: {@code in 2.00 seconds}. */
        static String humanize(java.time.Duration d) {
            double secs = d.toNanos() / 1e9;
            return String.format(Locale.ROOT, "in %.2f %s", secs, secs == 1.0 ? "second" : "seconds");
        }

        /** The innermost message of the failure (the socket's own words), secrets masked. */
        static String reason(Throwable e) {
            Throwable t = e;
            String msg = e.getMessage();
            while (t != null) {
                if (t.getMessage() != null && !t.getMessage().isBlank()) {
                    msg = t.getMessage();
                }
                t = t.getCause() == t ? null : t.getCause();
            }
            return ConnectionUrl.mask(String.valueOf(msg));
        }

        /**
         * True when the cause chain holds a network failure kombu counts among {@code connection_errors}: a
         * refused, unroutable or timed-out socket, an unknown host, or a JDBC connection failure (SQLState 08…).
         */
        static boolean isConnectionFailure(Throwable e) {
            java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
                if (t instanceof java.net.ConnectException || t instanceof java.net.NoRouteToHostException
                        || t instanceof java.net.UnknownHostException || t instanceof java.net.SocketTimeoutException
                        || t instanceof java.nio.channels.UnresolvedAddressException
                        || t instanceof java.util.concurrent.TimeoutException) {
                    return true;
                }
                if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null
                        && sql.getSQLState().startsWith("08")) {
                    return true;
                }
            }
            return false;
        }
    }
}
