package org.celeriac.backend.jdbc;

import java.time.Duration;
import java.util.Map;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.tck.ResultBackendTck;
import org.celeriac.tck.TckConfiguration;
import org.celeriac.tck.TckSecondProcess;

/**
 * The result-backend TCK against backend-jdbc, one subclass per database (JobRunr's StorageProviderTest
 * layering): reopen/restart = a new backend on the same database, cross-process results written by a
 * second JVM through the TCK's launcher. The TCK's random task ids keep classes sharing a database apart.
 */
abstract class AbstractJdbcResultBackendTck extends ResultBackendTck {
    private String url;

    /** The JDBC URL of this database; may skip (or fail on CI) when the server is down. */
    protected abstract String databaseUrl();

    final String url() {
        if (url == null) {
            url = databaseUrl();
        }
        return url;
    }

    @Override
    protected ResultBackend createBackend() {
        return TestBackends.open(url(), Map.of());
    }

    @Override
    protected ResultBackend createBackend(Duration resultExpires) {
        return TestBackends.open(url(), Map.of("result_expires", resultExpires.toMillis() / 1000.0));
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
        TckSecondProcess.store(TckConfiguration.empty().withResultBackend(url()), meta, Duration.ofSeconds(60));
    }
}
