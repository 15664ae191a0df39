package org.celeriac.transport.sql;

import org.celeriac.testsupport.ExternalDatabases;
import java.nio.file.Path;

/** {@link ThroughputTest} on MariaDB. */
class MariaDbThroughputTest extends ThroughputTest {
    @Override
    protected String url(Path dir) {
        return ExternalDatabases.mariadb("celeriac_tsql_bench");
    }

    @Override
    protected String name() {
        return "MariaDB";
    }
}
