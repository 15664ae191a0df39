package org.celeriac.examples.filebroker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.tck.BrokerTck;

// tag::tck[]
/**
 * Certifies the filesystem broker: the whole broker TCK, with the crash, restart and redelivery hooks.
 * Skipped by capability: priorities (B-9.1, B-9.2), delayed delivery (B-10.1, B-10.2), broadcast
 * (B-11.1, B-11.2) and dead letters (B-3.4).
 */
class FileBrokerTckTest extends BrokerTck {
    private final Path directory = temporaryDirectory();

    @Override
    protected Broker createBroker() {
        // a 2 s visibility timeout, so the crash rule (B-5.3) runs in seconds
        ConnectionUrl url = ConnectionUrl.parse("filesystem://" + directory + "?visibility_timeout=2&polling_interval=0.02");
        return new FileBrokerProvider().create(url, Settings.of(Map.of()), null);
    }

    @Override
    protected void crashConsumer(Broker broker, Consumer consumer) {
        ((FileConsumer) consumer).abandon(); // threads and heartbeats stop; the claimed files stay
    }

    @Override
    protected Broker restartBroker(Broker broker) {
        broker.close();
        return createBroker(); // a new broker on the same directory: what was published must still be there
    }
    // end::tck[]

    private static Path temporaryDirectory() {
        try {
            return Files.createTempDirectory("celeriac-filebroker-tck");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
