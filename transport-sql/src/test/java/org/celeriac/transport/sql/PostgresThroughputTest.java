package org.celeriac.transport.sql;

import org.celeriac.testsupport.ExternalDatabases;
import java.nio.file.Path;

/** {@link ThroughputTest} on PostgreSQL. */
class PostgresThroughputTest extends ThroughputTest {
    @Override
    protected String url(Path dir) {
        return ExternalDatabases.postgres("celeriac_tsql_bench");
    }

    @Override
    protected String name() {
        return "PostgreSQL";
    }
}
