package org.celeriac.tck;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendProvider;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerProvider;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.spi.serializer.SerializerProvider;

/**
 * {@code ref://name?faults=A,B} providers of the reference implementations, registered in this module's
 * test {@code META-INF/services}, so {@link TckRunner#run(TckConfiguration, ClassLoader)} can be tested
 * end to end the way {@code celeriac tck} uses it. One store per URL host.
 */
public final class RefProviders {
    private static final Map<String, RefBroker.Store> BROKERS = new ConcurrentHashMap<>();
    private static final Map<String, RefResultBackend.Store> BACKENDS = new ConcurrentHashMap<>();

    private RefProviders() {
    }

    static <E extends Enum<E>> Set<E> faults(ConnectionUrl url, Class<E> type, Function<String, E> valueOf) {
        String f = url.query().get("faults");
        EnumSet<E> out = EnumSet.noneOf(type);
        if (f != null && !f.isBlank()) {
            Arrays.stream(f.split(",")).map(String::trim).map(valueOf).forEach(out::add);
        }
        return out;
    }

    private static String host(ConnectionUrl url) {
        return url.hosts().isEmpty() ? "" : url.hosts().get(0).host();
    }

    /** {@code ref://} broker. */
    public static final class Brokers implements BrokerProvider {
        @Override
        public String name() {
            return "ref";
        }

        @Override
        public Set<String> schemes() {
            return Set.of("ref");
        }

        @Override
        public String artifact() {
            return "org.celeriac:celeriac-tck (tests)";
        }

        @Override
        public Broker create(ConnectionUrl url, Settings settings, ProviderContext context) {
            return new RefBroker(BROKERS.computeIfAbsent(host(url), k -> new RefBroker.Store()),
                    faults(url, RefBroker.Fault.class, RefBroker.Fault::valueOf));
        }
    }

    /** {@code ref://} result backend; honours {@code result_expires}. */
    public static final class Backends implements ResultBackendProvider {
        @Override
        public String name() {
            return "ref";
        }

        @Override
        public Set<String> schemes() {
            return Set.of("ref");
        }

        @Override
        public String artifact() {
            return "org.celeriac:celeriac-tck (tests)";
        }

        @Override
        public ResultBackend create(ConnectionUrl url, Settings settings, ProviderContext context) {
            return new RefResultBackend(BACKENDS.computeIfAbsent(host(url), k -> new RefResultBackend.Store()),
                    faults(url, RefResultBackend.Fault.class, RefResultBackend.Fault::valueOf),
                    settings.duration("result_expires", null));
        }
    }

    /** The {@code ref} serializer. */
    public static final class Serializers implements SerializerProvider {
        @Override
        public String name() {
            return "ref";
        }

        @Override
        public Set<String> contentTypes() {
            return Set.of("application/x-celeriac-ref");
        }

        @Override
        public String artifact() {
            return "org.celeriac:celeriac-tck (tests)";
        }

        @Override
        public Serializer create(Settings settings) {
            return new RefSerializer(Set.of());
        }
    }
}
