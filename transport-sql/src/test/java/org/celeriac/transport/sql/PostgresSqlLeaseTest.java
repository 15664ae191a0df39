package org.celeriac.transport.sql;

import org.celeriac.testsupport.ExternalDatabases;

/** {@link AbstractSqlLeaseTest} on PostgreSQL (schema {@code celeriac_tsql_lease}). */
class PostgresSqlLeaseTest extends AbstractSqlLeaseTest {
    @Override
    protected String url() {
        return ExternalDatabases.postgres("celeriac_tsql_lease");
    }
}
