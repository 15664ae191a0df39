package org.celeriac.testsupport;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;

/**
 * A private {@code redis-server} (or Sentinel) child process on a free loopback port, for tests that restart,
 * kill or reconfigure a server: never the shared one. {@link #close()} stops it (SIGTERM, then SIGKILL);
 * {@link #restart()} starts it again on the same port and directory. Not thread-safe.
 */
public final class RedisServerProcess implements AutoCloseable {
    private static final String BINARY = "/usr/bin/redis-server";
    private final Path dir;
    private final int port;
    private final List<String> args;
    private Process process;

    private RedisServerProcess(Path dir, int port, List<String> args) {
        this.dir = dir;
        this.port = port;
        this.args = args;
    }

    /** A free loopback port (free a moment ago). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void requireBinary() {
        if (!Files.isExecutable(Path.of(BINARY))) {
            String msg = BINARY + " is not installed (apt-get install -y redis-server)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(msg);
            }
            Assumptions.abort(msg);
        }
    }

    /**
     * Starts {@code redis-server --port P --bind 127.0.0.1 --dir dir --save "" --appendonly no} followed by
     * {@code extra} (later arguments win, e.g. {@code "--appendonly", "yes"}) and waits until it accepts.
     */
    public static RedisServerProcess server(Path dir, String... extra) throws IOException {
        requireBinary();
        int port = freePort();
        List<String> a = new ArrayList<>(List.of(BINARY, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--daemonize", "no"));
        a.addAll(List.of(extra));
        RedisServerProcess p = new RedisServerProcess(dir, port, a);
        p.start();
        return p;
    }

    /** Starts a Sentinel that monitors {@code master} as {@code masterName} (quorum 1), from a generated config. */
    public static RedisServerProcess sentinel(Path dir, RedisServerProcess master, String masterName) throws IOException {
        requireBinary();
        int port = freePort();
        Path conf = dir.resolve("sentinel-" + port + ".conf");
        Files.writeString(conf, "port " + port + "\nbind 127.0.0.1\ndaemonize no\ndir " + dir + "\n"
                + "sentinel monitor " + masterName + " 127.0.0.1 " + master.port() + " 1\n");
        RedisServerProcess p = new RedisServerProcess(dir, port, List.of(BINARY, conf.toString(), "--sentinel"));
        p.start();
        return p;
    }

    private void start() throws IOException {
        Path log = dir.resolve("redis-" + port + ".log");
        Process p = new ProcessBuilder(args).redirectErrorStream(true)
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

    public boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    public String url(int db) {
        return "redis://127.0.0.1:" + port + "/" + db;
    }

    /** SIGKILL: the server gets no chance to write anything more. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("redis-server on port " + port + " survived SIGKILL for 10 s");
        }
    }

    /** SIGTERM and wait (then SIGKILL after 10 s). */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            kill();
        }
    }

    /** Starts the same server again: same port, directory and arguments. */
    public void restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException("stop or kill redis-server on port " + port + " first");
        }
        start();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            stop();
        }
    }
}
