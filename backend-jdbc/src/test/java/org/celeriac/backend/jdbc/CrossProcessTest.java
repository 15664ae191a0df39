package org.celeriac.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.TaskState;
import org.celeriac.spi.backend.TaskMeta;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs on one H2 file with AUTO_SERVER, as the embedded default runs a worker and a client. The
 * child JVM opens the file first, so it hosts the AUTO_SERVER and this JVM is its TCP client.
 */
class CrossProcessTest {
    @TempDir
    Path dir;
    Child child;

    @AfterEach
    void stopChild() {
        if (child != null) {
            child.process.destroyForcibly();
        }
    }

    /** The child JVM and its stdout lines. */
    static final class Child {
        final Process process;
        final PrintWriter stdin;
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Path log;

        Child(Path dir, String url) throws IOException {
            String java = ProcessHandle.current().info().command().orElse(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString());
            Files.createDirectories(dir);
            log = dir.resolve("child.log");
            process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    BackendChildProcess.class.getName(), url)
                    .redirectError(log.toFile())
                    .start();
            stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // the child died
                }
            });
        }

        void send(String command) {
            stdin.println(command);
        }

        void expect(String line, Duration timeout) throws Exception {
            String got = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(got).as("child answer (log: %s)", childLog()).isEqualTo(line);
        }

        String childLog() {
            try {
                return Files.exists(log) ? Files.readString(log) : "";
            } catch (IOException e) {
                return e.toString();
            }
        }
    }

    @Test
    void processes_opening_one_file_at_the_same_moment_all_get_in() throws Exception {
        String url = TestBackends.url(dir);
        Child first = new Child(dir.resolve("a"), url);
        Child second = new Child(dir.resolve("b"), url);
        try {
            // this JVM races them too
            try (JdbcResultBackend backend = TestBackends.open(url, Map.of())) {
                first.expect("open", Duration.ofSeconds(40));
                second.expect("open", Duration.ofSeconds(40));
                second.send("store race-1 SUCCESS");
                second.expect("stored race-1", Duration.ofSeconds(10));
                assertThat(backend.whenReady("race-1", Duration.ofMillis(50)).get(5, TimeUnit.SECONDS).result())
                        .isEqualTo(42L);
            }
        } finally {
            first.process.destroyForcibly();
            second.process.destroyForcibly();
        }
    }

    @Test
    void a_wait_in_one_process_completes_soon_after_a_store_in_another_and_survives_the_host_exiting()
            throws Exception {
        String url = TestBackends.url(dir);
        child = new Child(dir, url);
        child.expect("open", Duration.ofSeconds(30));
        assertThat(Files.readString(dir.resolve("celeriac.lock.db"))).contains("server=");

        try (JdbcResultBackend backend = TestBackends.open(url, Map.of())) {
            CompletableFuture<TaskMeta> ready = backend.whenReady("x1", Duration.ofMillis(100));
            child.send("store x1 STARTED");
            child.expect("stored x1", Duration.ofSeconds(10));
            assertThat(backend.get("x1").orElseThrow().state()).isEqualTo(TaskState.STARTED);
            assertThat(ready).isNotDone();

            child.send("store x1 SUCCESS");
            child.expect("stored x1", Duration.ofSeconds(10));
            Instant stored = Instant.now();
            TaskMeta meta = ready.get(2, TimeUnit.SECONDS);
            assertThat(meta.result()).isEqualTo(42L);
            assertThat(Duration.between(stored, Instant.now())).isLessThan(Duration.ofSeconds(1));

            // throughput through the AUTO_SERVER connection: the child stores, this JVM waits
            int n = 2000;
            List<CompletableFuture<TaskMeta>> waits = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                waits.add(backend.whenReady("bulk-" + i, Duration.ofMillis(100)));
            }
            long start = System.nanoTime();
            child.send("bulk bulk- " + n);
            CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            System.err.printf("cross-process: %d results stored and seen in %d ms%n", n,
                    (System.nanoTime() - start) / 1_000_000);
            child.expect("bulk " + n, Duration.ofSeconds(30));
            assertThat(waits.get(n - 1).join().result()).isEqualTo((long) n - 1);

            // stores through the AUTO_SERVER TCP connection, from 8 threads (group commit)
            long tcpStart = System.nanoTime();
            Thread[] threads = new Thread[8];
            for (int t = 0; t < threads.length; t++) {
                int thread = t;
                threads[t] = Thread.ofPlatform().start(() -> {
                    for (int i = thread; i < n; i += threads.length) {
                        backend.store(TaskMeta.of("tcp-" + i, TaskState.SUCCESS, (long) i, null));
                    }
                });
            }
            for (Thread t : threads) {
                t.join();
            }
            System.err.printf("cross-process: %d results stored over TCP in %d ms%n", n,
                    (System.nanoTime() - tcpStart) / 1_000_000);
            assertThat(backend.get("tcp-" + (n - 1))).isPresent();

            // the process hosting the AUTO_SERVER dies: this one's pooled connections break,
            // are evicted, and the next operation reopens the file (this JVM becomes the host)
            child.send("halt");
            assertThat(child.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long failoverStart = System.nanoTime();
            assertThat(backend.get("x1").orElseThrow().state()).isEqualTo(TaskState.SUCCESS);
            backend.store(TaskMeta.of("after-failover", TaskState.SUCCESS, 1L, null));
            assertThat(backend.whenReady("after-failover", Duration.ofMillis(50)).get(5, TimeUnit.SECONDS).result())
                    .isEqualTo(1L);
            System.err.printf("cross-process: fail-over took %d ms%n", (System.nanoTime() - failoverStart) / 1_000_000);
        }
    }
}
