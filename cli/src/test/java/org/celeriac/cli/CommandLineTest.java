package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

class CommandLineTest {

    @ParameterizedTest
    @ValueSource(strings = {"worker", "call", "result", "demo"})
    void every_subcommand_has_help_with_the_shared_options_and_exit_codes(String command) {
        Captured c = Captured.run(command, "--help");

        assertThat(c.exitCode()).isZero();
        assertThat(c.out()).contains("Usage: celeriac " + command, "--broker", "--result-backend", "--config",
                "Exit codes:");
    }

    @Test
    void top_level_help_lists_the_commands_and_documents_the_exit_codes() {
        Captured c = Captured.run("--help");

        assertThat(c.exitCode()).isZero();
        assertThat(c.out()).contains("worker", "call", "result", "demo", "Exit codes:",
                "2   usage error", "3   timed out", "4   configuration or connection error");
    }

    @Test
    void no_subcommand_and_unknown_options_are_usage_errors_with_exit_code_2() {
        assertThat(Captured.run().exitCode()).isEqualTo(Main.USAGE);
        Captured c = Captured.run("call", "tasks.add", "--no-such-option");
        assertThat(c.exitCode()).isEqualTo(Main.USAGE);
        assertThat(c.out()).isEmpty();
        assertThat(c.err()).contains("--no-such-option");
    }

    @Test
    void worker_options_parse_like_celery_worker() {
        CommandLine cl = Main.commandLine();
        ParseResult r = cl.parseArgs("worker", "-A", "org.celeriac.examples.Tasks", "-Q", "a,b", "-Q", "c", "-c", "8",
                "-n", "w1@%h", "-l", "warning", "-P", "gevent", "--prefetch-multiplier", "2",
                "--classpath", "x.jar:y.jar", "--classpath", "z.jar", "--broker", "memory://", "--config", "c.yaml");
        WorkerCommand w = (WorkerCommand) r.subcommand().commandSpec().userObject();

        assertThat(w.appClass).isEqualTo("org.celeriac.examples.Tasks");
        assertThat(w.queues).containsExactly("a", "b", "c");
        assertThat(w.concurrency).isEqualTo(8);
        assertThat(w.nodeName).isEqualTo("w1@%h");
        assertThat(w.logLevel).isEqualTo(Level.WARN);
        assertThat(w.pool).isEqualTo("gevent");
        assertThat(w.prefetchMultiplier).isEqualTo(2);
        assertThat(w.classpath).containsExactly(Path.of("x.jar"), Path.of("y.jar"), Path.of("z.jar"));
        assertThat(w.connection.broker).isEqualTo("memory://");
        assertThat(w.connection.config).isEqualTo(Path.of("c.yaml"));
    }

    @Test
    void worker_defaults_leave_the_choice_to_the_settings() {
        ParseResult r = Main.commandLine().parseArgs("worker");
        WorkerCommand w = (WorkerCommand) r.subcommand().commandSpec().userObject();

        assertThat(w.appClass).isNull();
        assertThat(w.queues).isEmpty();
        assertThat(w.concurrency).isZero();
        assertThat(w.prefetchMultiplier).isNull();
        assertThat(w.logLevel).isEqualTo(Level.INFO);
    }

    @Test
    void an_unknown_log_level_or_pool_is_a_usage_error() {
        Captured level = Captured.run("worker", "-l", "loud");
        assertThat(level.exitCode()).isEqualTo(Main.USAGE);
        assertThat(level.err()).contains("unknown log level 'loud'");

        Captured pool = Captured.run("worker", "-P", "forks", "--broker", "memory://", "--result-backend", "memory://");
        assertThat(pool.exitCode()).isEqualTo(Main.USAGE);
        assertThat(pool.err()).contains("unknown pool 'forks'");
    }

    @Test
    void worker_with_an_unknown_app_class_fails_with_a_hint() {
        Captured c = Captured.run("worker", "-A", "com.example.NoSuchTasks", "--broker", "memory://");

        assertThat(c.exitCode()).isEqualTo(Main.CONFIG);
        assertThat(c.err()).contains("com.example.NoSuchTasks", "--classpath");
    }

