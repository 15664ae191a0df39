package org.celeriac.backend.jdbc;

import org.celeriac.testsupport.ExternalDatabases;

/** The result-backend TCK on PostgreSQL (schema {@code celeriac_bjdbc_tck}; skipped when down, failed on CI). */
class PostgresJdbcResultBackendTckTest extends AbstractJdbcResultBackendTck {
    @Override
    protected String databaseUrl() {
        return ExternalDatabases.postgres("celeriac_bjdbc_tck");
    }
}
