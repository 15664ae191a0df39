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
        ConnectionUrl url = parse("result_backend", raw.get());
        return Optional.of(providers.resultBackend(url, s).create(url, s, ctx));
    }

    private static ConnectionUrl parse(String setting, String value) {
        try {
            return ConnectionUrl.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ProviderException("setting " + setting + ": " + e.getMessage(), e);
        }
    }
}
