package org.celeriac.cli;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code celeriac worker -B}: the worker runs beat too, as {@code celery worker -B} does. */
class WorkerBeatTest {

    @Test
    void aWorkerWithBeatSendsAndRunsItsPeriodicTasks(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("beat.yaml");
        Files.writeString(config, """
                beat_schedule:
                  answer:
                    task: tasks.add
                    schedule: 0.5
                    args: [20, 22]
                """);
        try (WorkerProcess worker = WorkerProcess.start(dir, List.of("-A", "org.celeriac.examples.Tasks", "-c", "1",
                "-n", "beat@%h", "-B", "-s", dir.resolve("celerybeat-schedule").toString(), "--config", config.toString()))) {
            worker.awaitReady(Duration.ofSeconds(60));
            await("a periodic tasks.add run by the same worker").atMost(Duration.ofSeconds(30))
                    .until(() -> worker.log().lines().anyMatch(l -> l.contains("Task tasks.add[") && l.endsWith(": 42")));
        }
    }
}
