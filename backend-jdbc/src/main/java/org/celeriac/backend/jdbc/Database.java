package org.celeriac.backend.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.SQLExceptionOverride;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.celeriac.spi.backend.ResultBackendException;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection pool (HikariCP) and the schema (Flyway, history table
 * {@value #HISTORY_TABLE}, scripts under {@value #LOCATION}) of one backend, plus the retry rules
 * every operation uses. Thread-safe.
 */
final class Database implements AutoCloseable {
    static final String HISTORY_TABLE = "celeriac_backend_schema_history";
    static final String LOCATION = "classpath:db/celeriac-backend-jdbc";
    /** H2 reads this system property once, when its classes load; AUTO_SERVER listens on it. */
    static final String H2_BIND_ADDRESS = "h2.bindAddress";

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    /** One unit of work on a connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Auto-commit connections: single statements and reads. */
    private final HikariDataSource pool;
    /**
     * Connections with auto-commit off, for transactions: no {@code setAutoCommit} round trips per
     * transaction (each is one over an H2 AUTO_SERVER connection).
     */
    private final HikariDataSource txPool;
    private final DatabaseTarget target;
    private final String display;

    private Database(HikariDataSource pool, HikariDataSource txPool, DatabaseTarget target, String display) {
        this.pool = pool;
        this.txPool = txPool;
        this.target = target;
        this.display = display;
    }

    /**
     * Opens the pool and migrates the schema, retrying for up to {@code openTimeout} while another
     * process is opening the same H2 file ("Lock file recently modified", "already in use") or
     * migrating the same schema.
     *
     * @param display the masked URL for messages
     * @throws ResultBackendException when the database cannot be opened or migrated in time
     */
    static Database open(DatabaseTarget target, String display, int poolSize, Duration openTimeout) {
        if (target.vendor() == Vendor.H2 && System.getProperty(H2_BIND_ADDRESS) == null) {
            // H2's AUTO_SERVER would otherwise listen on every interface.
            System.setProperty(H2_BIND_ADDRESS, "127.0.0.1");
        }
        long deadline = System.nanoTime() + openTimeout.toNanos();
        long backoffMs = 25;
        while (true) {
            HikariDataSource pool = null;
            HikariDataSource txPool = null;
            try {
                pool = new HikariDataSource(poolConfig(target, "celeriac-backend-jdbc", poolSize, true));
                txPool = new HikariDataSource(poolConfig(target, "celeriac-backend-jdbc-tx", Math.max(2, poolSize / 2),
                        false));
                Database db = new Database(pool, txPool, target, display);
                db.migrate();
                return db;
            } catch (RuntimeException e) {
                closeQuietly(txPool);
                closeQuietly(pool);
                boolean retry = !isAuthenticationError(e) && !isMissingDriver(e)
                        && (Vendor.isTransient(e) || isConcurrentMigration(e));
                if (!retry || System.nanoTime() + backoffMs * 1_000_000 > deadline) {
                    throw new ResultBackendException("cannot open the result backend database " + display
                            + ": " + target.scrub(rootMessage(e)) + advice(target, e), target.scrub(e));
                }
                // another process is opening the same H2 file or migrating the same schema
                LOG.debug("opening {} failed ({}); retrying in {} ms", display, target.scrub(rootMessage(e)), backoffMs);
                sleep(backoffMs);
                backoffMs = Math.min(500, backoffMs * 2);
            }
        }
    }

    private static void closeQuietly(HikariDataSource ds) {
        if (ds != null) {
            try {
                ds.close();
            } catch (RuntimeException ignored) {
                // already failing
            }
        }
    }

    private static HikariConfig poolConfig(DatabaseTarget target, String name, int size, boolean autoCommit) {
        HikariConfig cfg = new HikariConfig();
        cfg.setPoolName(name);
        cfg.setJdbcUrl(target.driverUrl());
        // READ COMMITTED everywhere: MariaDB/MySQL default to REPEATABLE READ, whose gap locks make concurrent
        // inserts of new ids and chord-counter upserts deadlock-prone
        cfg.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        if (target.user() != null) {
            cfg.setUsername(target.user());
        }
        if (target.password() != null) {
            cfg.setPassword(target.password());
        }
        cfg.setAutoCommit(autoCommit);
        cfg.setMaximumPoolSize(size);
        cfg.setMinimumIdle(1);
        cfg.setInitializationFailTimeout(1); // one connection attempt at start; open() retries transient failures
        cfg.setConnectionTimeout(8_000);      // covers an H2 AUTO_SERVER take-over (a few seconds)
        cfg.setValidationTimeout(2_000);
        // H2 reports a dead AUTO_SERVER connection as 90067 etc., not SQLSTATE 08: evict those too
        cfg.setExceptionOverride(new SQLExceptionOverride() {
            @java.lang.Override
            public SQLExceptionOverride.Override adjudicate(SQLException e) {
                return Vendor.isBrokenConnection(e) ? SQLExceptionOverride.Override.MUST_EVICT
                        : SQLExceptionOverride.Override.CONTINUE_EVICT;
            }
        });
        return cfg;
    }

    private static String driverHint(DatabaseTarget target) {
        return switch (target.vendor()) {
            case POSTGRESQL -> "; add org.postgresql:postgresql (and org.flywaydb:flyway-database-postgresql)";
            case MYSQL -> "; add org.mariadb.jdbc:mariadb-java-client or com.mysql:mysql-connector-j"
                    + " (and org.flywaydb:flyway-mysql)";
            case SQLITE -> "; add org.xerial:sqlite-jdbc";
            default -> "; add the JDBC driver to the class path";
        };
    }

    private void migrate() {
        Flyway.configure(Database.class.getClassLoader())
                .dataSource(pool)
                .table(HISTORY_TABLE)
                .locations(LOCATION)
                .failOnMissingLocations(true)
                // the schema may already hold other tables (transport-sql shares the H2 file):
                // baseline below V1 so that V1 still runs
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .placeholders(target.vendor().placeholders())
                .load()
                .migrate();
    }

    private static String advice(DatabaseTarget target, Throwable e) {
        if (isAuthenticationError(e)) {
            return " (check the user and password of the URL)";
        }
        if (isMissingDriver(e)) {
            return driverHint(target);
        }
        return "";
    }

    /** No JDBC driver on the class path accepts the URL (DriverManager's 08001 "No suitable driver"). */
    private static boolean isMissingDriver(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
            String m = String.valueOf(x.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (x instanceof ClassNotFoundException || m.contains("suitable driver")
                    || m.contains("failed to get driver instance")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isAuthenticationError(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            if (x instanceof SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("28")) {
                return true;
            }
        }
        return false;
    }

    /** Two processes creating the history table or the tables at the same time. */
    private static boolean isConcurrentMigration(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            if (x instanceof SQLException s && s.getSQLState() != null
                    && (s.getSQLState().equals("42S01") || s.getSQLState().equals("42P07") || Vendor.isDuplicateKey(s))) {
                return true;
            }
            String m = x.getMessage();
            if (m != null && m.toLowerCase(java.util.Locale.ROOT).contains("already exists")) {
                return true;
            }
        }
        return false;
    }

    static String rootMessage(Throwable t) {
        Throwable x = t;
        while (x.getCause() != null && x.getCause() != x) {
            x = x.getCause();
        }
        return String.valueOf(x.getMessage());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResultBackendException("interrupted while opening the result backend database", e);
        }
    }

    /**
     * Runs {@code work} on a pooled connection in auto-commit mode, once more on a fresh connection when
     * the first attempt failed transiently (see {@link Vendor#isTransient}).
     *
     * @param what what is being done, for the error message ("reading task abc")
     * @throws ResultBackendException when both attempts fail, or the first one fails for good
     */
    <T> T withConnection(String what, Work<T> work) {
        return run(what, false, work);
    }

    /** Like {@link #withConnection} but in one transaction, committed when {@code work} returns. */
    <T> T inTransaction(String what, Work<T> work) {
        return run(what, true, work);
    }

    private <T> T run(String what, boolean transaction, Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                return attempt(transaction, work);
            } catch (SQLException | RuntimeException e) {
                if (e instanceof ResultBackendException rbe) {
                    throw rbe;
                }
                if (attempt == 1 && Vendor.isTransient(e)) {
                    LOG.debug("{} failed transiently on {} ({}); retrying once", what, display,
                            target.scrub(rootMessage(e)));
                    continue;
                }
                throw new ResultBackendException(what + " failed on " + display + ": " + target.scrub(rootMessage(e)),
                        target.scrub(e));
            }
        }
    }

    private <T> T attempt(boolean transaction, Work<T> work) throws SQLException {
        if (!transaction) {
            try (Connection c = pool.getConnection()) {
                return work.run(c);
            }
        }
        try (Connection c = txPool.getConnection()) {
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }

    Vendor vendor() {
        return target.vendor();
    }

    DatabaseTarget target() {
        return target;
    }

    /** The masked URL. */
    String display() {
        return display;
    }

    @Override
    public void close() {
        try {
            txPool.close();
        } finally {
            pool.close();
        }
    }
}
