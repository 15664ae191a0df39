package org.celeriac.transport.sql;

import org.celeriac.testsupport.ExternalDatabases;

/** The broker TCK on PostgreSQL (schema {@code celeriac_tsql_tck}; skipped when the server is down, failed on CI). */
class PostgresSqlBrokerTckTest extends AbstractSqlBrokerTck {
    @Override
    protected String databaseUrl() {
        return ExternalDatabases.postgres("celeriac_tsql_tck");
    }
}
