package org.celeriac.transport.sql;

import org.celeriac.testsupport.ExternalDatabases;

/** {@link AbstractSqlLeaseTest} on MariaDB (database {@code celeriac_tsql_lease}). */
class MariaDbSqlLeaseTest extends AbstractSqlLeaseTest {
    @Override
    protected String url() {
        return ExternalDatabases.mariadb("celeriac_tsql_lease");
    }
}
