package org.celeriac.transport.sql;

/** {@link AbstractSqlVendorTest} on MariaDB (database {@code celeriac_tsql_vendor}), through {@code jdbc:mariadb:}. */
class MariaDbSqlVendorTest extends AbstractSqlVendorTest {
    @Override
    protected String url() {
        return ExternalDatabases.mariadb("celeriac_tsql_vendor");
    }
}
