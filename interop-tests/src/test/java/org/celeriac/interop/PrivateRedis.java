package org.celeriac.interop;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A {@code redis-server} child process on a free port, with no persistence, for tests that kill or restart
 * things and must not disturb the shared Redis. Stopped (SIGTERM, then SIGKILL) by {@link #close()}.
 */
final class PrivateRedis implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private PrivateRedis(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts {@code redis-server} and waits until it accepts connections; skips (fails on CI) without it. */
    static PrivateRedis start(Path dir) throws IOException {
        Path binary = Path.of("/usr/bin/redis-server");
        if (!Files.isExecutable(binary)) {
            Interop.unavailable("/usr/bin/redis-server is not installed (apt-get install -y redis-server)");
        }
        int port = Interop.freePort();
        Path log = dir.resolve("redis-" + port + ".log");
        Process p = new ProcessBuilder(binary.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrivateRedis r = new PrivateRedis(p, port, log);
        Awaitility.await("redis-server on port " + port).atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(50))
                .failFast("redis-server exited", () -> {
                    if (!p.isAlive()) {
                        throw new AssertionError("redis-server exited: " + Files.readString(log));
                    }
                })
                .until(r::accepts);
        return r;
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    String url(int db) {
        return "redis://127.0.0.1:" + port + "/" + db;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
