package org.celeriac.transport.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.broker.PublishOptions;
import org.celeriac.spi.broker.Subscription;
import org.junit.jupiter.api.Test;

/**
 * SQL-transport behaviour beyond the TCK, run on each database (one subclass per database): broadcast
 * between two brokers and its lazy expiry, transactional publish (the outbox) on the caller's connection.
 */
abstract class AbstractSqlVendorTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    /** The JDBC URL of this database (with credentials); may skip, or fail on CI, when the server is down. */
    protected abstract String url();

    /** A plain JDBC connection to the same database, auto-commit off. */
    protected Connection connect() throws Exception {
        Connection c = DriverManager.getConnection(JdbcTarget.from(org.celeriac.spi.ConnectionUrl.parse(url())).driverUrl());
        c.setAutoCommit(false);
        return c;
    }

    static Message message(String id) {
        return new Message(Map.of("id", id), MessageProperties.builder().contentType("application/json").build(),
                id.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void broadcastReachesTheSubscribersOfAnotherBrokerAndExpiredRowsAreDeletedLazily() throws Exception {
        String exchange = "fan-" + UUID.randomUUID();
        try (Broker publisher = TestSupport.open(url(), Map.of("broadcast_ttl", 1));
             Broker subscriber = TestSupport.open(url(), Map.of())) {
            List<String> got = new CopyOnWriteArrayList<>();
            List<String> other = new CopyOnWriteArrayList<>();
            try (Subscription s = subscriber.subscribeBroadcast(exchange, (rk, m) -> got.add(rk + ":" + m.headers().get("id")));
                 Subscription t = subscriber.subscribeBroadcast(exchange + "-other", (rk, m) -> other.add(rk))) {
                for (int i = 0; i < 20; i++) {
                    publisher.publishBroadcast(exchange, "k" + i, message("b" + i)).join();
                }
                await().atMost(WAIT).until(() -> got.size() >= 20);
                assertThat(got).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 20)
                        .mapToObj(i -> "k" + i + ":b" + i).toList());
                assertThat(other).isEmpty();
            }
            // once older than broadcast_ttl, a later broadcast's transaction deletes them
            long before = count("select count(*) from celeriac_broadcast where exchange = '" + exchange + "'");
            assertThat(before).isEqualTo(20);
            await().pollDelay(Duration.ofMillis(1100)).atMost(WAIT).until(() -> {
                publisher.publishBroadcast(exchange + "-tick", "t", message("t")).join();
                return count("select count(*) from celeriac_broadcast where exchange = '" + exchange + "'") == 0;
            });
        }
    }

    @Test
    void transactionalPublishIsDeliveredOnlyAfterTheCallerCommits() throws Exception {
        String queue = "tx-" + UUID.randomUUID();
        try (Broker broker = TestSupport.open(url(), Map.of()); Connection c = connect()) {
            List<String> got = new CopyOnWriteArrayList<>();
            try (Consumer consumer = broker.consume(List.of(queue), 10, d -> got.add((String) d.message().headers().get("id")))) {
                broker.publish("", queue, message("rolled-back"), new PublishOptions(null, c)).join();
                c.rollback();
                broker.publish("", queue, message("committed"), new PublishOptions(null, c)).join();
                assertThat(broker.messageCount(queue)).isZero(); // not visible before the commit
                c.commit();
                await().atMost(WAIT).until(() -> got.contains("committed"));
                assertThat(got).containsExactly("committed");
            }
        }
    }

    long count(String sql) throws Exception {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