    @Test
    void worker_with_a_missing_classpath_entry_is_a_usage_error() {
        Captured c = Captured.run("worker", "--classpath", "/nonexistent/tasks.jar", "--broker", "memory://");

        assertThat(c.exitCode()).isEqualTo(Main.USAGE);
        assertThat(c.err()).contains("/nonexistent/tasks.jar: no such file or directory");
    }

    @Test
    void celery_level_names_are_accepted_and_printed() {
        assertThat(Logging.parse("WARNING")).isEqualTo(Level.WARN);
        assertThat(Logging.parse("critical")).isEqualTo(Level.ERROR);
        assertThat(Logging.parse("debug")).isEqualTo(Level.DEBUG);
        assertThatThrownBy(() -> Logging.parse("verbose")).hasMessageContaining("debug, info, warning");

        LoggingEvent warn = new LoggingEvent();
        warn.setLevel(Level.WARN);
        assertThat(new CeleryLevelConverter().convert(warn)).isEqualTo("WARNING");
        LoggingEvent error = new LoggingEvent();
        error.setLevel(Level.ERROR);
        assertThat(new CeleryLevelConverter().convert(error)).isEqualTo("ERROR");
    }

    @Test
    void call_rejects_arguments_that_are_not_json_arrays_or_objects_before_connecting() {
        // an unknown scheme would fail with exit code 4: getting 2 proves the JSON is checked first
        Captured notJson = Captured.run("call", "tasks.add", "--args", "[4, 4", "--broker", "nosuch://x");
        assertThat(notJson.exitCode()).isEqualTo(Main.USAGE);
        assertThat(notJson.out()).isEmpty();
        assertThat(notJson.err()).contains("--args is not valid JSON");

        Captured notArray = Captured.run("call", "tasks.add", "--args", "{\"x\": 1}", "--broker", "nosuch://x");
        assertThat(notArray.exitCode()).isEqualTo(Main.USAGE);
        assertThat(notArray.err()).contains("--args must be a JSON array");

        Captured notObject = Captured.run("call", "tasks.add", "--kwargs", "[1]", "--broker", "nosuch://x");
        assertThat(notObject.exitCode()).isEqualTo(Main.USAGE);
        assertThat(notObject.err()).contains("--kwargs must be a JSON object");

        Captured badEta = Captured.run("call", "tasks.add", "--eta", "tomorrow", "--broker", "nosuch://x");
        assertThat(badEta.exitCode()).isEqualTo(Main.USAGE);
        assertThat(badEta.err()).contains("--eta must be an ISO-8601 time");
    }

    @Test
    void call_options_become_apply_options() {
        ParseResult r = Main.commandLine().parseArgs("call", "tasks.add", "--countdown", "1.5", "--queue", "q",
                "--expires", "2030-01-01T00:00:00Z");
        CallCommand c = (CallCommand) r.subcommand().commandSpec().userObject();
        var o = c.options();

        assertThat(o.countdown()).isEqualTo(java.time.Duration.ofMillis(1500));
        assertThat(o.queue()).isEqualTo("q");
        assertThat(o.expires()).isEqualTo(java.time.Instant.parse("2030-01-01T00:00:00Z"));
    }

    @Test
    void an_unknown_broker_scheme_is_a_configuration_error_with_exit_code_4() {
        Captured c = Captured.run("call", "tasks.add", "--args", "[1, 2]", "--broker", "nosuch://localhost");

        assertThat(c.exitCode()).isEqualTo(Main.CONFIG);
        assertThat(c.out()).isEmpty();
        assertThat(c.err()).contains("nosuch");
    }

    @Test
    void call_prints_only_the_task_id_on_stdout() {
        Captured c = Captured.run("call", "tasks.add", "--args", "[1, 2]", "--broker", "memory://",
                "--result-backend", "memory://");

        assertThat(c.exitCode()).isZero();
        assertThat(c.out()).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\R");
    }

    @Test
    void result_json_is_one_line_that_python_reads() {
        JsonCodec json = JsonCodec.load(getClass().getClassLoader());

        String line = json.format(java.util.Map.of("text", "two\nlines \u2028 é", "n", List.of(1L, 2.5, true)));
        assertThat(line).doesNotContain("\n").contains("\\n");
        assertThat(json.parse(line)).isEqualTo(java.util.Map.of("text", "two\nlines \u2028 é",
                "n", List.of(1L, 2.5, true)));
    }
}
