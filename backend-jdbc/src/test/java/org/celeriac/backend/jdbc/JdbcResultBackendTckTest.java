package org.celeriac.backend.jdbc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** The result-backend TCK on an H2 file (the embedded default). */
class JdbcResultBackendTckTest extends AbstractJdbcResultBackendTck {
    @Override
    protected String databaseUrl() {
        try {
            return TestBackends.url(Files.createTempDirectory("celeriac-jdbc-tck"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
