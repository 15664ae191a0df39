package org.celeriac.transport.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Database restart on a PRIVATE PostgreSQL instance (initdb into a temporary directory, its own port on
 * 127.0.0.1, stopped with {@code pg_ctl -m immediate}, i.e. like a crash, then started again): the pool,
 * the consumer loop, the publish writer and the LISTEN connection recover. Never touches the shared server.
 * Skipped when no PostgreSQL server binaries ({@code /usr/lib/postgresql/<v>/bin}) are installed, or when
 * running as root without a {@code postgres} user and {@code runuser}.
 */
class PostgresRestartTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static Path dir;
    private static Path bin;
    private static int port;
    private static List<String> asPostgres = List.of();

    @BeforeAll
    static void initdb() throws Exception {
        Path base = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(base)) {
            try (Stream<Path> versions = Files.list(base)) {
                bin = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
                        .max(Comparator.naturalOrder()).orElse(null);
            }
        }
        Assumptions.assumeTrue(bin != null, "no PostgreSQL server binaries under /usr/lib/postgresql/<version>/bin: "
                + "install the postgresql package to run the restart test");
        dir = Files.createTempDirectory("celeriac-pg-private");
        if ("root".equals(System.getProperty("user.name"))) { // postgres refuses to run as root
            Assumptions.assumeTrue(new File("/usr/sbin/runuser").canExecute(), "running as root without runuser");
            asPostgres = List.of("/usr/sbin/runuser", "-u", "postgres", "--");
            Files.setOwner(dir, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
        }
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        run("initdb", "-D", dir.resolve("data").toString(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        start();
    }

    private static void start() throws Exception {
        run("pg_ctl", "-D", dir.resolve("data").toString(), "-l", dir.resolve("log").toString(), "-w", "-o",
                "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", "start");
    }

    private static void crash() throws Exception {
        run("pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
    }

    private static void run(String tool, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(asPostgres);
        cmd.add(bin.resolve(tool).toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(tool + ".out").toFile())).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
        assertThat(p.exitValue()).as("%s exit code (output in %s)", cmd, dir.resolve(tool + ".out")).isZero();
    }

    @AfterAll
    static void stopAndDelete() throws Exception {
        if (dir == null) {
            return;
        }
        try {
            crash();
        } catch (AssertionError | Exception e) {
            // already stopped
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    private static String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    }

    private static Message message(String id) {
        return new Message(Map.of("id", id), MessageProperties.builder().contentType("application/json").build(),
                id.getBytes(StandardCharsets.UTF_8));
    }

    private static long rows() throws Exception {
        try (Connection c = DriverManager.getConnection(url()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from celeriac_message")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void theBrokerRecoversAfterTheDatabaseRestarts() throws Exception {
        try (Broker broker = TestSupport.open(url(), Map.of())) {
            broker.publish("", "restart", message("before")).join();
            List<Delivery> got = new CopyOnWriteArrayList<>();
            Consumer consumer = broker.consume(List.of("restart"), 0, got::add);
            await().atMost(WAIT).until(() -> got.size() == 1);

            crash(); // every pooled connection and the LISTEN connection die
            start();

            // the claim survived (default 30 s lease): the ack is flushed once the loop has a connection again
            consumer.ack(got.get(0));
            broker.publish("", "restart", message("after")).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            await().atMost(WAIT).until(() -> got.size() == 2);
            assertThat(got).extracting(TestSupportIds::id).containsExactly("before", "after");
            assertThat(got.get(1).redelivered()).isFalse();
            consumer.ack(got.get(1));
            await().atMost(WAIT).until(() -> rows() == 0);
            assertThat(broker.messageCount("restart")).isZero();
            consumer.close();
        }
    }
}
