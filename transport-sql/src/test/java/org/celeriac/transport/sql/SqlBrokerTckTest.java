package org.celeriac.transport.sql;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Message;
import org.celeriac.tck.BrokerTck;

/**
 * The broker TCK against the SQL transport on an H2 file: a 2 s visibility timeout so the crash rule
 * runs, a 20 ms polling interval, restart = close and reopen the file.
 */
class SqlBrokerTckTest extends BrokerTck {
    private final String url;

    SqlBrokerTckTest() throws IOException {
        url = TestSupport.h2Url(Files.createTempDirectory("celeriac-sql-tck"));
    }

    @Override
    protected Broker createBroker() {
        return TestSupport.open(url, Map.of("visibility_timeout", 2));
    }

    @Override
    protected void crashConsumer(Broker broker, Consumer consumer) {
        ((SqlBroker) broker).crash(consumer);
    }

    @Override
    protected Broker restartBroker(Broker broker) {
        broker.close();
        return createBroker();
    }

    @Override
    protected Optional<List<Message>> deadLetters(Broker broker, String queue) {
        return Optional.of(((SqlBroker) broker).deadLetters(queue));
    }

    @Override
    protected Duration quietPeriod() {
        return Duration.ofMillis(300);
    }
}
