package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.PythonException;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskListener;
import org.celeriac.api.TaskOptions;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.canvas.GroupResult;
import org.celeriac.core.canvas.Signature;
import org.celeriac.core.config.EmbeddedDefault;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chains, groups and chords on the embedded default (H2 through the SQL transport and the JDBC backend), with an
 * in-process worker: the chord is joined with the backend's atomic chord counter against the saved header group,
 * and the {@code celery.chord_unlock} task the client also sends (as Celery does on database backends, for Python
 * workers) finds it joined and does not send the body again. Nested canvases, map/starmap/chunks too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CanvasEmbeddedDefaultTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;

    private static final AtomicInteger bodyRuns = new AtomicInteger();
    private final AtomicInteger unlocks = new AtomicInteger();
    private Celeriac app;
    private Worker worker;

    private static TaskDefinition task(String name, java.util.function.Function<List<Object>, Object> body) {
        return TaskDefinition.of(name, TaskOptions.DEFAULTS, (context, args, kwargs) -> body.apply(args));
    }

    @BeforeAll
    void start() {
        String url = EmbeddedDefault.at(dir).url();
        app = Celeriac.builder().set("broker_url", url).set("result_backend", url)
                .set("celeriac_data_dir", dir.toString())
                .taskListener(new TaskListener() {
                    @Override
                    public void taskPostrun(String taskId, String taskName, Object returnValue, TaskState state) {
                        if (taskName.equals("celery.chord_unlock") && state.isReady()) {
                            unlocks.incrementAndGet();
                        }
                    }
                })
                .registry(TaskRegistry.of(List.of(
                        task("e.add", a -> ((Number) a.get(0)).longValue() + ((Number) a.get(1)).longValue()),
                        task("e.echo", a -> a.get(0)),
                        task("e.mul", a -> ((Number) a.get(0)).longValue() * ((Number) a.get(1)).longValue()),
                        task("e.tsum", a -> ((List<?>) a.get(0)).stream().mapToLong(x -> ((Number) x).longValue()).sum()),
                        task("e.count", a -> {
                            bodyRuns.incrementAndGet();
                            return a.get(0);
                        }),
                        task("e.fail", a -> {
                            throw PythonException.valueError(String.valueOf(a.get(0)));
                        })))).build();
        worker = new Worker(app, new Worker.Options("embedded-canvas@%h", List.of(), 2, Worker.Pool.THREADS, 1));
        worker.start();
    }

    @AfterAll
    void stop() throws Exception {
        if (worker != null) {
            worker.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void chainAndGroup() {
        assertThat(app.chain(Signature.of("e.add", 1, 2), Signature.of("e.add", 10)).get(WAIT)).isEqualTo(13L);
        GroupResult g = app.group(Signature.of("e.add", 1, 1), Signature.of("e.echo", "x")).save();
        assertThat(g.get(WAIT)).containsExactly(2L, "x");
        assertThat(GroupResult.restore(app, g.id()).orElseThrow().taskIds()).isEqualTo(g.taskIds());
    }

    @Test
    void chordJoinsWithTheCounterInHeaderOrder() {
        List<Signature> header = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            header.add(Signature.of("e.echo", i));
        }
        assertThat(app.chord(header, Signature.of("e.echo")).get(WAIT)).isEqualTo(List.of(0L, 1L, 2L, 3L, 4L));
        AsyncResult<Object> failed = app.chord(List.of(Signature.of("e.fail", "no"), Signature.of("e.add", 1, 1)),
                Signature.of("e.echo"));
        assertThatThrownBy(() -> failed.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class,
                e -> assertThat(e.excType()).isEqualTo("ChordError"));
    }

    @Test
    void theChordUnlockFindsTheChordJoinedByTheCounterAndSendsNoSecondBody() {
        int before = unlocks.get();
        int runs = bodyRuns.get();
        assertThat(app.chord(List.of(Signature.of("e.add", 1, 1), Signature.of("e.add", 2, 2)), Signature.of("e.count"))
                .get(WAIT)).isEqualTo(List.of(2L, 4L));
        // the unlock (countdown 1 s) runs after the counter joined the chord; it must not send the body again
        Awaitility.await().atMost(WAIT).until(() -> unlocks.get() > before);
        assertThat(bodyRuns.get()).isEqualTo(runs + 1);
    }

    @Test
    void nestedCanvasesMapStarmapAndChunks() {
        assertThat(app.apply(Signature.group(Signature.chain(Signature.of("e.add", 1, 1), Signature.of("e.mul", 10)),
                Signature.chain(Signature.of("e.add", 2, 2), Signature.of("e.mul", 10)))).get(WAIT))
                .isEqualTo(List.of(20L, 40L));
        assertThat(app.chord(List.of(Signature.of("e.add", 1, 1), Signature.of("e.add", 2, 2)),
                Signature.chain(Signature.of("e.tsum"), Signature.of("e.mul", 10))).get(WAIT)).isEqualTo(60L);
        assertThat(app.apply(Signature.of("e.echo").map(List.of("a", "b"))).get(WAIT)).isEqualTo(List.of("a", "b"));
        assertThat(app.apply(Signature.of("e.add").starmap(List.of(List.of(1, 2)))).get(WAIT)).isEqualTo(List.of(3L));
        assertThat(app.apply(Signature.of("e.add").chunks(List.of(List.of(1, 1), List.of(2, 2), List.of(3, 3)), 2))
                .get(WAIT)).isEqualTo(List.of(List.of(2L, 4L), List.of(6L)));
    }

    @Test
    void linkCallbacksGetTheResultAndErrbacksTheFailedTaskId() {
        String linkId = java.util.UUID.randomUUID().toString();
        app.apply(Signature.of("e.add", 20, 1).link(Signature.of("e.mul", 2).withOption("task_id", linkId)));
        assertThat(app.asyncResult(linkId).get(WAIT)).isEqualTo(42L);
        String errbackId = java.util.UUID.randomUUID().toString();
        AsyncResult<Object> failed = app.apply(Signature.of("e.fail", "x")
                .linkError(Signature.of("e.echo").withOption("task_id", errbackId)));
        assertThat(app.asyncResult(errbackId).get(WAIT)).isEqualTo(failed.id());
    }
}
