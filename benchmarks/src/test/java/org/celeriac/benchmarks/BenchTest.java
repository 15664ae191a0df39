package org.celeriac.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.testsupport.RedisServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BenchTest {

    @Test
    void benchTasksAreRegisteredByTheAnnotationProcessor() {
        TaskRegistry registry = TaskRegistry.load(BenchTasks.class.getClassLoader(), BenchTasks.class);
        assertThat(registry.names()).containsExactlyInAnyOrder("bench.noop", "bench.add");
        assertThat(registry.get("bench.noop").orElseThrow().options().ignoreResult()).isTrue();
    }

    @Test
    void noopRunsAreCounted() {
        long before = DrainRecorder.count();
        BenchTasks.noop();
        BenchTasks.noop();
        assertThat(DrainRecorder.count()).isEqualTo(before + 2);
    }

    @Test
    void theWorkerStartsAsTheLauncherStartsIt() {
        List<String> cmd = WorkerProcess.command("a.jar:b.jar", List.of("-A", "X", "-Q", "q"));
        assertThat(cmd.get(0)).endsWith("/bin/java");
        assertThat(cmd.subList(cmd.indexOf("-cp"), cmd.size()))
                .containsExactly("-cp", "a.jar:b.jar", "org.celeriac.cli.Main", "worker", "-A", "X", "-Q", "q");
    }

    @Test
    void theWorkersLogShowsItsCommandWithoutPasswords(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path log = dir.resolve("worker.log");
        try (WorkerProcess w = WorkerProcess.start("no-such.jar", List.of("--broker=amqp://user:s3cret@host:5672//",
                "--result-backend=redis://:s3cret@host/1"), java.util.Map.of(), log)) {
            String first = java.nio.file.Files.readAllLines(log).get(0);
            assertThat(first).contains("--broker=amqp://user:***@host:5672//", "--result-backend=redis://:***@host/1")
                    .doesNotContain("s3cret");
        }
    }

    @Test
    void rssIsReadFromProc() throws IOException {
        assertThat(WorkerProcess.rssBytes(ProcessHandle.current().pid())).isGreaterThan(1024 * 1024);
        assertThat(WorkerProcess.cpuSeconds(ProcessHandle.current().pid())).isGreaterThan(0);
    }

    @Test
    void memoryBrokerIsRejectedWithAPointerToJmh() {
        var err = new java.io.StringWriter();
        CommandLine cl = Bench.commandLine().setErr(new java.io.PrintWriter(err));
        int code = cl.execute("--broker", "memory://", "--scenario", "drain");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("WorkerDispatchBenchmark");
    }

    @Test
    void transportOptionsAreForThePublishScenarioOnly() {
        var err = new java.io.StringWriter();
        CommandLine cl = Bench.commandLine().setErr(new java.io.PrintWriter(err));
        int code = cl.execute("--broker", "amqp://guest:guest@127.0.0.1:5672//", "--scenario", "drain",
                "--transport-option", "queue_mode=lazy");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--transport-option applies to the publish scenario only");
    }

    @Test
    void roundTripsAreTimedOneByOneIntoTheLatenciesFile(@TempDir Path dir) throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.server(dir)) {
            Path latencies = dir.resolve("latencies.txt");
            long before = System.currentTimeMillis();
            int code = Bench.commandLine().execute("--broker", redis.url(0), "--scenario", "roundtrip", "-n", "20",
                    "--warmup", "0", "--latencies", latencies.toString(), "--worker-log",
                    dir.resolve("worker.log").toString(), "--timeout", "120");
            assertThat(code).as("bench exit code (worker log: %s)", dir.resolve("worker.log")).isZero();
            List<String> lines = Files.readAllLines(latencies);
            assertThat(lines).hasSize(20).allSatisfy(line -> {
                String[] f = line.split(" ");
                assertThat(f).hasSize(2);
                assertThat(Long.parseLong(f[0])).isBetween(before, System.currentTimeMillis());
                assertThat(Long.parseLong(f[1])).isPositive();
            });
        }
    }
}
