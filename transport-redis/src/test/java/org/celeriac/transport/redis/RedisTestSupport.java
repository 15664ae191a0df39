package org.celeriac.transport.redis;

import static org.junit.jupiter.api.Assertions.fail;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** The shared Redis on 127.0.0.1:6379: skip (or fail on CI) when it is down; per-class key prefixes. */
final class RedisTestSupport {
    static final String HOST = "127.0.0.1";
    static final int PORT = 6379;

    private RedisTestSupport() {
    }

    static void requireRedis() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, PORT), 500);
        } catch (IOException e) {
            String msg = "Redis is not running on " + HOST + ":" + PORT + " (start it with: redis-server --daemonize yes "
                    + "--bind 127.0.0.1 --port 6379 --save \"\" --appendonly no)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(msg);
            }
            Assumptions.abort(msg);
        }
    }

    /** Deletes every key that starts with {@code prefix} (SCAN + DEL; never FLUSHALL on the shared server). */
    static void deleteKeys(String url, String prefix) {
        RedisClient c = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> conn = c.connect()) {
            List<String> keys = new ArrayList<>();
            ScanIterator.scan(conn.sync(), ScanArgs.Builder.matches(KombuKeys.globEscape(prefix) + "*").limit(1000))
                    .forEachRemaining(keys::add);
            for (int i = 0; i < keys.size(); i += 500) {
                conn.sync().del(keys.subList(i, Math.min(keys.size(), i + 500)).toArray(String[]::new));
            }
        } finally {
            c.shutdown();
        }
    }
}
