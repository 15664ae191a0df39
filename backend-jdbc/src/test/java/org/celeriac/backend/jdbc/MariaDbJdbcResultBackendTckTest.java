package org.celeriac.backend.jdbc;

import org.celeriac.testsupport.ExternalDatabases;

/**
 * The result-backend TCK on MariaDB (database {@code celeriac_bjdbc_tck}; skipped when down, failed on CI),
 * through a {@code jdbc:mysql:} URL served by the MariaDB driver.
 */
class MariaDbJdbcResultBackendTckTest extends AbstractJdbcResultBackendTck {
    @Override
    protected String databaseUrl() {
        return ExternalDatabases.mariadb("celeriac_bjdbc_tck").replace("jdbc:mariadb:", "jdbc:mysql:");
    }
}
