package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code rate_limit_scope: 'global'} (Celeriac's; Celery limits per worker only): two workers, each with its own
 * connection to Redis, share one 5/s limit counted in Redis; the same limit per worker lets twice as many through.
 *
 * <p>Redis database 2 is reserved for this class.
 */
class FeaturesGlobalRateLimitTest {
    private static final int DB = 2;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final String url = Interop.sharedRedis(DB);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<String> queues = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        Interop.deleteKeys(url, queues);
        FeaturesWorkerCases.deletePidboxKeys(url);
    }

    /** The most starts (epoch millis) within any interval of {@code millis}. */
    private static int maxWithin(List<Long> starts, long millis) {
        List<Long> sorted = starts.stream().sorted().toList();
        int best = 0;
        for (int i = 0, j = 0; i < sorted.size(); i++) {
            while (sorted.get(i) - sorted.get(j) >= millis) {
                j++;
            }
            best = Math.max(best, i - j + 1);
        }
        return best;
    }

    /** Runs 15 tasks limited to 5/s on two workers; returns their start times, and the nodes in {@code nodes}. */
    private List<Long> run(String scope, Set<String> nodes) {
        Interop.requireRedis();
        String queue = Interop.uniqueQueue("f-global-" + scope);
        queues.add(queue);
        List<Long> starts = Collections.synchronizedList(new ArrayList<>());
        TaskDefinition limited = TaskDefinition.of("f.global", TaskOptions.DEFAULTS, (context, args, kwargs) -> {
            starts.add(System.currentTimeMillis());
            nodes.add(context.hostname());
            return 1L;
        });
        Celeriac client = null;
        for (String node : List.of("g1", "g2")) {
            Celeriac app = Celeriac.builder().set("broker_url", url).set("result_backend", url)
                    .set("task_default_queue", queue)
                    .set("task_annotations", Map.of("f.global", Map.of("rate_limit", "5/s", "rate_limit_scope", scope)))
                    .registry(TaskRegistry.of(List.of(limited))).build();
            closeables.add(0, app);
            Worker w = new Worker(app, new Worker.Options("f-" + scope + "-" + node + "@%h", List.of(queue), 1,
                    Worker.Pool.THREADS, 1));
            w.start();
            closeables.add(0, w);
            client = app;
        }
        List<AsyncResult<Object>> rs = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            rs.add(client.sendTask("f.global", List.of(), Map.of(), null));
        }
        for (AsyncResult<Object> r : rs) {
            assertThat(r.get(WAIT)).isEqualTo(1L);
        }
        return starts;
    }

    @Test
    void twoWorkersShareAGlobalLimitInRedis() {
        Set<String> nodes = ConcurrentHashMap.newKeySet();
        List<Long> starts = run("global", nodes);
        assertThat(nodes).as("both workers took tasks").hasSize(2);
        assertThat(maxWithin(starts, 1000)).as("5/s for the cluster: one per 200 ms window").isLessThanOrEqualTo(6);
    }

    @Test
    void theSameLimitPerWorkerLetsEachWorkerRunFiveASecond() {
        Set<String> nodes = ConcurrentHashMap.newKeySet();
        List<Long> starts = run("worker", nodes);
        assertThat(nodes).hasSize(2);
        assertThat(maxWithin(starts, 1000)).as("two buckets of 5/s").isGreaterThan(6);
    }
}
