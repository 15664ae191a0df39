package org.celeriac.backend.jdbc;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.tck.ResultBackendTck;
import org.celeriac.tck.TckConfiguration;
import org.celeriac.tck.TckSecondProcess;

/**
 * The result-backend TCK against backend-jdbc on an H2 file: reopen/restart = a new backend on the same
 * file, cross-process results written by a second JVM through the TCK's launcher.
 */
class JdbcResultBackendTckTest extends ResultBackendTck {
    private final String url;

    JdbcResultBackendTckTest() throws IOException {
        url = TestBackends.url(Files.createTempDirectory("celeriac-jdbc-tck"));
    }

    @Override
    protected ResultBackend createBackend() {
        return TestBackends.open(url, Map.of());
    }

    @Override
    protected ResultBackend createBackend(Duration resultExpires) {
        return TestBackends.open(url, Map.of("result_expires", resultExpires.toMillis() / 1000.0));
    }

    @Override
    protected ResultBackend reopenBackend() {
        return createBackend();
    }

    @Override
    protected ResultBackend restartBackend(ResultBackend backend) {
        backend.close();
        return createBackend();
    }

    @Override
    protected void storeInAnotherProcess(TaskMeta meta) {
        TckSecondProcess.store(TckConfiguration.empty().withResultBackend(url), meta, Duration.ofSeconds(60));
    }
}
