package org.celeriac.interop;

import java.nio.file.Path;
import java.util.Map;
import org.celeriac.core.config.EmbeddedDefault;
import org.junit.jupiter.api.io.TempDir;

/** {@link FeaturesWorkerCases} on the embedded default: H2 through the SQL transport and the JDBC result backend. */
class FeaturesEmbeddedDefaultTest extends FeaturesWorkerCases {
    @TempDir
    static Path dir;

    @Override
    String url() {
        return EmbeddedDefault.at(dir).url();
    }

    @Override
    Map<String, Object> extraSettings() {
        return Map.of("celeriac_data_dir", dir.toString());
    }
}
