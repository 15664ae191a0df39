package org.celeriac.transport.sql;

import org.celeriac.testsupport.ExternalDatabases;

/**
 * The broker TCK on MariaDB (database {@code celeriac_tsql_tck}; skipped when the server is down, failed
 * on CI). Through a {@code jdbc:mysql:} URL, which the MariaDB driver serves.
 */
class MariaDbSqlBrokerTckTest extends AbstractSqlBrokerTck {
    @Override
    protected String databaseUrl() {
        return ExternalDatabases.mariadb("celeriac_tsql_tck").replace("jdbc:mariadb:", "jdbc:mysql:");
    }
}
