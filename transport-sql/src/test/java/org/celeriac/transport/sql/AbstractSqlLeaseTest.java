package org.celeriac.transport.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.junit.jupiter.api.Test;

/**
 * Heartbeat leases ({@code celeriac_heartbeat}, {@code lease_timeout}) on each database, one subclass per
 * database: two brokers on one database stand for two workers, with a 1 s lease. A message held longer
 * than three leases stays with its living consumer; a crashed consumer's messages come back within the
 * lease plus one heartbeat interval and the polling wait, also when its JVM is killed with SIGKILL while
 * holding a batch; claims whose owner has no heartbeat are released.
 */
abstract class AbstractSqlLeaseTest {
    private static final Map<String, Object> LEASE = Map.of("lease_timeout", 1);
    private static final Duration LEASE_TIMEOUT = Duration.ofSeconds(1);

    /** The JDBC URL of this database (with credentials); may skip, or fail on CI, when the server is down. */
    protected abstract String url();

    private Connection connect() throws Exception {
        return DriverManager.getConnection(JdbcTarget.from(ConnectionUrl.parse(url())).driverUrl());
    }

    private long count(String sql, String param) throws Exception {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static Message message(String id) {
        return new Message(Map.of("id", id), MessageProperties.builder().contentType("application/json").build(),
                id.getBytes(StandardCharsets.UTF_8));
    }

    private static String queue() {
        return "lease-" + UUID.randomUUID();
    }

    @Test
    void aTaskLongerThanTheLeaseIsDeliveredOnceWhileItsConsumerLives() throws Exception {
        String q = queue();
        try (Broker worker1 = TestSupport.open(url(), LEASE); Broker worker2 = TestSupport.open(url(), LEASE)) {
            worker1.publish("", q, message("long")).join();
            List<Delivery> first = new CopyOnWriteArrayList<>();
            Consumer c1 = worker1.consume(List.of(q), 1, first::add);
            await().atMost(Duration.ofSeconds(20)).until(() -> first.size() == 1);
            List<Delivery> second = new CopyOnWriteArrayList<>();
            try (Consumer c2 = worker2.consume(List.of(q), 1, second::add)) {
                // the "task" runs for more than three leases: the heartbeat keeps the claim with c1
                await().during(LEASE_TIMEOUT.multipliedBy(3).plusMillis(500)).atMost(Duration.ofSeconds(10))
                        .until(second::isEmpty);
                String owner = ((SqlConsumer) c1).heartbeatOwner();
                assertThat(count("select count(*) from celeriac_message where claimed_by = ?", owner)).isEqualTo(1);
                assertThat(count("select count(*) from celeriac_heartbeat where owner = ?", owner)).isEqualTo(1);
                c1.ack(first.get(0));
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> count("select count(*) from celeriac_message where queue = ?", q) == 0);
                assertThat(second).isEmpty();
                assertThat(first.get(0).redelivered()).isFalse();
            }
            c1.close();
            // a closed consumer removes its heartbeat row
            assertThat(count("select count(*) from celeriac_heartbeat where owner = ?",
                    ((SqlConsumer) c1).heartbeatOwner())).isZero();
        }
    }

