package org.celeriac.transport.sql;

import org.celeriac.testsupport.ExternalDatabases;

/** {@link AbstractSqlVendorTest} on MariaDB (database {@code celeriac_tsql_vendor}), through {@code jdbc:mariadb:}. */
class MariaDbSqlVendorTest extends AbstractSqlVendorTest {
    @Override
    protected String url() {
        return ExternalDatabases.mariadb("celeriac_tsql_vendor");
    }
}
