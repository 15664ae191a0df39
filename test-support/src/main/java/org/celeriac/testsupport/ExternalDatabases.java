package org.celeriac.testsupport;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL (127.0.0.1:5432, database {@code test}, trust auth) and MariaDB (127.0.0.1:3306, root
 * without password) the tests use. A test class gets a schema (PostgreSQL) or database (MariaDB) of its
 * own, created if missing and never dropped. When the server is down the test is skipped with the reason,
 * or fails when {@code CI=true}. Overridable with {@code CELERIAC_TEST_POSTGRES_URL} /
 * {@code CELERIAC_TEST_MARIADB_URL} (a JDBC URL of an existing database, with credentials).
 */
public final class ExternalDatabases {
    public static final String POSTGRES = env("CELERIAC_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    public static final String MARIADB = env("CELERIAC_TEST_MARIADB_URL", "jdbc:mariadb://127.0.0.1:3306/test?user=root");
    private static final Map<String, String> DOWN = new ConcurrentHashMap<>();

    private ExternalDatabases() {
    }

    private static String env(String name, String def) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? def : v;
    }

    /** A PostgreSQL URL whose current schema is {@code schema} (created if missing). */
    public static String postgres(String schema) {
        require("PostgreSQL", POSTGRES, "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start");
        execute(POSTGRES, "create schema if not exists " + schema);
        return POSTGRES + (POSTGRES.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    /** A MariaDB URL on database {@code database} (created if missing). */
    public static String mariadb(String database) {
        require("MariaDB", MARIADB, "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd");
        execute(MARIADB, "create database if not exists " + database);
        int slash = MARIADB.indexOf('/', "jdbc:mariadb://".length());
        int q = MARIADB.indexOf('?', slash);
        return MARIADB.substring(0, slash + 1) + database + (q < 0 ? "" : MARIADB.substring(q));
    }

    public static void execute(String url, String sql) {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute(sql);
            if (!c.getAutoCommit()) {
                c.commit();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " on " + org.celeriac.spi.ConnectionUrl.mask(url) + ": " + e, e);
        }
    }

    private static void require(String name, String url, String howToStart) {
        String reason = DOWN.computeIfAbsent(url, u -> {
            DriverManager.setLoginTimeout(3);
            try (Connection c = DriverManager.getConnection(u)) {
                return "";
            } catch (SQLException e) {
                return name + " is not reachable at " + org.celeriac.spi.ConnectionUrl.mask(u) + " (" + e.getMessage()
                        + "); start it with: " + howToStart;
            }
        });
        if (reason.isEmpty()) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("CI=true, so this is a failure, not a skip: " + reason);
        }
        Assumptions.abort(reason);
    }
}
