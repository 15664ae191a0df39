package org.celeriac.core.discovery;

import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendProvider;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerProvider;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.spi.serializer.SerializerProvider;

/** Provider doubles for the discovery tests; registered through {@link ServicesClassLoader}. */
final class FakeProviders {
    private FakeProviders() {
    }

    abstract static class FakeBroker implements BrokerProvider {
        private final String name;
        private final Set<String> schemes;

        FakeBroker(String name, String... schemes) {
            this.name = name;
            this.schemes = Set.of(schemes);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Set<String> schemes() {
            return schemes;
        }

        @Override
        public String artifact() {
            return "org.example:" + name;
        }

        @Override
        public Broker create(ConnectionUrl url, Settings settings, ProviderContext context) {
            throw new UnsupportedOperationException("a fake");
        }
    }

    public static final class DupA extends FakeBroker {
        public DupA() {
            super("dup-a", "dup");
        }
    }

    public static final class DupB extends FakeBroker {
        public DupB() {
            super("dup-b", "dup", "other");
        }
    }

    public static final class Counted extends FakeBroker {
        static final AtomicInteger CREATED = new AtomicInteger();

        public Counted() {
            super("counted", "counted");
            CREATED.incrementAndGet();
        }
    }

    public static final class Broken extends FakeBroker {
        public Broken() {
            super("broken", "broken");
            throw new IllegalStateException("cannot start: missing native library");
        }
    }

    abstract static class FakeBackend implements ResultBackendProvider {
        private final String name;
        private final Set<String> schemes;

        FakeBackend(String name, String... schemes) {
            this.name = name;
            this.schemes = Set.of(schemes);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Set<String> schemes() {
            return schemes;
        }

        @Override
        public String artifact() {
            return "org.example:" + name;
        }

        @Override
        public ResultBackend create(ConnectionUrl url, Settings settings, ProviderContext context) {
            throw new UnsupportedOperationException("a fake");
        }
    }

    public static final class BackendA extends FakeBackend {
        public BackendA() {
            super("store-a", "store");
        }
    }

    public static final class BackendB extends FakeBackend {
        public BackendB() {
            super("store-b", "store");
        }
    }

    abstract static class FakeSerializer implements SerializerProvider {
        private final String name;
        private final Set<String> contentTypes;

        FakeSerializer(String name, String... contentTypes) {
            this.name = name;
            this.contentTypes = Set.of(contentTypes);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Set<String> contentTypes() {
            return contentTypes;
        }

        @Override
        public String artifact() {
            return "org.example:" + getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        }

        @Override
        public Serializer create(Settings settings) {
            throw new UnsupportedOperationException("a fake");
        }
    }

    public static final class JsonOne extends FakeSerializer {
        public JsonOne() {
            super("json", "application/json");
        }
    }

    public static final class JsonTwo extends FakeSerializer {
        public JsonTwo() {
            super("json", "application/json");
        }
    }

    public static final class Smile extends FakeSerializer {
        public Smile() {
            super("smile", "application/x-jackson-smile");
        }
    }
}
