package org.celeriac.interop;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * What every interop test needs: the preconditions (Python Celery under {@code /usr/bin/python3}, the shared
 * Redis), the Python sources in the test resources, unique queue names, JSON lines, and cleaning the keys a
 * test class created.
 *
 * <p>Isolation on the shared Redis (127.0.0.1:6379): each test class owns one database number (11..14, used
 * by nothing else in this project) and unique queue names; it deletes only the keys of its queues, the kombu
 * bindings of those queues, the {@code unacked*} structures and {@code celery-task-meta-*} in that database.
 * Result pub/sub channels are not database-scoped, but they are named after unique task ids.
 *
 * <p>A missing precondition skips the test with the reason, or fails it when {@code CI=true}.
 */
final class Interop {
    static final String PYTHON = "/usr/bin/python3";
    static final String REDIS_HOST = "127.0.0.1";
    static final int REDIS_PORT = 6379;
    static final ObjectMapper JSON = new ObjectMapper();

    /** Celery's and Celeriac's log line for a successful task: {@code Task tasks.add[<id>] succeeded in ...}. */
    static final Pattern SUCCEEDED = Pattern.compile("Task ([\\w.]+)\\[([^\\]]+)\\] succeeded in ");

    private static volatile String pythonProblem;
    private static volatile boolean pythonChecked;

    private Interop() {
    }

    /** A URL for the shared Redis, database {@code db}. */
    static String sharedRedis(int db) {
        return "redis://" + REDIS_HOST + ":" + REDIS_PORT + "/" + db;
    }

    /** A queue name no other test run uses. */
    static String uniqueQueue(String what) {
        return "it." + what + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    static void requireRedis() {
        requireRedis(REDIS_HOST, REDIS_PORT, "Redis is not running on 127.0.0.1:6379 (start it with: redis-server "
                + "--daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no)");
    }

    static void requireRedis(String host, int port, String message) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
        } catch (IOException e) {
            unavailable(message);
        }
    }

    /** Python Celery 5.x and redis-py importable by {@code /usr/bin/python3}. */
    static void requirePythonCelery() {
        if (!pythonChecked) {
            pythonProblem = checkPython();
            pythonChecked = true;
        }
        if (pythonProblem != null) {
            unavailable(pythonProblem);
        }
    }

    private static String checkPython() {
        String hint = " (install it with: apt-get install -y python3-celery python3-redis; the tests run "
                + PYTHON + ", not the python3 on PATH)";
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return PYTHON + " does not exist" + hint;
        }
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import celery, kombu, redis; print(celery.__version__)")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return PYTHON + " cannot import celery and redis: " + out + hint;
            }
            if (!out.startsWith("5.")) {
                return PYTHON + " has Celery " + out + ", these tests need Celery 5.x" + hint;
            }
            return null;
        } catch (IOException e) {
            return "cannot run " + PYTHON + ": " + e.getMessage() + hint;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while checking " + PYTHON;
        }
    }

    /** Skips the test with {@code reason}, or fails it when {@code CI=true}. */
    static void unavailable(String reason) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("CI=true, so this is a failure, not a skip: " + reason);
        }
        Assumptions.abort(reason);
    }

    /** The directory holding {@code pytasks.py} and {@code pyclient.py} (on the test class path). */
    static Path pythonDir() {
        URL url = Interop.class.getResource("/python/pytasks.py");
        if (url == null) {
            throw new IllegalStateException("python/pytasks.py is not on the test class path");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses one JSON object per non-blank line. */
    static List<JsonNode> jsonLines(String text) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : text.split("\\R")) {
            if (!line.isBlank()) {
                try {
                    out.add(JSON.readTree(line));
                } catch (IOException e) {
                    throw new AssertionError("not a JSON line: " + line, e);
                }
            }
        }
        return out;
    }

    /** Task ids with a {@code Task <name>[<id>] succeeded} line in {@code log}, in order, duplicates kept. */
    static List<String> succeededIds(String log, String taskName) {
        List<String> ids = new ArrayList<>();
        Matcher m = SUCCEEDED.matcher(log);
        while (m.find()) {
            if (m.group(1).equals(taskName)) {
                ids.add(m.group(2));
            }
        }
        return ids;
    }

    /**
     * Deletes, in database {@code url}, the keys this test class created: its queues (with kombu's priority
     * lists), their {@code _kombu.binding.*} sets, the {@code unacked} structures and every
     * {@code celery-task-meta-*} (the database is reserved for that class). SCAN + DEL, never FLUSHDB.
     */
    static void deleteKeys(String url, List<String> queues) {
        List<String> patterns = new ArrayList<>(List.of("unacked", "unacked_index", "unacked_mutex",
                "celery-task-meta-*"));
        for (String q : queues) {
            patterns.add(glob(q) + "*");
            patterns.add("_kombu.binding." + glob(q) + "*");
        }
        RedisClient c = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> conn = c.connect()) {
            List<String> keys = new ArrayList<>();
            for (String p : patterns) {
                ScanIterator.scan(conn.sync(), ScanArgs.Builder.matches(p).limit(1000)).forEachRemaining(keys::add);
            }
            for (int i = 0; i < keys.size(); i += 500) {
                conn.sync().del(keys.subList(i, Math.min(keys.size(), i + 500)).toArray(String[]::new));
            }
        } finally {
            c.shutdown();
        }
    }

    private static String glob(String s) {
        return s.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
    }

    /** A TCP port that was free a moment ago. */
    /**
     * A copy of what {@code appender} captured so far: logback appends under the appender's own lock, from the
     * workers' threads, so reading its list directly can throw {@code ConcurrentModificationException}.
     */
    static List<ILoggingEvent> logged(ListAppender<ILoggingEvent> appender) {
        synchronized (appender) {
            return new ArrayList<>(appender.list);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
