package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

class BeatCommandTest {

    @Test
    void beat_options_parse_like_celery_beat() {
        ParseResult r = Main.commandLine().parseArgs("beat", "-A", "org.celeriac.examples.Tasks", "--schedule",
                "/var/run/celeriac/celerybeat-schedule", "-l", "warning", "--max-interval", "10",
                "--broker", "memory://", "--config", "c.yaml");
        BeatCommand b = (BeatCommand) r.subcommand().commandSpec().userObject();

        assertThat(b.appClass).isEqualTo("org.celeriac.examples.Tasks");
        assertThat(b.schedule).isEqualTo(Path.of("/var/run/celeriac/celerybeat-schedule"));
        assertThat(b.logLevel).isEqualTo(Level.WARN);
        assertThat(b.maxInterval).isEqualTo("10");
        assertThat(b.connection.broker).isEqualTo("memory://");
    }

    @Test
    void help_lists_the_shared_options_and_exit_codes() {
        Captured c = Captured.run("beat", "--help");

        assertThat(c.exitCode()).isZero();
        assertThat(c.out()).contains("Usage: celeriac beat", "--schedule", "--broker", "--config", "Exit codes:");
        assertThat(Captured.run("--help").out()).contains("beat");
    }

    @Test
    void a_crontab_field_out_of_range_is_a_configuration_error_naming_the_field(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("beat.yaml");
        Files.writeString(config, """
                beat_schedule:
                  nightly:
                    task: tasks.cleanup
                    schedule: {minute: 0, hour: 25}
                """);
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Captured c = Captured.run("beat", "--broker", ns, "--result-backend", ns, "--config", config.toString(),
                "--schedule", dir.resolve("s").toString());

        assertThat(c.exitCode()).isEqualTo(Main.CONFIG);
        assertThat(c.err()).contains("nightly", "hour", "0 and 23");
    }

    @Test
    void beat_sends_the_configured_entries_through_the_routing_until_stopped(@TempDir Path dir) throws Exception {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Path config = dir.resolve("beat.yaml");
        Files.writeString(config, """
                task_routes: {"tasks.*": {queue: periodic}}
                beat_schedule:
                  tick:
                    task: tasks.tick
                    schedule: 0.2
                    args: [1]
                """);
        Path state = dir.resolve("celerybeat-schedule");
        CommandLine cl = Main.commandLine();
        BeatCommand beat = (BeatCommand) cl.getSubcommands().get("beat").getCommandSpec().userObject();
        java.util.concurrent.CompletableFuture<Integer> exit = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> cl.execute("beat", "--broker", ns, "--result-backend", ns, "--config", config.toString(),
                        "--schedule", state.toString(), "-l", "warning"));
        try (Celeriac app = Celeriac.builder().set("broker_url", ns).set("result_backend", ns)
                .registry(TaskRegistry.of(List.of())).build()) {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> app.broker().messageCount("periodic") >= 2);
        } finally {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> beat.running != null || exit.isDone());
            if (beat.running != null) {
                beat.running.close();
            }
        }
        assertThat(exit.get(20, java.util.concurrent.TimeUnit.SECONDS)).isZero();
        assertThat(Files.readString(state)).contains("\"tick\"", "total_run_count");
    }
}
