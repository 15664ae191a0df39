package org.celeriac.transport.sql;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** The broker TCK on an H2 file (the embedded default). */
class SqlBrokerTckTest extends AbstractSqlBrokerTck {
    @Override
    protected String databaseUrl() {
        try {
            return TestSupport.h2Url(Files.createTempDirectory("celeriac-sql-tck"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
