package org.celeriac.backend.jdbc;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code jdbc} result backend: Celeriac's own {@code celeriac_*} tables over plain JDBC and HikariCP,
 * in any database with a JDBC driver (H2 is bundled and is the embedded default; PostgreSQL and MariaDB
 * need their driver). Serves {@code jdbc:...} URLs, and accepts Celery's SQLAlchemy URLs
 * ({@code db+postgresql://}, {@code db+mysql://}, {@code db+mariadb://}, {@code db+sqlite:///}) as a
 * syntax only: the tables are not Celery's pickled {@code celery_taskmeta}, so Python peers cannot share
 * them. Settings read: {@code result_expires} (default 1 day; 0 or None keeps results forever) and
 * {@code database_engine_options.pool_size} (default 8). Cheap to construct; thread-safe.
 */
public final class JdbcResultBackendProvider implements ResultBackendProvider {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcResultBackendProvider.class);
    private static final AtomicBoolean CELERY_URL_WARNED = new AtomicBoolean();
    private static final Duration DEFAULT_EXPIRES = Duration.ofDays(1);
    private static final int DEFAULT_POOL_SIZE = 8;
    private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(15);

    /** Public no-arg constructor for {@link java.util.ServiceLoader}. */
    public JdbcResultBackendProvider() {
    }

    @Override
    public String name() {
        return "jdbc";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("jdbc", "db+postgresql", "db+postgresql+psycopg2", "db+mysql", "db+mariadb", "db+sqlite");
    }

    @Override
    public String artifact() {
        return "org.celeriac:celeriac-backend-jdbc";
    }

    /**
     * Opens the pool, creates or migrates the tables (Flyway, history table
     * {@code celeriac_backend_schema_history}) and starts the writer and poller threads. Blocks for up to
     * about 15 s while another process is opening the same H2 file.
     *
     * @throws ProviderException when the URL or a setting is invalid
     * @throws org.celeriac.spi.backend.ResultBackendException when the database cannot be opened
     */
    @Override
    public ResultBackend create(ConnectionUrl url, Settings settings, ProviderContext context) {
        DatabaseTarget target = DatabaseTarget.of(url);
        if (target.celeryScheme() && CELERY_URL_WARNED.compareAndSet(false, true)) {
            LOG.warn("result_backend {} is read as {}: Celeriac stores results in its own tables (celeriac_*), "
                    + "not in Celery's celery_taskmeta (pickled by SQLAlchemy), so Python Celery peers cannot "
                    + "read or write these results", url, target.masked());
        }
        Duration expires;
        int poolSize;
        try {
            expires = settings.duration("result_expires", DEFAULT_EXPIRES);
            poolSize = poolSize(settings);
        } catch (IllegalArgumentException e) {
            throw new ProviderException("invalid setting for the JDBC result backend " + url + ": " + e.getMessage(), e);
        }
        Database db = Database.open(target, url.toString(), poolSize, OPEN_TIMEOUT);
        try {
            return new JdbcResultBackend(db, new TaskMetaRows(context.resultSerializer(), context), expires);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    private static int poolSize(Settings settings) {
        Map<String, Object> options = settings.map("database_engine_options");
        Object size = options.get("pool_size");
        if (size == null) {
            return DEFAULT_POOL_SIZE;
        }
        int n;
        try {
            n = size instanceof Number num ? num.intValue() : Integer.parseInt(String.valueOf(size).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("database_engine_options.pool_size: '" + size + "' is not an integer");
        }
        if (n < 2) {
            throw new IllegalArgumentException("database_engine_options.pool_size must be at least 2, was " + n);
        }
        return n;
    }
}
