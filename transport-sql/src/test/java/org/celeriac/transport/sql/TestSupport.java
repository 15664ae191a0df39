package org.celeriac.transport.sql;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.serializer.Serializer;

/** Builds brokers on an H2 file for tests, with the real JSON serializer. */
final class TestSupport {
    private TestSupport() {
    }

    static final Serializer JSON = new org.celeriac.serializer.json.JsonSerializerProvider()
            .create(org.celeriac.spi.Settings.of(java.util.Map.of()));

    static final ProviderContext CONTEXT = new ProviderContext() {
        @Override
        public Optional<Broker> broker() {
            return Optional.empty();
        }

        @Override
        public Serializer resultSerializer() {
            return JSON;
        }

        @Override
        public Serializer serializer(String contentTypeOrName) {
            if (contentTypeOrName.equals("application/json") || contentTypeOrName.equals("json")) {
                return JSON;
            }
            throw new SerializationException("no serializer for " + contentTypeOrName);
        }

        @Override
        public String nodeName() {
            return "test@localhost";
        }
    };

    static String h2Url(Path dir) {
        return "jdbc:h2:file:" + dir.resolve("celeriac").toAbsolutePath() + ";AUTO_SERVER=TRUE;USER=celeriac;PASSWORD=s3cret";
    }

    static Broker open(String url, Map<String, Object> transportOptions) {
        Map<String, Object> opts = new HashMap<>();
        opts.put("polling_interval", 0.02);
        opts.putAll(transportOptions);
        return new SqlBrokerProvider().create(ConnectionUrl.parse(url),
                Settings.of(Map.of("broker_transport_options", opts)), CONTEXT);
    }

    static Broker open(Path dir) {
        return open(h2Url(dir), Map.of());
    }

    /** A plain JDBC connection to the same file (same JVM: the embedded database). */
    static Connection jdbc(Path dir) throws SQLException {
        Database.bindH2ToLoopback(); // H2 reads h2.bindAddress once: whoever opens H2 first must set it
        return DriverManager.getConnection(h2Url(dir));
    }

    static long count(Path dir, String sql) throws SQLException {
        try (Connection c = jdbc(dir); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
