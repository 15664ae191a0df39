package org.celeriac.transport.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.celeriac.spi.broker.BrokerException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqlBrokerProviderTest {

    @Test
    void isFoundByServiceLoaderUnderItsNameSchemesAndArtifact() {
        BrokerProvider p = ServiceLoader.load(BrokerProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(x -> x.name().equals("sql")).findFirst().orElseThrow();
        assertThat(p).isInstanceOf(SqlBrokerProvider.class);
        assertThat(p.schemes()).contains("jdbc", "sqla+postgresql", "sqla+postgresql+psycopg2", "sqla+mysql",
                "sqla+mariadb", "sqla+sqlite");
        assertThat(p.artifact()).isEqualTo("org.celeriac:celeriac-transport-sql");
    }

    @Test
    void jdbcUrlsAreUsedAsGiven() {
        JdbcTarget t = JdbcTarget.from(ConnectionUrl.parse("jdbc:h2:file:/x/celeriac;AUTO_SERVER=TRUE;USER=u;PASSWORD=pw"));
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:h2:file:/x/celeriac;AUTO_SERVER=TRUE;USER=u;PASSWORD=pw");
        assertThat(t.vendor()).isEqualTo("h2");
        assertThat(t.user()).isNull();
        assertThat(t.maskedUrl()).isEqualTo("jdbc:h2:file:/x/celeriac;AUTO_SERVER=TRUE;USER=u;PASSWORD=***");
        assertThat(t.toString()).doesNotContain("pw;").doesNotContain("=pw");
    }

    @Test
    void sqlalchemyUrlsBecomeJdbcUrlsWithCredentialsMovedToThePool() {
        JdbcTarget pg = JdbcTarget.from(ConnectionUrl.parse("sqla+postgresql+psycopg2://bob:se%40cret@db.example:5433/celery?sslmode=require"));
        assertThat(pg.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:5433/celery?sslmode=require");
        assertThat(pg.user()).isEqualTo("bob");
        assertThat(pg.password()).isEqualTo("se@cret");
        assertThat(pg.vendor()).isEqualTo("postgresql");
        assertThat(pg.toString()).contains("password=***").doesNotContain("se@cret");

        assertThat(JdbcTarget.from(ConnectionUrl.parse("sqla+postgresql://db/celery")).jdbcUrl())
                .isEqualTo("jdbc:postgresql://db/celery");
        assertThat(JdbcTarget.from(ConnectionUrl.parse("sqla+mysql://u:p@my:3306/celery")).jdbcUrl())
                .isEqualTo("jdbc:mysql://my:3306/celery");
        assertThat(JdbcTarget.from(ConnectionUrl.parse("sqla+mariadb://u:p@maria/celery")).jdbcUrl())
                .isEqualTo("jdbc:mariadb://maria/celery");
        assertThat(JdbcTarget.from(ConnectionUrl.parse("sqla+sqlite:////var/lib/celery.db")).jdbcUrl())
                .isEqualTo("jdbc:sqlite:/var/lib/celery.db");
        assertThat(JdbcTarget.from(ConnectionUrl.parse("sqla+sqlite:///celery.db")).jdbcUrl())
                .isEqualTo("jdbc:sqlite:celery.db");
    }

    @Test
    void unsupportedDatabasesAndSchemesFailWithAMaskedExplanation() {
        SqlBrokerProvider p = new SqlBrokerProvider();
        assertThatThrownBy(() -> p.create(ConnectionUrl.parse("sqla+sqlite:////tmp/c.db"), Settings.of(Map.of()),
                TestSupport.CONTEXT)).isInstanceOf(ProviderException.class).hasMessageContaining("SKIP LOCKED")
                .hasMessageContaining("jdbc:h2:file:");
        assertThatThrownBy(() -> p.create(ConnectionUrl.parse("sqla+oracle://u:topsecret@h/db"), Settings.of(Map.of()),
                TestSupport.CONTEXT)).isInstanceOf(ProviderException.class).hasMessageContaining("oracle")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> p.create(ConnectionUrl.parse("jdbc:sqlserver://h;databaseName=db;password=topsecret"),
                Settings.of(Map.of()), TestSupport.CONTEXT)).isInstanceOf(ProviderException.class)
                .hasMessageContaining("sqlserver").hasMessageNotContaining("topsecret");
        // jdbc:mysql: goes to the bundled MariaDB driver (Connector/J 3 refuses the scheme itself)
        assertThat(JdbcTarget.from(ConnectionUrl.parse("sqla+mysql://u:p@my:3306/celery")).driverUrl())
                .isEqualTo("jdbc:mariadb://my:3306/celery");
    }

    @Test
    void badTransportOptionsAreRejectedByName() {
        assertThatThrownBy(() -> TransportOptions.from(Settings.of(Map.of("broker_transport_options",
                Map.of("polling_interval", "soon")))))
                .isInstanceOf(ProviderException.class).hasMessageContaining("polling_interval");
        TransportOptions o = TransportOptions.from(Settings.of(Map.of()));
        assertThat(o.pollingInterval()).hasMillis(100);
        assertThat(o.visibilityTimeout()).isNull(); // no hard bound: the heartbeat lease decides
        assertThat(o.leaseTimeout()).hasSeconds(30);
        assertThat(o.heartbeatInterval()).hasSeconds(10);
        assertThatThrownBy(() -> TransportOptions.from(Settings.of(Map.of("broker_transport_options",
                Map.of("lease_timeout", 0)))))
                .isInstanceOf(ProviderException.class).hasMessageContaining("lease_timeout");
    }

    @Test
    void h2ServerIsBoundToTheLoopbackAndTheSchemaHasItsOwnHistoryTable(@TempDir Path dir) throws Exception {
        // A database that already holds another module's tables and Flyway history (like backend-jdbc's)
        try (Connection c = TestSupport.jdbc(dir); Statement s = c.createStatement()) {
            s.execute("create table celeriac_taskmeta (id varchar(255) primary key)");
            s.execute("create table \"flyway_schema_history\" (x int)");
            c.commit();
        }
        try (Broker b = TestSupport.open(dir)) {
            assertThat(System.getProperty("h2.bindAddress")).isEqualTo("127.0.0.1");
            Properties lock = new Properties();
            try (InputStream in = Files.newInputStream(dir.resolve("celeriac.lock.db"))) {
                lock.load(in);
            }
            // H2 writes the bind address 127.0.0.1 as "localhost"; without h2.bindAddress it writes the host's address
            assertThat(lock.getProperty("server")).startsWith("localhost:");
            int port = Integer.parseInt(lock.getProperty("server").substring("localhost:".length()));
            for (InetAddress other : nonLoopbackAddresses()) {
                assertThatThrownBy(() -> new Socket(other, port).close()).as("port %d on %s", port, other)
                        .isInstanceOf(IOException.class);
            }
            assertThat(b.messageCount("celery")).isZero();
            assertThat(TestSupport.count(dir, "select count(*) from \"celeriac_transport_schema_history\" where \"success\""))
                    .isGreaterThanOrEqualTo(1);
            assertThat(TestSupport.count(dir, "select count(*) from information_schema.tables where table_name in "
                    + "('CELERIAC_MESSAGE', 'CELERIAC_BINDING', 'CELERIAC_DEAD_LETTER', 'CELERIAC_KV')")).isEqualTo(4);
        }
        try (Broker again = TestSupport.open(dir)) { // reopening migrates nothing and works
            assertThat(again.messageCount("celery")).isZero();
        }
    }

    private static List<InetAddress> nonLoopbackAddresses() throws IOException {
        return NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).toList();
    }

    @Test
    void aBrokenDatabaseFileFailsFastWithoutShowingThePassword(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("celeriac.mv.db"), "not a database");
        long start = System.nanoTime();
        assertThatThrownBy(() -> TestSupport.open(dir)).isInstanceOf(BrokerException.class)
                .hasMessageNotContaining("s3cret").hasMessageContaining("PASSWORD=***")
                .hasMessageContaining("cannot connect");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
}
