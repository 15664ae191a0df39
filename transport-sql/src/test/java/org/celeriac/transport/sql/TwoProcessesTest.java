package org.celeriac.transport.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker-like process and this one share one H2 file with AUTO_SERVER=TRUE: the other JVM opens it first
 * (and hosts the server), this one connects through it; both consume the same queue.
 */
class TwoProcessesTest {

    @Test
    void twoJvmsOnOneAutoServerFileNeverShareAMessageAndLoseNoneThenSurviveTheHostLeaving(@TempDir Path dir)
            throws Exception {
        String url = TestSupport.h2Url(dir);
        String queue = "shared";
        String javaBin = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process child = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
                SecondProcess.class.getName(), url, queue)
                .redirectError(dir.resolve("child-stderr.txt").toFile()).start();
        List<String> childGot = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<String> ready = new CompletableFuture<>();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> read(child.getInputStream(), childGot, ready, closed));
        try {
            assertThat(ready.get(60, TimeUnit.SECONDS)).isEqualTo("127.0.0.1");
            assertOnlyLoopbackListens(dir);

            int n = 3000;
            List<String> mine = Collections.synchronizedList(new ArrayList<>());
            try (Broker broker = TestSupport.open(url, Map.of())) {
                CompletableFuture<Consumer> ref = new CompletableFuture<>(); // the handler may run before consume() returns
                Consumer c = broker.consume(List.of(queue), 10, d -> {
                    mine.add(TestSupportIds.id(d));
                    ref.join().ack(d);
                });
                ref.complete(c);
                List<CompletableFuture<Void>> sent = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    sent.add(broker.publish("", queue, new Message(Map.of("id", "m" + i), null, new byte[] {1})));
                }
                CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
                await().atMost(Duration.ofSeconds(60)).until(() -> mine.size() + childGot.size() >= n);

                try (Writer w = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8)) {
                    w.write("STOP\n");
                }
                closed.get(30, TimeUnit.SECONDS);
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

                Set<String> all = new HashSet<>(mine);
                assertThat(mine).as("this JVM's share").isNotEmpty().doesNotHaveDuplicates();
                assertThat(childGot).as("the other JVM's share").isNotEmpty().doesNotHaveDuplicates();
                assertThat(all).as("overlap").doesNotContainAnyElementsOf(childGot);
                all.addAll(childGot);
                assertThat(all).hasSize(n);
                System.out.printf("two JVMs: %d messages, this JVM %d, the other %d%n", n, mine.size(), childGot.size());

                // The process hosting the H2 server has exited: this one reconnects (it becomes the host).
                broker.publish("", queue, new Message(Map.of("id", "after"), null, new byte[] {2}))
                        .get(30, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(30)).until(() -> mine.contains("after"));
                c.close();
                assertThat(broker.messageCount(queue)).isZero();
            }
        } finally {
            child.destroyForcibly();
            reader.join(5_000);
        }
    }

    private static void read(InputStream in, List<String> got, CompletableFuture<String> ready,
                             CompletableFuture<Void> closed) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("GOT ")) {
                    got.add(line.substring(4));
                } else if (line.startsWith("READY ")) {
                    ready.complete(line.substring(6));
                } else if (line.equals("CLOSED")) {
                    closed.complete(null);
                }
            }
        } catch (IOException e) {
            ready.completeExceptionally(e);
        }
        ready.completeExceptionally(new IllegalStateException("the other JVM exited before READY"));
    }

    private static void assertOnlyLoopbackListens(Path dir) throws IOException {
        Properties lock = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve("celeriac.lock.db"))) {
            lock.load(in);
        }
        String server = lock.getProperty("server");
        // H2 writes the bind address 127.0.0.1 as "localhost"
        assertThat(server).startsWith("localhost:");
        int port = Integer.parseInt(server.substring(server.indexOf(':') + 1));
        new Socket(InetAddress.getLoopbackAddress(), port).close();
        for (InetAddress other : NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).toList()) {
            assertThatThrownBy(() -> new Socket(other, port).close()).as("port %d on %s", port, other)
                    .isInstanceOf(IOException.class);
        }
    }
}
