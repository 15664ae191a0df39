package org.celeriac.transport.sql;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** {@link AbstractSqlLeaseTest} on an H2 file. */
class H2SqlLeaseTest extends AbstractSqlLeaseTest {
    private String url;

    @Override
    protected String url() {
        if (url == null) {
            try {
                Database.bindH2ToLoopback();
                url = TestSupport.h2Url(Files.createTempDirectory("celeriac-sql-lease"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return url;
    }
}
