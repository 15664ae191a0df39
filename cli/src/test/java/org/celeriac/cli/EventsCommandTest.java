package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.events.WorkerEvents;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code celeriac events --dump} against a worker in this JVM on memory://, and the worker's {@code -E}. */
class EventsCommandTest {
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private String broker;
    private Celeriac app;
    private Worker worker;

    private static TaskDefinition add() {
        return TaskDefinition.of("tasks.add", TaskOptions.DEFAULTS, (context, args, kwargs) -> ((Number) args.get(0)).longValue() + ((Number) args.get(1)).longValue());
    }

    private void startWorker(boolean taskEvents) {
        broker = "memory://ev" + UUID.randomUUID().toString().replace("-", "");
        app = Celeriac.builder().set("broker_url", broker).set("result_backend", broker)
                .set("worker_send_task_events", taskEvents).registry(TaskRegistry.of(List.of(add()))).build();
        closeables.add(app);
        worker = new Worker(app, new Worker.Options("evcli@%h", List.of(), 1, Worker.Pool.THREADS, 1));
        assertThat(WorkerEvents.attach(app, worker, Duration.ofSeconds(60))).isPresent();
        worker.start();
        closeables.add(0, worker);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void dump_wakes_the_workers_up_and_prints_their_heartbeat_like_celery() {
        startWorker(false);

        Captured c = Captured.run("events", "--dump", "--limit", "1", "--timeout", "10", "--broker", broker);

        assertThat(c.exitCode()).isZero();
        assertThat(c.err()).contains("-> evdump: starting capture...");
        assertThat(c.out()).matches("\\Q" + worker.nodeName() + "\\E \\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d{6})?\\] "
                + "heartbeat: active=0, clock=\\d+, freq=60\\.0, loadavg=\\[.*\\], local_received=[\\d.]+, pid=\\d+, "
                + "processed=0, sw_ident=celeriac, sw_sys=.*, sw_ver=.*, utcoffset=-?\\d+\n");
    }

    @Test
    void dump_prints_task_events_with_the_name_and_args_of_the_received_event() {
        startWorker(true);
        CompletableFuture<Captured> dump = CompletableFuture.supplyAsync(() -> Captured.run("events", "-d", "--limit", "8",
                "--timeout", "20", "--no-wakeup", "--broker", broker));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
            app.task("tasks.add", Long.class).delay(1L, 2L);
            return dump.isDone();
        });

        Captured c = dump.join();
        assertThat(c.exitCode()).isZero();
        assertThat(c.out().lines()).hasSize(8)
                .anyMatch(l -> l.matches("\\Q" + worker.nodeName() + "\\E \\[.*\\] task succeeded: "
                        + "tasks\\.add\\([0-9a-f-]{36}\\) args=\\(1, 2\\) kwargs=\\{\\} clock=\\d+, .*result=3, runtime=.*"));
    }

    @Test
    void without_dump_a_view_of_workers_and_tasks_is_drawn() {
        startWorker(true);
        assertThat(app.task("tasks.add", Long.class).delay(20L, 22L).get(Duration.ofSeconds(10))).isEqualTo(42L);
        CompletableFuture<Captured> view = CompletableFuture.supplyAsync(() -> Captured.run("events", "--limit", "4",
                "--timeout", "20", "--frequency", "0.2", "--broker", broker));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
            app.task("tasks.add", Long.class).delay(20L, 22L);
            return view.isDone();
        });

        Captured c = view.join();
        assertThat(c.exitCode()).isZero();
        String lastFrame = c.out().substring(c.out().lastIndexOf("celeriac events -- "));
        assertThat(lastFrame).containsPattern("\\Q" + worker.nodeName() + "\\E +ONLINE +\\d+ +\\d+ ")
                .containsPattern("[0-9a-f-]{36} +tasks\\.add +(SUCCESS|STARTED|RECEIVED) +\\Q" + worker.nodeName() + "\\E")
                .contains("1 worker(s), 1 online");
    }

    @Test
    void worker_accepts_dash_e_for_task_events() {
        Captured c = Captured.run("worker", "--help");

        assertThat(c.out()).contains("-E, --events").contains("worker_send_task_events");
    }
}
