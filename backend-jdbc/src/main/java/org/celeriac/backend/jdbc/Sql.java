package org.celeriac.backend.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** Small SQL text helpers shared by this package. Stateless. */
final class Sql {
    /** The most ids in one {@code IN (...)} list (well under every vendor's parameter limit). */
    static final int MAX_IN = 500;

    private Sql() {
    }

    /** {@code ?, ?, ?} with {@code n} markers; {@code n} positive. */
    static String placeholders(int n) {
        StringBuilder sb = new StringBuilder(n * 3);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "?" : ", ?");
        }
        return sb.toString();
    }

    /** Binds the parameters of a statement. */
    @FunctionalInterface
    interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    /**
     * A portable upsert in auto-commit mode: UPDATE; when no row matched, INSERT; when the INSERT hits a
     * duplicate key (another writer inserted first), UPDATE again.
     *
     * @return the rows changed by the last statement (0 when the final UPDATE matched nothing)
     */
    static int upsert(Connection c, String update, Binder updateBinder, String insert, Binder insertBinder)
            throws SQLException {
        int n = execute(c, update, updateBinder);
        if (n > 0) {
            return n;
        }
        try {
            return execute(c, insert, insertBinder);
        } catch (SQLException e) {
            if (!Vendor.isDuplicateKey(e)) {
                throw e;
            }
            return execute(c, update, updateBinder);
        }
    }

    static int execute(Connection c, String sql, Binder binder) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            return ps.executeUpdate();
        }
    }

    /** True when {@code t} was caused by a duplicate-key {@link SQLException}. */
    static boolean isDuplicateKey(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            if (x instanceof SQLException s && Vendor.isDuplicateKey(s)) {
                return true;
            }
        }
        return false;
    }
}
