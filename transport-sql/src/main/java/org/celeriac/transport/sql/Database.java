package org.celeriac.transport.sql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.broker.BrokerException;
import org.flywaydb.core.Flyway;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;
import org.hibernate.Transaction;
import org.hibernate.boot.MetadataSources;
import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.boot.registry.StandardServiceRegistryBuilder;
import org.hibernate.dialect.Dialect;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database behind one broker: a HikariCP pool, the schema migrated by Flyway, and a Hibernate
 * {@link SessionFactory} (no entities) used for dialect detection and to run plain-JDBC work in
 * {@link StatelessSession} transactions. Thread-safe.
 */
final class Database implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    /** Flyway's history table of this module (backend-jdbc keeps its own in the same database). */
    static final String HISTORY_TABLE = "celeriac_transport_schema_history";
    /** Migrations per vendor: {@code db/celeriac-transport-sql/<vendor>}. */
    static final String MIGRATIONS = "classpath:db/celeriac-transport-sql/";
    /** Vendor of the JDBC URL → migration folder ({@code mysql} URLs use MariaDB's scripts, which MySQL 8 runs). */
    private static final java.util.Map<String, String> VENDORS = java.util.Map.of("h2", "h2", "postgresql",
            "postgresql", "mariadb", "mariadb", "mysql", "mariadb");
    private static final Duration OPEN_RETRY = Duration.ofSeconds(15);
    private static final AtomicInteger POOLS = new AtomicInteger();

    /** A unit of JDBC work run inside a transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final JdbcTarget target;
    private final HikariDataSource pool;
    private final SessionFactory sessions;
    private final Dialect dialect;

    private Database(JdbcTarget target, HikariDataSource pool, SessionFactory sessions) {
        this.target = target;
        this.pool = pool;
        this.sessions = sessions;
        this.dialect = sessions.unwrap(SessionFactoryImplementor.class).getJdbcServices().getDialect();
    }

    /**
     * Opens the pool, migrates the schema and boots Hibernate. Retries for a few seconds while H2 reports
     * that another process is opening the same file. Blocking.
     *
     * @throws ProviderException for an unsupported database
     * @throws BrokerException when the database cannot be opened
     */
    static Database open(JdbcTarget target, TransportOptions options) {
        String folder = VENDORS.get(target.vendor());
        if (folder == null) {
            throw new ProviderException("celeriac-transport-sql does not support '" + target.vendor() + "' ("
                    + target.maskedUrl() + "): it needs SELECT ... FOR UPDATE SKIP LOCKED and has schema "
                    + "migrations for H2, PostgreSQL and MariaDB/MySQL only; use jdbc:h2:file:/abs/path/celeriac;"
                    + "AUTO_SERVER=TRUE, jdbc:postgresql://host/db or jdbc:mariadb://host/db"
                    + ("sqlite".equals(target.vendor()) ? " (SQLite has no row locks)" : ""));
        }
        if (target.isH2()) {
            bindH2ToLoopback();
        }
        HikariConfig cfg = new HikariConfig();
        cfg.setPoolName("celeriac-transport-sql-" + POOLS.incrementAndGet());
        cfg.setJdbcUrl(target.driverUrl());
        // READ COMMITTED everywhere (MariaDB/MySQL default to REPEATABLE READ, whose snapshot and gap locks
        // would hide rows committed after a claim's first read and serialise claimers)
        cfg.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        if (target.vendor().equals("postgresql")) {
            cfg.addDataSourceProperty("reWriteBatchedInserts", "true"); // one multi-row INSERT per JDBC batch
        }
        if (target.user() != null) {
            cfg.setUsername(target.user());
        }
        if (target.password() != null) {
            cfg.setPassword(target.password());
        }
        cfg.setAutoCommit(false);
        cfg.setMaximumPoolSize(options.poolSize());
        cfg.setMinimumIdle(Math.min(2, options.poolSize()));
        cfg.setConnectionTimeout(10_000);
        cfg.setValidationTimeout(2_000);
        cfg.setInitializationFailTimeout(1); // fail fast on the first connection; retried below (H2 lock file races)
        if (target.isH2()) {
            cfg.setExceptionOverrideClassName(H2ExceptionOverride.class.getName());
        }
        HikariDataSource pool = retryWhileOpening(target, "connect", () -> new HikariDataSource(cfg));
        try {
            retryWhileOpening(target, "migrate the schema", () -> {
                Flyway.configure(Database.class.getClassLoader())
                        .dataSource(pool)
                        .table(HISTORY_TABLE)
                        .locations(MIGRATIONS + folder)
                        .baselineOnMigrate(true)
                        .baselineVersion("0")
                        .load()
                        .migrate();
                return null;
            });
            StandardServiceRegistry registry = new StandardServiceRegistryBuilder()
                    .applySetting("hibernate.connection.datasource", pool)
                    .applySetting("hibernate.connection.provider_disables_autocommit", "true")
                    .applySetting("hibernate.hbm2ddl.auto", "none")
                    .applySetting("hibernate.show_sql", "false")
                    .build();
            SessionFactory sf = retryWhileOpening(target, "start Hibernate",
                    () -> new MetadataSources(registry).buildMetadata().buildSessionFactory());
            Database db = new Database(target, pool, sf);
            if (!db.dialect.getForUpdateSkipLockedString().toLowerCase(java.util.Locale.ROOT).contains("skip locked")) {
                db.close();
                throw new ProviderException("the database at " + target.maskedUrl() + " (" + db.dialect
                        + ") does not support SELECT ... FOR UPDATE SKIP LOCKED, which celeriac-transport-sql needs");
            }
            return db;
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * H2's AUTO_SERVER listens on every interface unless {@code h2.bindAddress} is set; set it to the
     * loopback before H2 reads it (H2 reads it once, when its {@code SysProperties} class loads).
     */
    static void bindH2ToLoopback() {
        if (System.getProperty("h2.bindAddress") == null) {
            System.setProperty("h2.bindAddress", "127.0.0.1");
        }
    }

    private interface Attempt<T> {
        T run() throws Exception;
    }

    private static <T> T retryWhileOpening(JdbcTarget target, String what, Attempt<T> attempt) {
        long deadline = System.nanoTime() + OPEN_RETRY.toNanos();
        long backoffMs = 25;
        while (true) {
            try {
                return attempt.run();
            } catch (Exception e) {
                if (!SqlErrors.isTransient(e) || System.nanoTime() > deadline) {
                    throw new BrokerException("cannot " + what + " for the SQL broker at " + target.maskedUrl()
                            + ": " + message(e) + " (check that the database is reachable and the user may create "
                            + "tables)", e);
                }
                LOG.debug("Retrying to {} at {}: {}", what, target.maskedUrl(), message(e));
                sleep(backoffMs);
                backoffMs = Math.min(backoffMs * 2, 1_000);
            }
        }
    }

    static String message(Throwable e) {
        SQLException s = SqlErrors.sqlCause(e);
        return ConnectionMasking.mask(s != null ? s.getMessage() : String.valueOf(e.getMessage()));
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException("interrupted while waiting to retry", e);
        }
    }

    /**
     * Runs {@code work} in one transaction on a pooled connection, committing on success and rolling back
     * on failure. Blocking.
     *
     * @throws BrokerException wrapping the JDBC failure
     */
    <T> T inTransaction(Work<T> work) {
        try (StatelessSession session = sessions.openStatelessSession()) {
            Transaction tx = session.beginTransaction();
            try {
                T result = session.doReturningWork(work::run);
                tx.commit();
                return result;
            } catch (RuntimeException e) {
                try {
                    if (tx.isActive()) {
                        tx.rollback();
                    }
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        } catch (BrokerException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BrokerException("SQL broker at " + target.maskedUrl() + ": " + message(e), e);
        }
    }

    /** {@link #inTransaction} retried with back-off for up to {@code budget} while the failure is transient. */
    <T> T inTransactionRetrying(Duration budget, Work<T> work) {
        long deadline = System.nanoTime() + budget.toNanos();
        long backoffMs = 10;
        while (true) {
            try {
                return inTransaction(work);
            } catch (BrokerException e) {
                if (!SqlErrors.isTransient(e) || System.nanoTime() > deadline) {
                    throw e;
                }
                LOG.debug("Retrying after a transient failure: {}", e.getMessage());
                sleep(backoffMs);
                backoffMs = Math.min(backoffMs * 2, 1_000);
            }
        }
    }

    Dialect dialect() {
        return dialect;
    }

    JdbcTarget target() {
        return target;
    }

    /** Closes Hibernate and the pool. Idempotent. */
    @Override
    public void close() {
        try {
            if (sessions.isOpen()) {
                sessions.close();
            }
        } finally {
            pool.close();
        }
    }
}
