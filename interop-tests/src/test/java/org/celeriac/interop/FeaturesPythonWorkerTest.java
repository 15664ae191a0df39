package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reverse of {@link FeaturesPythonClientTest}: a Java client and one real Python Celery 5.2.6 worker (remote
 * control on): a Python task's retries seen by Java (RETRY then SUCCESS), {@code expires} from Java ending REVOKED on
 * the Python worker, and Java's revoke and rate_limit broadcasts obeyed by the Python worker.
 *
 * <p>Redis database 3 is reserved for this class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FeaturesPythonWorkerTest {
    private static final int DB = 3;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    private final String url = Interop.sharedRedis(DB);
    private final String queue = Interop.uniqueQueue("f-pyworker");
    private final String node = "py-features-" + queue.substring(queue.lastIndexOf('.') + 1);
    private Peer worker;
    private Celeriac app;
    private String nodeName;

    @BeforeAll
    void start() throws Exception {
        Interop.requireRedis();
        Interop.requirePythonCelery();
        worker = Peer.pythonWorker(dir, node, url, queue, Map.of("CELERIAC_IT_REMOTE_CONTROL", "true"))
                .awaitReady(Duration.ofSeconds(60));
        nodeName = worker.log().lines().filter(l -> l.endsWith(" ready.")).findFirst().orElseThrow()
                .replaceAll("^.*\\b(" + node + "@\\S+) ready\\.$", "$1");
        app = Celeriac.builder().set("broker_url", url).set("result_backend", url).set("task_default_queue", queue)
                .build();
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
        if (worker != null) {
            worker.close();
        }
        Interop.deleteKeys(url, List.of(queue));
        FeaturesWorkerCases.deletePidboxKeys(url);
    }

    private Map<String, Object> control(String method, Map<String, ?> args) {
        try (ControlClient c = new ControlClient(app)) {
            Map<String, Object> replies = c.call(method, args, ControlOptions.defaults()
                    .withDestination(List.of(nodeName)).withTimeout(Duration.ofSeconds(10)).withLimit(1));
            assertThat(replies).as("reply of %s", nodeName).containsKey(nodeName);
            @SuppressWarnings("unchecked")
            Map<String, Object> reply = (Map<String, Object>) replies.get(nodeName);
            return reply;
        }
    }

    @Test
    void java_sees_retry_then_success_of_a_python_task() {
        AsyncResult<Object> r = app.sendTask("tasks.flaky", List.of(1, 0.5), Map.of(), null);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> r.state() == TaskState.RETRY);
        assertThat(r.get(WAIT)).as("the Python task saw retries=1").isEqualTo(1L);
        assertThat(r.state()).isEqualTo(TaskState.SUCCESS);
    }

    @Test
    void a_java_expires_makes_the_python_worker_revoke_the_task() {
        AsyncResult<Object> r = app.sendTask("tasks.add", List.of(1, 1), Map.of(),
                ApplyOptions.builder().countdown(1).expiresIn(Duration.ofMillis(300)).build());
        assertThatThrownBy(() -> r.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("TaskRevokedError"));
        assertThat(r.state()).isEqualTo(TaskState.REVOKED);
    }

    @Test
    void java_revoke_and_rate_limit_broadcasts_are_obeyed_by_the_python_worker() {
        AsyncResult<Object> later = app.sendTask("tasks.add", List.of(1, 2), Map.of(),
                ApplyOptions.builder().countdown(2).build()); // Celery discards a revoked ETA task when it is due
        await().atMost(WAIT).until(() -> worker.log().contains("tasks.add[" + later.id() + "] received"));
        assertThat(control("revoke", Map.of("task_id", later.id())))
                .containsEntry("ok", "tasks " + later.id() + " flagged as revoked");
        await().atMost(WAIT).until(() -> later.state() == TaskState.REVOKED);

        assertThat(control("rate_limit", Map.of("task_name", "tasks.mul", "rate_limit", "1/h")))
                .containsEntry("ok", "new rate limit set successfully");
        assertThat(app.sendTask("tasks.mul", List.of(2, 3), Map.of(), null).get(WAIT)).isEqualTo(6L);
        AsyncResult<Object> held = app.sendTask("tasks.mul", List.of(3, 3), Map.of(), null);
        await().atMost(WAIT).until(() -> worker.log().contains("tasks.mul[" + held.id() + "] received"));
        assertThat(held.state()).isEqualTo(TaskState.PENDING);
        assertThat(control("rate_limit", Map.of("task_name", "tasks.mul", "rate_limit", "ten per minute")))
                .containsKey("error");
        assertThat(control("rate_limit", Map.of("task_name", "tasks.mul", "rate_limit", "")))
                .containsEntry("ok", "rate limit disabled successfully");
        // Celery keeps a request held by the old bucket until its token comes (reset_rate_limits makes new buckets):
        // a new call shows the limit is gone
        assertThat(app.sendTask("tasks.mul", List.of(4, 4), Map.of(), null).get(WAIT)).isEqualTo(16L);
        assertThat(held.state()).isEqualTo(TaskState.PENDING);
    }
}
