package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskFailedException;
import org.celeriac.core.Celeriac;
import org.celeriac.core.config.EmbeddedDefault;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code celeriac worker} process and a client in this JVM on one temporary H2 file: success,
 * failure with traceback, an unregistered task, a malformed message followed by a good one, the CLI's
 * {@code call}/{@code result} output, and a warm shutdown on SIGTERM with exit code 0.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkerEndToEndTest {
    private static final Duration RESULT_TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;

    private String url;
    private WorkerProcess worker;
    private Celeriac app;

    @BeforeAll
    void startWorkerAndClient() throws Exception {
        url = EmbeddedDefault.at(dir).url();
        worker = WorkerProcess.start(dir, List.of("-A", "org.celeriac.examples.Tasks", "-c", "2", "-n", "e2e@%h",
                "-l", "info", "--broker", url, "--result-backend", url)).awaitReady(Duration.ofSeconds(90));
        app = Celeriac.builder().set("broker_url", url).set("result_backend", url)
                .set("celeriac_data_dir", dir.toString()).build();
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
        if (worker != null) {
            worker.close();
        }
    }

    private AsyncResult<Object> send(String name, List<?> args) {
        return app.sendTask(name, args, Map.of(), ApplyOptions.NONE);
    }

    @Test
    @Order(1)
    void a_task_sent_from_this_process_runs_in_the_worker_process() {
        assertThat(send("tasks.add", List.of(4, 4)).get(RESULT_TIMEOUT)).isEqualTo(8L);
        assertThat(worker.log()).contains("tasks.add");
    }

    @Test
    @Order(2)
    void a_failing_task_reports_the_remote_type_message_and_traceback() {
        AsyncResult<Object> r = send("tasks.fail", List.of("boom"));

        assertThatThrownBy(() -> r.get(RESULT_TIMEOUT))
                .asInstanceOf(type(TaskFailedException.class))
                .satisfies(e -> {
                    assertThat(e.excType()).isEqualTo("ValueError");
                    assertThat(e.excMessage()).isEqualTo("boom");
                    assertThat(e.state()).isEqualTo("FAILURE");
                    assertThat(e.remoteTraceback()).isNotBlank();
                });
        assertThat(r.traceback()).isNotBlank();
    }

    @Test
    @Order(3)
    void an_unregistered_task_fails_with_not_registered_and_the_worker_keeps_running() {
        AsyncResult<Object> r = send("no.such.task", List.of(1));

        assertThatThrownBy(() -> r.get(RESULT_TIMEOUT))
                .asInstanceOf(type(TaskFailedException.class))
                .extracting(TaskFailedException::excType).isEqualTo("NotRegistered");
        assertThat(worker.log()).contains("Received unregistered task of type").contains("no.such.task");
        assertThat(send("tasks.mul", List.of(6, 7)).get(RESULT_TIMEOUT)).isEqualTo(42L);
        assertThat(worker.process().isAlive()).isTrue();
    }

    @Test
    @Order(4)
    void a_malformed_message_is_rejected_and_the_next_good_one_succeeds() throws Exception {
        Message garbage = new Message(Map.of(), MessageProperties.builder().contentType("application/json")
                .contentEncoding("utf-8").build(), "{this is not json".getBytes(StandardCharsets.UTF_8));
        app.broker().publish("", "celery", garbage).get(10, TimeUnit.SECONDS);

        assertThat(send("tasks.add", List.of(1, 2)).get(RESULT_TIMEOUT)).isEqualTo(3L);
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> worker.log().toLowerCase(java.util.Locale.ROOT).contains("rejected"));
        assertThat(worker.process().isAlive()).isTrue();
    }

    @Test
    @Order(5)
    void the_cli_prints_only_the_id_and_then_the_result_as_one_json_line() {
        Captured call = Captured.run("call", "tasks.echo", "--args", "[{\"a\": [1, 2.5, null, \"x\"]}]",
                "--broker", url, "--result-backend", url);
        assertThat(call.exitCode()).isZero();
        assertThat(call.out()).matches("[0-9a-f-]{36}\\R");
        String id = call.out().strip();

        Captured result = Captured.run("result", id, "--timeout", "30", "--broker", url, "--result-backend", url);
        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("{\"a\": [1, 2.5, null, \"x\"]}" + System.lineSeparator());
    }

    @Test
    @Order(6)
    void the_cli_result_of_a_failure_goes_to_stderr_with_exit_code_1() {
        AsyncResult<Object> r = send("tasks.fail", List.of("kaputt"));
        assertThatThrownBy(() -> r.get(RESULT_TIMEOUT)).isInstanceOf(TaskFailedException.class);

        Captured plain = Captured.run("result", r.id(), "--broker", url, "--result-backend", url);
        assertThat(plain.exitCode()).isEqualTo(Main.TASK_FAILED);
        assertThat(plain.out()).isEmpty();
        assertThat(plain.err()).contains("FAILURE: ValueError: kaputt");

        Captured withTraceback = Captured.run("result", r.id(), "--traceback", "--broker", url, "--result-backend", url);
        assertThat(withTraceback.exitCode()).isEqualTo(Main.TASK_FAILED);
        assertThat(withTraceback.err()).contains(r.traceback().lines().findFirst().orElseThrow());
    }

    @Test
    @Order(7)
    void result_times_out_with_exit_code_3_for_a_task_nobody_ran() {
        Captured c = Captured.run("result", "00000000-0000-0000-0000-000000000000", "--timeout", "0.3",
                "--broker", url, "--result-backend", url);

        assertThat(c.exitCode()).isEqualTo(Main.TIMEOUT);
        assertThat(c.out()).isEmpty();
        assertThat(c.err()).contains("not ready");
    }

    @Test
    @Order(100)
    void sigterm_is_a_warm_shutdown_with_exit_code_0() throws Exception {
        app.close();
        app = null;

        assertThat(worker.terminate(Duration.ofSeconds(30))).isZero();
        assertThat(worker.log()).contains("Warm shutdown");
    }
}
