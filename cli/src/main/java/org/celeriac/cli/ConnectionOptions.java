package org.celeriac.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.celeriac.core.Celeriac;
import picocli.CommandLine.Option;

/**
 * The options every subcommand shares: where the broker and the result backend are, and a config
 * file. Unset means the configuration sources decide (config file, {@code CELERIAC_*} environment,
 * {@code -Dceleriac.*} system properties), and with nothing configured at all the embedded H2 default.
 */
final class ConnectionOptions {

    @Option(names = {"-b", "--broker"}, paramLabel = "URL",
            description = "Broker URL (setting broker_url), e.g. redis://localhost:6379/0. "
                    + "Default: the configuration, else the embedded H2 database.")
    String broker;

    @Option(names = "--result-backend", paramLabel = "URL",
            description = "Result backend URL (setting result_backend). "
                    + "Default: the configuration, else the embedded H2 database.")
    String resultBackend;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A config file: .properties, .yaml or a celeryconfig.py of simple assignments.")
    Path config;

    /** A builder carrying these options (the builder's own sources fill in the rest). */
    Celeriac.Builder builder(ClassLoader loader) {
        Celeriac.Builder b = Celeriac.builder().classLoader(loader);
        if (config != null) {
            b.configFile(config);
        }
        if (broker != null) {
            b.set("broker_url", broker);
        }
        if (resultBackend != null) {
            b.set("result_backend", resultBackend);
        }
        return b;
    }

    /** The same options as command-line arguments (for a child process such as the demo's worker). */
    List<String> asArguments() {
        List<String> out = new ArrayList<>();
        if (broker != null) {
            out.add("--broker=" + broker);
        }
        if (resultBackend != null) {
            out.add("--result-backend=" + resultBackend);
        }
        if (config != null) {
            out.add("--config=" + config.toAbsolutePath());
        }
        return out;
    }
}
