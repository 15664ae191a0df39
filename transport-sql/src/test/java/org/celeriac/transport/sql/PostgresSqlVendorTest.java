package org.celeriac.transport.sql;

import org.celeriac.testsupport.ExternalDatabases;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.PublishOptions;
import org.junit.jupiter.api.Test;

/** {@link AbstractSqlVendorTest} on PostgreSQL (schema {@code celeriac_tsql_vendor}), plus LISTEN/NOTIFY. */
class PostgresSqlVendorTest extends AbstractSqlVendorTest {
    @Override
    protected String url() {
        return ExternalDatabases.postgres("celeriac_tsql_vendor");
    }

    @Test
    void notifyWakesAnIdleConsumerLongBeforeItsPollingInterval() throws Exception {
        String queue = "notify-" + UUID.randomUUID();
        // polling every 10 s: only NOTIFY can deliver within the 1.5 s below. A transactional publish on a
        // plain connection does not go through this JVM's writer, so no in-process wake-up helps.
        try (Broker broker = TestSupport.open(url(), Map.of("polling_interval", 10, "listen_interval", 10));
             Connection c = connect()) {
            List<String> got = new CopyOnWriteArrayList<>();
            try (Consumer consumer = broker.consume(List.of(queue), 10, d -> got.add((String) d.message().headers().get("id")))) {
                // idle long enough for the consumer's back-off to reach ~4 s waits (1 ms doubling): without
                // NOTIFY the message would wait for the end of the current wait (about 8 s after start)
                await().pollDelay(Duration.ofMillis(4500)).atMost(Duration.ofSeconds(6)).until(() -> true);
                broker.publish("", queue, message("woken"), new PublishOptions(null, c)).join();
                c.commit();
                long t0 = System.nanoTime();
                await().atMost(Duration.ofMillis(1500)).until(() -> got.contains("woken"));
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(1500));
            }
        }
    }
}
