package org.celeriac.core.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import org.celeriac.api.PythonException;
import org.celeriac.api.TaskContext;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.ControlClient;
import org.celeriac.core.control.ControlOptions;
import org.celeriac.core.control.LamportClock;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Worker and task events of a worker on memory://, read back with an {@link EventReceiver}. */
class WorkerEventsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
    private final List<String> routingKeys = new CopyOnWriteArrayList<>();

    private static TaskDefinition task(String name, BiFunction<TaskContext, List<Object>, Object> body) {
        return TaskDefinition.of(name, TaskOptions.DEFAULTS, (context, args, kwargs) -> body.apply(context, args));
    }

    private Celeriac app(boolean taskEvents) {
        return app(taskEvents, false);
    }

    private Celeriac app(boolean taskEvents, boolean withoutHeartbeat) {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Celeriac app = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                .set("worker_send_task_events", taskEvents).set("worker_without_heartbeat", withoutHeartbeat)
                .registry(TaskRegistry.of(List.of(
                        task("t.add", (c, a) -> ((Number) a.get(0)).longValue() + ((Number) a.get(1)).longValue()),
                        task("t.fail", (c, a) -> {
                            throw PythonException.valueError("boom");
                        }))))
                .build();
        closeables.add(app);
        closeables.add(0, EventReceiver.of(app, new LamportClock(), events::add));
        closeables.add(0, app.broker().subscribeBroadcast("celeryev", (rk, m) -> routingKeys.add(rk)));
        return app;
    }

    private Worker worker(Celeriac app, String node, Duration freq) {
        Worker w = new Worker(app, new Worker.Options(node, List.of(), 2, Worker.Pool.THREADS, 4));
        assertThat(WorkerEvents.attach(app, w, freq)).isPresent();
        w.start();
        closeables.add(0, w);
        return w;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private List<Map<String, Object>> ofType(String type) {
        return events.stream().filter(e -> type.equals(e.get("type"))).toList();
    }

    private Map<String, Object> awaitEvent(String type, String uuid) {
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> type.equals(e.get("type"))
                && (uuid == null || uuid.equals(e.get("uuid")))));
        return events.stream().filter(e -> type.equals(e.get("type")) && (uuid == null || uuid.equals(e.get("uuid"))))
                .findFirst().orElseThrow();
    }

    @Test
    void worker_online_heartbeat_and_offline_are_sent_without_task_events() throws Exception {
        Celeriac app = app(false);
        Worker w = worker(app, "ev1@%h", Duration.ofMillis(200));

        Map<String, Object> online = awaitEvent("worker-online", null);
        assertThat(online).containsEntry("hostname", w.nodeName()).containsEntry("freq", 0.2)
                .containsEntry("active", 0L).containsEntry("processed", 0L).containsEntry("sw_ident", "celeriac")
                .containsEntry("pid", ProcessHandle.current().pid())
                .containsKeys("utcoffset", "clock", "timestamp", "loadavg", "sw_ver", "sw_sys", "local_received");
        assertThat((List<?>) online.get("loadavg")).hasSize(3);
        assertThat(routingKeys).contains("worker.online");

        String id = app.task("t.add", Long.class).delay(1L, 2L).id();
        assertThat(app.task("t.add", Long.class).delay(1L, 2L).get(WAIT)).isEqualTo(3L);
        await().atMost(WAIT).until(() -> ofType("worker-heartbeat").stream()
                .anyMatch(e -> ((Number) e.get("processed")).longValue() == 2));

        w.close();
        Map<String, Object> offline = awaitEvent("worker-offline", null);
        assertThat(offline).containsEntry("hostname", w.nodeName());
        assertThat(events).noneMatch(e -> String.valueOf(e.get("type")).startsWith("task-"));
        assertThat(events).noneMatch(e -> id.equals(e.get("uuid")));
        List<Long> clocks = events.stream().map(e -> ((Number) e.get("clock")).longValue()).toList();
        assertThat(clocks).doesNotHaveDuplicates().allMatch(c -> c > 0);
    }

    @Test
    void without_heartbeat_sends_task_events_but_no_worker_online_heartbeat_or_offline() throws Exception {
        Celeriac app = app(true, true);
        Worker w = worker(app, "ev5@%h", Duration.ofMillis(100));
        String ok = app.task("t.add", Long.class).delay(1L, 2L).id();
        awaitEvent("task-succeeded", ok);
        // Five heartbeat periods: a worker with a Heart would have sent worker-online and heartbeats by now.
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> ofType("worker-online").isEmpty()
                && ofType("worker-heartbeat").isEmpty());
        w.close();
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> ofType("worker-offline").isEmpty());
        assertThat(routingKeys).noneMatch(rk -> rk.startsWith("worker."));
    }

    @Test
    void task_events_are_sent_in_task_multi_lists_with_celerys_fields() {
        Celeriac app = app(true);
        Worker w = worker(app, "ev2@%h", Duration.ofSeconds(60));
        String ok = app.task("t.add", Long.class).delay(1L, 2L).id();

        Map<String, Object> received = awaitEvent("task-received", ok);
        Map<String, Object> succeeded = awaitEvent("task-succeeded", ok);

        assertThat(received).containsEntry("name", "t.add").containsEntry("args", "(1, 2)")
                .containsEntry("kwargs", "{}").containsEntry("hostname", w.nodeName());
        awaitEvent("task-started", ok);
        assertThat(succeeded).containsEntry("result", "3");
        assertThat(((Number) succeeded.get("runtime")).doubleValue()).isGreaterThanOrEqualTo(0.0);
        assertThat(routingKeys).contains("task.multi").doesNotContain("task.succeeded", "task.received");

        String bad = app.task("t.fail").delay().id();
        Map<String, Object> failed = awaitEvent("task-failed", bad);
        assertThat(failed).containsEntry("exception", "ValueError('boom')");
        assertThat((String) failed.get("traceback")).isNotBlank();
    }

    @Test
    void revoking_a_held_countdown_task_sends_task_revoked() {
        Celeriac app = app(true);
        Worker w = worker(app, "ev4@%h", Duration.ofSeconds(60));
        String id = app.sendTask("t.add", List.of(1L, 2L), Map.of(),
                org.celeriac.api.ApplyOptions.builder().countdown(60).build()).id();
        try (ControlClient c = new ControlClient(app)) {
            await().atMost(WAIT).until(() -> !((List<?>) c.call("scheduled", Map.of(),
                    ControlOptions.defaults().withTimeout(WAIT).withLimit(1)).get(w.nodeName())).isEmpty());
            c.call("revoke", Map.of("task_id", id), ControlOptions.defaults().withTimeout(WAIT).withLimit(1));
        }

        Map<String, Object> revoked = awaitEvent("task-revoked", id);
        assertThat(revoked).containsEntry("terminated", false).containsEntry("expired", false)
                .containsEntry("signum", null);
    }

    @Test
    void enable_events_and_the_heartbeat_command_work_over_remote_control() {
        Celeriac app = app(false);
        Worker w = worker(app, "ev3@%h", Duration.ofSeconds(60));
        awaitEvent("worker-online", null);
        ControlOptions one = ControlOptions.defaults().withTimeout(WAIT).withLimit(1);
        try (ControlClient c = new ControlClient(app)) {
            c.cast("heartbeat", Map.of(), ControlOptions.defaults());
            Map<String, Object> hb = awaitEvent("worker-heartbeat", null);
            assertThat(hb).containsEntry("hostname", w.nodeName()).containsEntry("freq", 60.0);

            assertThat(c.call("enable_events", Map.of(), one).get(w.nodeName()))
                    .isEqualTo(Map.of("ok", "task events enabled"));
            String id = app.task("t.add", Long.class).delay(2L, 2L).id();
            assertThat(awaitEvent("task-succeeded", id)).containsEntry("result", "4");
        }
    }
}
