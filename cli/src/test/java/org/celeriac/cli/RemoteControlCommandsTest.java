package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code celeriac inspect/control/status} against a worker in this JVM on memory://. */
class RemoteControlCommandsTest {
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private String broker;
    private Worker worker;

    private static TaskDefinition task(String name) {
        return TaskDefinition.of(name, TaskOptions.DEFAULTS, (context, args, kwargs) -> ((Number) args.get(0)).longValue() + ((Number) args.get(1)).longValue());
    }

    @BeforeEach
    void startWorker() {
        broker = "memory://cli" + UUID.randomUUID().toString().replace("-", "");
        Celeriac app = Celeriac.builder().set("broker_url", broker)
                .registry(TaskRegistry.of(List.of(task("tasks.add"), task("tasks.mul")))).build();
        closeables.add(app);
        worker = new Worker(app, new Worker.Options("cli@%h", List.of(), 1, Worker.Pool.THREADS, 1));
        worker.start();
        closeables.add(0, worker);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    /** Runs a command addressed to the test's worker, so it returns as soon as that worker answered. */
    private Captured run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--broker", broker, "-d", worker.nodeName(), "-t", "10"));
        return Captured.run(all.toArray(String[]::new));
    }

    @Test
    void inspect_ping_prints_celerys_lines_and_the_node_count() {
        Captured c = Captured.run("inspect", "ping", "--broker", broker);

        assertThat(c.exitCode()).isZero();
        assertThat(c.out()).isEqualTo("->  " + worker.nodeName() + ": OK\n        pong\n\n1 node online.\n");
    }

    @Test
    void inspect_ping_of_a_node_that_does_not_answer_fails_like_celery() {
        Captured c = Captured.run("inspect", "ping", "-d", "nobody@nowhere", "-t", "0.3", "--broker", broker);

        assertThat(c.exitCode()).isEqualTo(69);
        assertThat(c.out()).isEmpty();
        assertThat(c.err()).contains("No nodes replied within time constraint");
    }

    @Test
    void inspect_ping_with_the_node_as_destination_is_a_liveness_probe() {
        Captured c = Captured.run("inspect", "ping", "-d", worker.nodeName(), "--timeout", "5", "--broker", broker);

        assertThat(c.exitCode()).isZero();
        assertThat(c.out()).contains("->  " + worker.nodeName() + ": OK");
    }

    @Test
    void inspect_registered_lists_tasks_and_json_mode_prints_one_object() {
        Captured list = run("inspect", "registered");
        assertThat(list.out()).contains("->  " + worker.nodeName() + ": OK\n    * tasks.add\n    * tasks.mul\n");

        Captured json = run("inspect", "stats", "-j");
        assertThat(json.exitCode()).isZero();
        assertThat(json.out().strip()).startsWith("{\"" + worker.nodeName() + "\": {").doesNotContain("\n")
                .contains("\"max-concurrency\": 1");
    }

    @Test
    void inspect_stats_prints_the_dict_as_indented_sorted_json() {
        Captured c = run("inspect", "stats");

        assertThat(c.exitCode()).isZero();
        assertThat(c.out()).contains("->  " + worker.nodeName() + ": OK\n    {\n        \"broker\": {")
                .contains("        \"clock\": \"").contains("\"prefetch_count\": 1");
    }

    @Test
    void an_unknown_verb_lists_the_valid_ones() {
        Captured i = Captured.run("inspect", "pong", "--broker", broker);
        assertThat(i.exitCode()).isEqualTo(Main.USAGE);
        assertThat(i.err()).contains("'pong' is not one of").contains("'active'", "'ping'", "'stats'", "'query_task'");

        Captured c = Captured.run("control", "explode", "--broker", broker);
        assertThat(c.exitCode()).isEqualTo(Main.USAGE);
        assertThat(c.err()).contains("'explode' is not one of").contains("'rate_limit'", "'revoke'", "'shutdown'");
    }

    @Test
    void control_rate_limit_answers_with_celerys_text_and_registered_shows_it() {
        Captured c = run("control", "rate_limit", "tasks.add", "10/m");

        assertThat(c.exitCode()).isZero();
        assertThat(c.out()).isEqualTo("->  " + worker.nodeName() + ": OK\n        new rate limit set successfully\n");
        assertThat(run("inspect", "registered").out()).contains("* tasks.add [rate_limit=10/m]");
        Captured bad = run("control", "rate_limit", "tasks.nope", "1/s");
        assertThat(bad.out()).contains(": ERROR\n        unknown task");
    }

    @Test
    void control_revoke_and_terminate_report_the_ids() {
        Captured r = run("control", "revoke", "id-1", "id-2");
        assertThat(r.out()).contains("tasks id-1, id-2 flagged as revoked");
        assertThat(run("inspect", "revoked").out()).contains("* id-1", "* id-2");
        Captured t = run("control", "terminate", "SIGKILL", "id-3");
        assertThat(t.out()).contains("terminate: tasks unknown");
    }

    @Test
    void control_commands_check_their_arguments() {
        Captured c = Captured.run("control", "rate_limit", "tasks.add", "--broker", broker);
        assertThat(c.exitCode()).isEqualTo(Main.USAGE);
        assertThat(c.err()).contains("TASK RATE");
        assertThat(ControlCommand.arguments("time_limit", List.of("tasks.add", "10", "20")))
                .containsEntry("task_name", "tasks.add").containsEntry("soft", 10.0).containsEntry("hard", 20.0);
        assertThat(ControlCommand.arguments("terminate", List.of("abc"))).containsEntry("signal", "SIGTERM")
                .containsEntry("task_id", List.of("abc"));
        assertThat(ControlCommand.arguments("add_consumer", List.of("q1", "ex", "topic", "rk.#")))
                .containsEntry("exchange_type", "topic").containsEntry("routing_key", "rk.#");
        assertThat(InspectCommand.arguments("query_task", List.of("a", "b"))).containsEntry("ids", List.of("a", "b"));
    }

    @Test
    void control_pool_grow_add_consumer_and_events_reach_the_worker() {
        assertThat(run("control", "pool_grow", "2").out()).contains("pool will grow");
        assertThat(worker.concurrency()).isEqualTo(3);
        assertThat(run("control", "add_consumer", "more").out())
                .contains("add consumer more");
        assertThat(worker.queues()).containsExactly("celery", "more");
        assertThat(run("inspect", "active_queues", "-j").out()).contains("\"name\": \"more\"");
        assertThat(run("control", "enable_events").out()).contains("task events enabled");
    }

    @Test
    void status_lists_the_nodes_online_and_shutdown_stops_them() throws Exception {
        Captured s = Captured.run("status", "--broker", broker);
        assertThat(s.exitCode()).isZero();
        assertThat(s.out()).isEqualTo("->  " + worker.nodeName() + ": OK\n\n1 node online.\n");

        Captured down = Captured.run("control", "shutdown", "--broker", broker);
        assertThat(down.exitCode()).isZero();
        assertThat(down.out()).contains("shutdown sent");
        assertThat(worker.awaitTermination(Duration.ofSeconds(10))).isTrue();
        assertThat(Captured.run("status", "-t", "0.2", "--broker", broker).exitCode()).isEqualTo(69);
    }

    @ParameterizedTest
    @ValueSource(strings = {"inspect", "control", "status"})
    void help_shows_the_remote_control_options(String command) {
        Captured c = Captured.run(command, "--help");
        assertThat(c.exitCode()).isZero();
        assertThat(c.out()).contains("--destination", "--timeout", "--json", "--broker", "Exit codes:", "69");
    }
}