    @Test
    void aCrashedConsumersMessagesComeBackWithinTheLease() throws Exception {
        String q = queue();
        try (Broker worker1 = TestSupport.open(url(), LEASE); Broker worker2 = TestSupport.open(url(), LEASE)) {
            Duration bound = worker2.capabilities().redeliveryAfterCrash();
            assertThat(bound).isGreaterThanOrEqualTo(LEASE_TIMEOUT).isLessThan(Duration.ofSeconds(3));
            worker1.publish("", q, message("a")).join();
            worker1.publish("", q, message("b")).join();
            List<Delivery> first = new CopyOnWriteArrayList<>();
            Consumer c1 = worker1.consume(List.of(q), 2, first::add);
            await().atMost(Duration.ofSeconds(20)).until(() -> first.size() == 2);
            String owner = ((SqlConsumer) c1).heartbeatOwner();
            List<Delivery> second = new CopyOnWriteArrayList<>();
            try (Consumer c2 = worker2.consume(List.of(q), 2, second::add)) {
                Instant crashed = Instant.now();
                ((SqlBroker) worker1).crash(c1); // no give-back, no more heartbeats
                await().atMost(bound.plusSeconds(10)).until(() -> second.size() == 2);
                Duration took = Duration.between(crashed, Instant.now());
                // within the lease + one heartbeat interval + polling (plus slack for a loaded machine)
                assertThat(took).isLessThan(bound.plusSeconds(2));
                assertThat(second).extracting(TestSupportIds::id).containsExactlyInAnyOrder("a", "b");
                assertThat(second).allMatch(Delivery::redelivered);
                assertThat(count("select count(*) from celeriac_heartbeat where owner = ?", owner)).isZero();
                second.forEach(c2::ack);
            }
        }
    }

    @Test
    void aWorkerKilledWithSigkillMidBatchLosesNothing() throws Exception {
        String q = queue();
        String javaBin = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path err = Files.createTempFile("celeriac-sql-lease-child", ".txt");
        Process child = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
                SecondProcess.class.getName(), url(), q, "hold").redirectError(err.toFile()).start();
        try (Broker worker = TestSupport.open(url(), LEASE)) {
            List<String> childGot = new CopyOnWriteArrayList<>();
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.startsWith("GOT ")) {
                            childGot.add(line.substring(4));
                        }
                    }
                } catch (IOException e) {
                    // the child was killed
                }
            });
            for (int i = 0; i < 5; i++) {
                worker.publish("", q, message("k" + i)).join();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> childGot.size() == 5); // the child holds all five
            child.destroyForcibly(); // SIGKILL: no close, no give-back, no more heartbeats
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Instant killed = Instant.now();
            List<Delivery> got = new CopyOnWriteArrayList<>();
            try (Consumer c = worker.consume(List.of(q), 10, got::add)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> got.size() == 5);
                assertThat(Duration.between(killed, Instant.now()))
                        .isLessThan(worker.capabilities().redeliveryAfterCrash().plusSeconds(5));
                assertThat(got).extracting(TestSupportIds::id).containsExactlyInAnyOrder("k0", "k1", "k2", "k3", "k4");
                assertThat(got).allMatch(Delivery::redelivered);
                got.forEach(c::ack);
            }
            reader.join(5_000);
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void claimsWhoseOwnerHasNoHeartbeatAreReleasedBySweep() throws Exception {
        String q = queue();
        try (Broker worker = TestSupport.open(url(), LEASE)) {
            worker.publish("", q, message("orphan")).join();
            // a claim by a consumer whose heartbeat row is gone (its process died after losing it)
            try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
                    "update celeriac_message set claimed_by = ?, lease_until = ?, delivery_count = 1 where queue = ?")) {
                ps.setString(1, "ghost-" + UUID.randomUUID());
                ps.setLong(2, Long.MAX_VALUE);
                ps.setString(3, q);
                assertThat(ps.executeUpdate()).isEqualTo(1);
                if (!c.getAutoCommit()) {
                    c.commit();
                }
            }
            assertThat(worker.messageCount(q)).isZero();
            assertThat(((SqlBroker) worker).heartbeats().reap(true)).isGreaterThanOrEqualTo(1);
            assertThat(worker.messageCount(q)).isEqualTo(1);
            List<Delivery> got = new CopyOnWriteArrayList<>();
            try (Consumer c = worker.consume(List.of(q), 1, got::add)) {
                await().atMost(Duration.ofSeconds(20)).until(() -> got.size() == 1);
                assertThat(got.get(0).redelivered()).isTrue();
                c.ack(got.get(0));
            }
        }
    }
}
