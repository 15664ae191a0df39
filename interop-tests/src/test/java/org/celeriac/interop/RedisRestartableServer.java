package org.celeriac.interop;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A private {@code redis-server} child process on a free port that can be stopped and started again on the same
 * port and directory (unlike {@link PrivateRedis}, which picks a new port each time): for restart tests that must
 * not disturb the shared Redis. Persistence is off unless {@code extra} arguments switch it on. {@link #close()}
 * stops it (SIGTERM, then SIGKILL). Not thread-safe.
 */
final class RedisRestartableServer implements AutoCloseable {
    private static final Path BINARY = Path.of("/usr/bin/redis-server");
    private final List<String> command;
    private final int port;
    private final Path log;
    private Process process;

    private RedisRestartableServer(List<String> command, int port, Path log) {
        this.command = command;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts {@code redis-server --port <free> --bind 127.0.0.1 --dir dir --save "" --appendonly no} followed by
     * {@code extra} (later arguments win) and waits until it accepts connections; skips (fails on CI) without
     * {@code /usr/bin/redis-server}.
     */
    static RedisRestartableServer start(Path dir, String... extra) throws IOException {
        if (!Files.isExecutable(BINARY)) {
            Interop.unavailable(BINARY + " is not installed (apt-get install -y redis-server)");
        }
        int port = Interop.freePort();
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--port", String.valueOf(port), "--bind",
                "127.0.0.1", "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--daemonize", "no"));
        cmd.addAll(List.of(extra));
        RedisRestartableServer s = new RedisRestartableServer(cmd, port, dir.resolve("redis-" + port + ".log"));
        s.launch();
        return s;
    }

    private void launch() throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        process = p;
        Awaitility.await("redis-server on port " + port).atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(20))
                .failFast("redis-server exited", () -> {
                    if (!p.isAlive()) {
                        throw new AssertionError("redis-server on port " + port + " exited: " + Files.readString(log));
                    }
                })
                .until(this::accepts);
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

    /** SIGTERM (Redis shuts down cleanly) and waits; SIGKILL after 10 s. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            kill();
        }
    }

    /** SIGKILL: Redis writes nothing more. Waits until it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("redis-server on port " + port + " survived SIGKILL for 10 s");
        }
    }

    /** Starts the server again on the same port and directory, with the same arguments. */
    void restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException("stop or kill redis-server on port " + port + " before restarting it");
        }
        launch();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            stop();
        }
    }
}
