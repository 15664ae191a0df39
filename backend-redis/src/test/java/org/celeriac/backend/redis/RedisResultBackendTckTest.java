package org.celeriac.backend.redis;

import java.time.Duration;
import java.util.Map;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.tck.ResultBackendTck;
import org.junit.jupiter.api.BeforeAll;

/**
 * The result-backend TCK against the Redis backend on the shared server (task ids are UUIDs, so classes
 * do not collide); reopen/restart = a new client on the same server.
 */
class RedisResultBackendTckTest extends ResultBackendTck {

    @BeforeAll
    static void redisIsUp() {
        RedisResultBackendTest.requireRedis();
    }

    @Override
    protected ResultBackend createBackend() {
        return RedisResultBackendTest.open(Map.of());
    }

    @Override
    protected ResultBackend createBackend(Duration resultExpires) {
        return RedisResultBackendTest.open(Map.of("result_expires", resultExpires.toMillis() / 1000.0));
    }

    @Override
    protected ResultBackend reopenBackend() {
        return createBackend();
    }

    @Override
    protected ResultBackend restartBackend(ResultBackend backend) {
        backend.close();
        return createBackend();
    }
}
