package org.celeriac.backend.jdbc;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.serializer.Serializer;

/** Opens backends on an H2 file the way core's embedded default does. */
final class TestBackends {
    static final String PASSWORD = "s3cret-Pa55";

    private TestBackends() {
    }

    static String url(Path dir) {
        return "jdbc:h2:file:" + dir.resolve("celeriac").toAbsolutePath() + ";AUTO_SERVER=TRUE;USER=celeriac;PASSWORD="
                + PASSWORD;
    }

    static JdbcResultBackend open(Path dir) {
        return open(dir, Map.of());
    }

    static JdbcResultBackend open(Path dir, Map<String, ?> settings) {
        return open(url(dir), settings);
    }

    static JdbcResultBackend open(String url, Map<String, ?> settings) {
        return (JdbcResultBackend) new JdbcResultBackendProvider().create(ConnectionUrl.parse(url),
                Settings.of(settings), context());
    }

    static ProviderContext context() {
        Serializer json = new org.celeriac.serializer.json.JsonSerializerProvider().create(org.celeriac.spi.Settings.of(java.util.Map.of()));
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
                if (contentTypeOrName.equals("json") || contentTypeOrName.equals("application/json")) {
                    return json;
                }
                throw new SerializationException("no serializer for " + contentTypeOrName);
            }

            @Override
            public String nodeName() {
                return "test@localhost";
            }
        };
    }
}
