package org.celeriac.transport.sql;

import java.sql.SQLException;
import java.util.Set;

/** Classifies JDBC failures: which ones a retry (on a fresh connection) may cure. Stateless. */
final class SqlErrors {
    /** H2 codes seen while the AUTO_SERVER host changes or the file is opened by two processes at once. */
    private static final Set<Integer> H2_TRANSIENT = Set.of(
            90020,  // DATABASE_ALREADY_OPEN_1
            90067,  // CONNECTION_BROKEN_1 (the AUTO_SERVER host process exited)
            90098,  // DATABASE_IS_CLOSED
            90121,  // DATABASE_CALLED_AT_SHUTDOWN
            90135,  // DATABASE_IS_IN_EXCLUSIVE_MODE
            50200,  // LOCK_TIMEOUT_1
            40001,  // DEADLOCK_1
            90131); // CONCURRENT_UPDATE_1

    /** H2 codes after which a pooled connection is dead and must be dropped. */
    private static final Set<Integer> H2_FATAL = Set.of(90067, 90098, 90121, 90028, 90031);

    private SqlErrors() {
    }

    /**
     * The innermost {@link SQLException} in the cause chain (the driver's own error rather than a pool's
     * wrapper such as HikariCP's "connection is not available"), or null.
     */
    static SQLException sqlCause(Throwable t) {
        SQLException found = null;
        int depth = 0;
        for (Throwable c = t; c != null && depth < 20; c = c.getCause(), depth++) {
            if (c instanceof SQLException s) {
                found = s;
            }
        }
        return found;
    }

    /** True when retrying the same work later (usually on another connection) may succeed. */
    static boolean isTransient(Throwable t) {
        SQLException s = sqlCause(t);
        if (s == null) {
            return false;
        }
        String state = s.getSQLState();
        boolean lockFile = s.getErrorCode() == 8000 // ERROR_OPENING_DATABASE_1: "Lock file recently modified"
                && String.valueOf(s.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("lock");
        boolean mariaDbLock = s.getErrorCode() == 1205 || s.getErrorCode() == 1213; // lock wait timeout, deadlock
        return lockFile || mariaDbLock || H2_TRANSIENT.contains(s.getErrorCode())
                || (state != null && (state.startsWith("08") || state.startsWith("40") || state.equals("57P01")))
                || s instanceof java.sql.SQLTransientException || s instanceof java.sql.SQLRecoverableException;
    }

    /** True when the connection that raised it is broken. */
    static boolean isFatalForConnection(SQLException s) {
        return H2_FATAL.contains(s.getErrorCode());
    }

    /** True for a unique or primary key violation (SQLState 23505 on H2 and PostgreSQL, 23000 on MariaDB). */
    static boolean isDuplicateKey(Throwable t) {
        SQLException s = sqlCause(t);
        return s != null && s.getSQLState() != null
                && (s.getSQLState().equals("23505") || (s.getSQLState().equals("23000") && s.getErrorCode() == 1062));
    }
}
