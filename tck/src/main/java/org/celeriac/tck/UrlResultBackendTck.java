package org.celeriac.tck;

import java.time.Duration;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;
import org.junit.jupiter.api.Assumptions;

/**
 * {@link ResultBackendTck} against the backend named by a URL ({@link TckConfiguration#resultBackendUrl()},
 * system property {@value TckConfiguration#RESULT_BACKEND_URL}), found through {@link java.util.ServiceLoader}.
 * This is what {@code celeriac tck --result-backend URL} runs. A second connection and a restart
 * are new backends from the same URL; expiry (R-3.x) adds {@code result_expires} to the
 * settings; the cross-process rule launches a second JVM through {@link TckSecondProcess} when
 * {@link TckConfiguration#secondProcess()} is true, or is null and the backend is persistent.
 */
public class UrlResultBackendTck extends ResultBackendTck {

    /** For JUnit. */
    public UrlResultBackendTck() {
    }

    private static TckConfiguration configuration() {
        return TckContext.configuration();
    }

    @Override
    protected ResultBackend createBackend() {
        String url = configuration().resultBackendUrl();
        Assumptions.assumeTrue(url != null, "no result-backend URL: set -D" + TckConfiguration.RESULT_BACKEND_URL
                + "=URL (or celeriac tck --result-backend URL)");
        return Providers.resultBackend(url, Settings.of(configuration().settings()), TckContext.classLoader());
    }

    @Override
    protected ResultBackend createBackend(Duration resultExpires) {
        TckConfiguration c = configuration().withSetting("result_expires", resultExpires.toMillis() / 1000.0);
        return Providers.resultBackend(c.resultBackendUrl(), Settings.of(c.settings()), TckContext.classLoader());
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
        Boolean enabled = configuration().secondProcess();
        boolean on = enabled != null ? enabled : backend().capabilities().persistent();
        Assumptions.assumeTrue(on, () -> "the cross-process rule is off: the backend is not persistent (a second JVM "
                + "would not see its store); set -D" + TckConfiguration.SECOND_PROCESS + "=true to force it");
        TckSecondProcess.store(configuration(), meta, timeout().multipliedBy(3));
    }
}
