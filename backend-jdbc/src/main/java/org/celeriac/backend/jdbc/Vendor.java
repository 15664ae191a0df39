package org.celeriac.backend.jdbc;

import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;

/**
 * The databases this backend knows, with the column types the one portable migration script needs
 * (Flyway placeholders {@code ${bytes}}, {@code ${text}}, {@code ${timestamp}}). Immutable.
 */
enum Vendor {
    H2("BLOB", "CLOB", "TIMESTAMP(6)"),
    POSTGRESQL("BYTEA", "TEXT", "TIMESTAMP(6)"),
    MYSQL("LONGBLOB", "LONGTEXT", "DATETIME(6)"),
    SQLITE("BLOB", "TEXT", "TIMESTAMP"),
    OTHER("BLOB", "CLOB", "TIMESTAMP");

    private final String bytes;
    private final String text;
    private final String timestamp;

    Vendor(String bytes, String text, String timestamp) {
        this.bytes = bytes;
        this.text = text;
        this.timestamp = timestamp;
    }

    /** The vendor of a JDBC URL ({@code jdbc:h2:...}, {@code jdbc:postgresql:...}). */
    static Vendor ofJdbcUrl(String jdbcUrl) {
        String u = jdbcUrl.toLowerCase(Locale.ROOT);
        if (u.startsWith("jdbc:h2:")) {
            return H2;
        }
        if (u.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        if (u.startsWith("jdbc:mysql:") || u.startsWith("jdbc:mariadb:")) {
            return MYSQL;
        }
        if (u.startsWith("jdbc:sqlite:")) {
            return SQLITE;
        }
        return OTHER;
    }

    /** The Flyway placeholders of the migration scripts. */
    Map<String, String> placeholders() {
        return Map.of("bytes", bytes, "text", text, "timestamp", timestamp);
    }

    /** A primary-key (or unique) violation: SQLSTATE class 23 (all vendors; MySQL 23000/1062). */
    static boolean isDuplicateKey(SQLException e) {
        for (SQLException x = e; x != null; x = x.getNextException()) {
            String state = x.getSQLState();
            if (state != null && state.startsWith("23")) {
                return true;
            }
        }
        return false;
    }

    /**
     * An error after which the same operation may succeed on a fresh connection or a second try: a
     * broken connection (the H2 AUTO_SERVER host exited), a lock timeout, a deadlock, or the
     * "lock file recently modified / already in use" race of two processes opening one H2 file.
     */
    static boolean isTransient(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            if (x instanceof java.sql.SQLTransientException || x instanceof java.sql.SQLRecoverableException) {
                return true;
            }
            if (x instanceof SQLException e) {
                if (isBrokenConnection(e)) {
                    return true;
                }
                String state = e.getSQLState();
                if (state != null && (state.equals("40001") || state.equals("40P01") || state.equals("HYT00"))) {
                    return true;
                }
                int code = e.getErrorCode();
                // H2: 8000 ERROR_OPENING_DATABASE ("Lock file recently modified"), 90020 DATABASE_ALREADY_OPEN,
                // 50200 LOCK_TIMEOUT, 40001 DEADLOCK
                if (code == 8000 || code == 90020 || code == 50200) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The connection itself is unusable (Hikari must evict it): SQLSTATE class 08, or H2's
     * 90067 CONNECTION_BROKEN, 90098 DATABASE_IS_CLOSED, 90121 DATABASE_CALLED_AT_SHUTDOWN,
     * 90028/90031 IO_EXCEPTION.
     */
    static boolean isBrokenConnection(SQLException e) {
        String state = e.getSQLState();
        if (state != null && state.startsWith("08")) {
            return true;
        }
        return switch (e.getErrorCode()) {
            case 90067, 90098, 90121, 90028, 90031 -> true;
            default -> false;
        };
    }
}
