package org.celeriac.transport.sql;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Message;
import org.celeriac.tck.BrokerTck;

/**
 * The broker TCK against the SQL transport, one subclass per database (JobRunr's StorageProviderTest
 * layering): a 1 s heartbeat lease ({@code lease_timeout}) so the crash rule runs, a 20 ms polling interval, restart = close
 * and reopen. The TCK's random queue names keep classes sharing a database apart.
 */
abstract class AbstractSqlBrokerTck extends BrokerTck {
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
    protected Broker createBroker() {
        return TestSupport.open(url(), Map.of("lease_timeout", 1));
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
