package org.celeriac.tck;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.function.Function;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendProvider;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerProvider;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.spi.serializer.SerializerProvider;

/**
 * The TCK's own, minimal provider discovery through {@link ServiceLoader} (the TCK must not depend on
 * core): exactly one provider per scheme or serializer name, else a {@link ProviderException} naming
 * what is on the class path. Stateless.
 */
final class Providers {
    private Providers() {
    }

    static Broker broker(String url, Settings settings, ClassLoader cl) {
        ConnectionUrl u = ConnectionUrl.parse(url);
        BrokerProvider p = one("broker", u, ServiceLoader.load(BrokerProvider.class, cl), BrokerProvider::schemes,
                BrokerProvider::artifact);
        return p.create(u, settings, new Context(settings, cl));
    }

    static ResultBackend resultBackend(String url, Settings settings, ClassLoader cl) {
        ConnectionUrl u = ConnectionUrl.parse(url);
        ResultBackendProvider p = one("result backend", u, ServiceLoader.load(ResultBackendProvider.class, cl),
                ResultBackendProvider::schemes, ResultBackendProvider::artifact);
        return p.create(u, settings, new Context(settings, cl));
    }

    static Serializer serializer(String nameOrContentType, Settings settings, ClassLoader cl) {
        String key = nameOrContentType.trim().toLowerCase(Locale.ROOT);
        List<SerializerProvider> found = new ArrayList<>();
        TreeSet<String> available = new TreeSet<>();
        for (SerializerProvider p : ServiceLoader.load(SerializerProvider.class, cl)) {
            available.add(p.name() + " " + p.contentTypes());
            if (p.name().equalsIgnoreCase(key) || p.contentTypes().stream().anyMatch(t -> t.equalsIgnoreCase(key))) {
                found.add(p);
            }
        }
        if (found.size() != 1) {
            throw new SerializationException((found.isEmpty() ? "no" : found.size()) + " serializer provider(s) for '"
                    + nameOrContentType + "' on the class path" + (found.isEmpty() ? "" : ": " + found)
                    + "; available: " + (available.isEmpty() ? "none" : available)
                    + ". Add the module that provides it (e.g. org.celeriac:celeriac-serializer-json for json).");
        }
        return found.get(0).create(settings);
    }

    private static <P> P one(String kind, ConnectionUrl url, ServiceLoader<P> loader, Function<P, java.util.Set<String>> schemes,
                             Function<P, String> artifact) {
        List<P> found = new ArrayList<>();
        TreeSet<String> available = new TreeSet<>();
        for (P p : loader) {
            available.addAll(schemes.apply(p));
            if (schemes.apply(p).contains(url.scheme())) {
                found.add(p);
            }
        }
        if (found.isEmpty()) {
            throw new ProviderException("no " + kind + " provider for scheme '" + url.scheme() + "' (" + url
                    + ") on the class path; schemes available: " + (available.isEmpty() ? "none" : available)
                    + ". Put the implementation's jar on the class path (celeriac tck --classpath JAR).");
        }
        if (found.size() > 1) {
            throw new ProviderException("several " + kind + " providers for scheme '" + url.scheme() + "': "
                    + found.stream().map(p -> p.getClass().getName() + " (" + artifact.apply(p) + ")").toList()
                    + "; keep one of them on the class path");
        }
        return found.get(0);
    }

    /** A minimal {@link ProviderContext}: serializers through {@link ServiceLoader}, no live broker. */
    static final class Context implements ProviderContext {
        private final Settings settings;
        private final ClassLoader cl;

        Context(Settings settings, ClassLoader cl) {
            this.settings = settings;
            this.cl = cl;
        }

        @Override
        public Optional<Broker> broker() {
            return Optional.empty();
        }

        @Override
        public Serializer resultSerializer() {
            return serializer(settings.string("result_serializer", "json"));
        }

        @Override
        public Serializer serializer(String contentTypeOrName) {
            return Providers.serializer(contentTypeOrName, settings, cl);
        }

        @Override
        public String nodeName() {
            return "tck@" + ProcessHandle.current().pid();
        }
    }
}
