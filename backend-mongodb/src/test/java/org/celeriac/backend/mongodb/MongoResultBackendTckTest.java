package org.celeriac.backend.mongodb;

import java.time.Duration;
import java.util.Map;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.tck.ResultBackendTck;
import org.celeriac.tck.TckConfiguration;
import org.celeriac.tck.TckSecondProcess;
import org.junit.jupiter.api.AfterAll;

/**
 * The result-backend TCK against backend-mongodb on mongo-java-server (or {@code CELERIAC_TEST_MONGODB_URL}):
 * reopen = a second client on the same server, restart = close and reconnect (the in-process server keeps its
 * data; it cannot be restarted without losing it), cross-process = a second JVM storing through the URL.
 */
class MongoResultBackendTckTest extends ResultBackendTck {
    private final TestMongo mongo = new TestMongo();

    @AfterAll
    void stopServer() {
        mongo.close();
    }

    @Override
    protected ResultBackend createBackend() {
        return mongo.open(Map.of());
    }

    @Override
    protected ResultBackend createBackend(Duration resultExpires) {
        return mongo.open(Map.of("result_expires", resultExpires.toMillis() / 1000.0));
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

    @Override
    protected void storeInAnotherProcess(TaskMeta meta) {
        TckSecondProcess.store(TckConfiguration.empty().withResultBackend(mongo.url()), meta, Duration.ofSeconds(60));
    }
}
