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

    Broker createBroker(Settings s, ProviderContext ctx) {
        ConnectionUrl url = parse("broker_url", s.string("broker_url").orElseThrow());
        return providers.broker(url, s).create(url, s, ctx);
    }

    Optional<ResultBackend> createResultBackend(Settings s, ProviderContext ctx) {
        Optional<String> raw = s.string("result_backend").filter(v -> !v.isBlank()
                && !v.equalsIgnoreCase("disabled") && !v.equalsIgnoreCase("none"));
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        ConnectionUrl url = parse("result_backend", aliasToUrl(raw.get().trim(), s));
        return Optional.of(providers.resultBackend(url, s).create(url, s, ctx));
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
}
