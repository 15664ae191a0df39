package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python Celery 5.2.6 sends {@code tasks.sleep(5)} with {@code soft_time_limit} / {@code time_limit} (the wire
 * {@code timelimit} header) to a Celeriac worker, which enforces them: Python's {@code AsyncResult.get()} raises
 * Celery's own {@code SoftTimeLimitExceeded} and {@code TimeLimitExceeded} well before the 5 s sleep ends.
 *
 * <p>Redis database 7 is reserved for this class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TimeLimitsInteropTest {
    private static final int DB = 7;

    @TempDir
    static Path dir;

    private final String url = Interop.sharedRedis(DB);
    private final String queue = Interop.uniqueQueue("limits");
    private Peer worker;
    private final Map<String, JsonNode> cases = new LinkedHashMap<>();

    @BeforeAll
    void run() throws Exception {
        Interop.requireRedis();
        Interop.requirePythonCelery();
        worker = Peer.javaWorker(dir, "java-limits", url, queue, 2, Map.of()).awaitReady(Duration.ofSeconds(60));
        new PythonClient(dir, url, queue).start("limits").await(Duration.ofSeconds(60))
                .forEach(l -> cases.put(l.get("case").asText(), l));
    }

    @AfterAll
    void stop() {
        if (worker != null) {
            worker.close();
        }
        Interop.deleteKeys(url, List.of(queue));
    }

    @Test
    void a_python_soft_time_limit_raises_celerys_soft_time_limit_exceeded() {
        JsonNode c = cases.get("soft");
        assertThat(c).as("pyclient.py limits printed 'soft'").isNotNull();
        assertThat(c.path("exc_type").asText()).isEqualTo("SoftTimeLimitExceeded");
        // stored as celery.exceptions; Python rebuilds it as the class celery.exceptions re-exports from billiard
        assertThat(c.path("exc_module").asText()).isIn("celery.exceptions", "billiard.exceptions");
        assertThat(c.path("is_soft").asBoolean()).isTrue();
        assertThat(c.path("state").asText()).isEqualTo("FAILURE");
        assertThat(c.path("elapsed").asDouble()).isLessThan(4.0);
    }

    @Test
    void a_python_hard_time_limit_stores_time_limit_exceeded_at_once() {
        JsonNode c = cases.get("hard");
        assertThat(c).as("pyclient.py limits printed 'hard'").isNotNull();
        assertThat(c.path("exc_type").asText()).isEqualTo("TimeLimitExceeded");
        assertThat(c.path("is_hard").asBoolean()).isTrue();
        assertThat(c.path("args").get(0).asDouble()).isEqualTo(0.5);
        assertThat(c.path("elapsed").asDouble()).isLessThan(4.0);
        assertThat(worker.log()).contains("Hard time limit (0.5s) exceeded for tasks.sleep");
    }
}
