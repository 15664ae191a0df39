package org.celeriac.transport.sql;

import java.util.Set;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerProvider;

/**
 * The {@code sql} broker provider: Celeriac's own SQL message tables ({@code celeriac_*}) over JDBC, the
 * embedded default broker (an H2 file opened with {@code AUTO_SERVER=TRUE} shared by a worker and a
 * client process).
 *
 * <p>URLs: {@code jdbc:h2:file:/abs/path/celeriac;AUTO_SERVER=TRUE} (and, later, {@code jdbc:postgresql:},
 * {@code jdbc:mariadb:}); Celery's {@code sqla+postgresql://}, {@code sqla+postgresql+psycopg2://},
 * {@code sqla+mysql://}, {@code sqla+mariadb://} and {@code sqla+sqlite://} forms are converted to JDBC URLs
 * (user and password go to the pool), with a one-time warning that Python peers cannot share these tables.
 * For H2 the system property {@code h2.bindAddress} is set to {@code 127.0.0.1} when unset, so that the
 * AUTO_SERVER port listens on the loopback only.
 *
 * <p>Settings: {@code broker_transport_options} {@code polling_interval} (seconds, default 0.1),
 * {@code lease_timeout} (seconds, default 30: heartbeat lease of a consumer's claims),
 * {@code visibility_timeout} (seconds, optional hard bound on a claim, none by default), {@code pool_size} (10), {@code claim_batch} (256),
 * {@code publish_batch} (1000). Cheap to construct; thread-safe.
 */
public final class SqlBrokerProvider implements BrokerProvider {

    /** The JSON content type used for the headers and properties columns. */
    static final String JSON = "application/json";

    /** Used by {@link java.util.ServiceLoader}. */
    public SqlBrokerProvider() {
    }

    @Override
    public String name() {
        return "sql";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("jdbc", "sqla+postgresql", "sqla+postgresql+psycopg2", "sqla+mysql", "sqla+mariadb",
                "sqla+sqlite");
    }

    @Override
    public String artifact() {
        return "org.celeriac:celeriac-transport-sql";
    }

    /**
     * Opens the pool, creates or upgrades the schema (Flyway, history table
     * {@code celeriac_transport_schema_history}) and starts the publish writer. Blocking: retries for up to
     * 15 s while another process is opening the same H2 file.
     *
     * @throws org.celeriac.spi.ProviderException for a URL or database this transport cannot use, or bad
     *         {@code broker_transport_options}
     * @throws org.celeriac.spi.broker.BrokerException when the database cannot be opened
     * @throws org.celeriac.spi.SerializationException when no JSON serializer is on the class path
     */
    @Override
    public Broker create(ConnectionUrl url, Settings settings, ProviderContext context) {
        JdbcTarget target = JdbcTarget.from(url);
        TransportOptions options = TransportOptions.from(settings);
        MessageCodec codec = new MessageCodec(context.serializer(JSON));
        return new SqlBroker(Database.open(target, options), codec, options);
    }
}
