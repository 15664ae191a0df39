package org.celeriac.interop;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.celeriac.core.config.EmbeddedDefault;
import org.celeriac.spi.ConnectionUrl;

/**
 * The three databases of the SQL transport for end-to-end tests: H2 (the embedded default, a file in a test's
 * temporary directory), PostgreSQL (127.0.0.1:5432, database {@code test}, trust) and MariaDB (127.0.0.1:3306, root
 * without password), or {@code CELERIAC_TEST_POSTGRES_URL} / {@code CELERIAC_TEST_MARIADB_URL}. A test class gets a
 * schema (PostgreSQL) or database (MariaDB) of its own, created if missing and never dropped. A server that is down
 * skips the test with the reason and the command that starts it, or fails it when {@code CI=true}.
 *
 * <p>The same rules as test-support's {@code ExternalDatabases}, which interop-tests does not depend on.
 */
enum SqlDatabases {
    H2, POSTGRESQL, MARIADB;

    private static final String POSTGRES = env("CELERIAC_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    private static final String MARIADB_URL = env("CELERIAC_TEST_MARIADB_URL", "jdbc:mariadb://127.0.0.1:3306/test?user=root");
    private static final Map<String, String> DOWN = new ConcurrentHashMap<>();

    private static String env(String name, String def) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? def : v;
    }

    /**
     * A JDBC URL of this database for a test class: the broker URL, the result backend URL, and what
     * {@link DriverManager#getConnection(String)} opens for the caller's own transaction.
     *
     * @param dir the test's temporary directory (H2's file lives there)
     * @param name the schema (PostgreSQL) or database (MariaDB) of the test class
     */
    String url(Path dir, String name) {
        return switch (this) {
            case H2 -> EmbeddedDefault.at(dir.resolve(name)).url();
            case POSTGRESQL -> {
                require("PostgreSQL", POSTGRES, "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start");
                execute(POSTGRES, "create schema if not exists " + name);
                yield POSTGRES + (POSTGRES.contains("?") ? "&" : "?") + "currentSchema=" + name;
            }
            case MARIADB -> {
                require("MariaDB", MARIADB_URL, "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd");
                execute(MARIADB_URL, "create database if not exists " + name);
                int slash = MARIADB_URL.indexOf('/', "jdbc:mariadb://".length());
                int q = MARIADB_URL.indexOf('?', slash);
                yield MARIADB_URL.substring(0, slash + 1) + name + (q < 0 ? "" : MARIADB_URL.substring(q));
            }
        };
    }

    static void execute(String url, String sql) {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute(sql);
            if (!c.getAutoCommit()) {
                c.commit();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " on " + ConnectionUrl.mask(url) + ": " + e, e);
        }
    }

    private static void require(String name, String url, String howToStart) {
        String reason = DOWN.computeIfAbsent(url, u -> {
            DriverManager.setLoginTimeout(3);
            try (Connection c = DriverManager.getConnection(u)) {
                return "";
            } catch (SQLException e) {
                return name + " is not reachable at " + ConnectionUrl.mask(u) + " (" + e.getMessage()
                        + "); start it with: " + howToStart;
            }
        });
        if (!reason.isEmpty()) {
            Interop.unavailable(reason);
        }
    }
}
