package org.celeriac.transport.sql;

import com.zaxxer.hikari.SQLExceptionOverride;
import java.sql.SQLException;

/**
 * Tells HikariCP to drop a pooled connection after H2's "connection broken" family of errors (e.g.
 * when the process hosting an {@code AUTO_SERVER=TRUE} database exits), which Hikari's SQLState rules
 * do not recognise. Hikari instantiates it by class name; it is public for that reason only, not an API.
 * Stateless and thread-safe.
 */
public final class H2ExceptionOverride implements SQLExceptionOverride {

    /** Used by HikariCP. */
    public H2ExceptionOverride() {
    }

    @java.lang.Override
    public SQLExceptionOverride.Override adjudicate(SQLException e) {
        return SqlErrors.isFatalForConnection(e) ? SQLExceptionOverride.Override.MUST_EVICT
                : SQLExceptionOverride.Override.CONTINUE_EVICT;
    }
}
