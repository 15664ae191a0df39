package org.celeriac.transport.sql;

import java.nio.file.Path;

/** {@link ThroughputTest} on H2. */
class H2ThroughputTest extends ThroughputTest {
    @Override
    protected String url(Path dir) {
        return TestSupport.h2Url(dir);
    }

    @Override
    protected String name() {
        return "H2";
    }
}
