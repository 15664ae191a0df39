package org.celeriac.transport.sql;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** {@link AbstractSqlVendorTest} on an H2 file. */
class H2SqlVendorTest extends AbstractSqlVendorTest {
    private String url;

    @Override
    protected String url() {
        if (url == null) {
            try {
                Database.bindH2ToLoopback();
                url = TestSupport.h2Url(Files.createTempDirectory("celeriac-sql-vendor"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return url;
    }
}
