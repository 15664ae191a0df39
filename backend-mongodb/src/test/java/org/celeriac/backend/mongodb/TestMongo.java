package org.celeriac.backend.mongodb;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.UUID;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.spi.serializer.SerializerProvider;

/**
 * A MongoDB for one test class: the real server at {@code CELERIAC_TEST_MONGODB_URL} when set (each class gets its
 * own database, dropped at the end), else mongo-java-server in this JVM on a free TCP port. {@link #close()} must
 * run in a {@code finally}/{@code @AfterAll}: the in-process server keeps the JVM alive otherwise.
 */
final class TestMongo implements AutoCloseable {
    static final String ENV = "CELERIAC_TEST_MONGODB_URL";

    private final MongoServer server;
    private final String hostPort;
    private final String database = "celeriac_test_" + UUID.randomUUID().toString().substring(0, 8);

    TestMongo() {
        String real = System.getenv(ENV);
        if (real != null && !real.isBlank()) {
            server = null;
            ConnectionUrl u = ConnectionUrl.parse(real);
            hostPort = u.hosts().isEmpty() ? "localhost:27017" : u.unmasked().replaceFirst("^mongodb(\\+srv)?://", "")
                    .replaceFirst("/.*$", "");
        } else {
            server = new MongoServer(new MemoryBackend());
            server.bind("127.0.0.1", 0);
            InetSocketAddress a = server.getLocalAddress();
            hostPort = "127.0.0.1:" + a.getPort();
        }
    }

    /** True when the tests run against mongo-java-server (no change streams, no TTL monitor). */
    boolean inProcess() {
        return server != null;
    }

    /** {@code mongodb://host:port/<this class's database>}. */
    String url() {
        return (server == null ? schemeOfReal() : "mongodb://") + hostPort + "/" + database;
    }

    private static String schemeOfReal() {
        return System.getenv(ENV).startsWith("mongodb+srv://") ? "mongodb+srv://" : "mongodb://";
    }

    String hostPort() {
        return hostPort;
    }

    String database() {
        return database;
    }

    static Serializer json() {
        for (SerializerProvider p : ServiceLoader.load(SerializerProvider.class)) {
            if (p.name().equals("json")) {
                return p.create(Settings.of(Map.of()));
            }
        }
        throw new IllegalStateException("celeriac-serializer-json is not on the test class path");
    }

    static ProviderContext context() {
        Serializer json = json();
        return new ProviderContext() {
            @Override
            public Optional<Broker> broker() {
                return Optional.empty();
            }

            @Override
            public Serializer resultSerializer() {
                return json;
            }

            @Override
            public Serializer serializer(String contentTypeOrName) {
                return json;
            }

            @Override
            public String nodeName() {
                return "test@localhost";
            }
        };
    }

    MongoResultBackend open(Map<String, ?> settings) {
        return open(url(), settings);
    }

    static MongoResultBackend open(String url, Map<String, ?> settings) {
        Map<String, Object> s = new LinkedHashMap<>(settings);
        return (MongoResultBackend) new MongoResultBackendProvider().create(ConnectionUrl.parse(url), Settings.of(s),
                context());
    }

    @Override
    public void close() {
        if (server != null) {
            server.shutdownNow();
        } else {
            try (var c = com.mongodb.client.MongoClients.create(System.getenv(ENV))) {
                c.getDatabase(database).drop();
            }
        }
    }
}
