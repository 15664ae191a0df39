package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.celeriac.api.ApplyOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.config.EmbeddedDefault;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code celeriac purge} on memory://, Redis (db 15, queues unique to this run) and the embedded H2 default:
 * the confirmation, Celery's summary line, per-queue counts, -Q/-X and the default queues.
 */
class PurgeCommandTest {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    static Path dir;

    private static String url(String kind) {
        return switch (kind) {
            case "memory" -> "memory://purge" + RUN;
            case "redis" -> {
                requireRedis();
                yield "redis://127.0.0.1:6379/15";
            }
            case "h2" -> EmbeddedDefault.at(dir).url();
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static void requireRedis() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 6379), 500);
        } catch (IOException e) {
            String msg = "Redis is not running on 127.0.0.1:6379 (start it with: redis-server --daemonize yes --bind "
                    + "127.0.0.1 --port 6379 --save \"\" --appendonly no)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(msg);
            }
            Assumptions.abort(msg);
        }
    }

    private static Celeriac app(String url, String defaultQueue) {
        return Celeriac.builder().set("broker_url", url).set("result_backend", url).set("task_default_queue", defaultQueue).set("task_ignore_result", true).build();
    }

    private static void send(Celeriac app, String queue, int n) {
        for (int i = 0; i < n; i++) {
            Celeriac.published(app.sendTask("tasks.add", List.of(i, i), Map.of(),
                    ApplyOptions.builder().queue(queue).ignoreResult(true).build())).join();
        }
    }

    private static Captured withInput(String input, String... args) {
        InputStream old = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            return Captured.run(args);
        } finally {
            System.setIn(old);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "redis", "h2"})
    void purge_asks_first_then_reports_per_queue_and_in_total_as_celery(String kind) {
        String url = url(kind);
        String a = "purge-a-" + kind + RUN;
        String b = "purge-b-" + kind + RUN;
        try (Celeriac app = app(url, "celery")) {
            send(app, a, 3);
            send(app, b, 1);
            String[] args = {"purge", "-Q", a + "," + b, "--broker", url, "--result-backend", url};

            Captured no = withInput("n\n", args);
            assertThat(no.exitCode()).isEqualTo(Main.TASK_FAILED);
            assertThat(no.err()).contains("WARNING: This will remove all tasks from queues: " + a + ", " + b + ".")
                    .contains("There is no undo for this operation!").contains("(to skip this prompt use the -f option)")
                    .contains("Aborted!");
            assertThat(app.broker().messageCount(a)).isIn(3L, -1L);

            Captured yes = withInput("y\n", args);
            assertThat(yes.exitCode()).isZero();
            assertThat(yes.out()).isEqualTo("  " + a + ": 3 messages\n  " + b + ": 1 message\n"
                    + "Purged 4 messages from 2 known task queues.\n");

            Captured again = Captured.run("purge", "-f", "-Q", a, "--broker", url, "--result-backend", url);
            assertThat(again.out()).endsWith("No messages purged from 1 queue.\n");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void purge_defaults_to_the_known_task_queues_and_excludes_with_X(String kind) {
        String url = url(kind);
        String def = "purge-default-" + kind + RUN;
        String other = "purge-other-" + kind + RUN;
        try (Celeriac app = app(url, def)) {
            send(app, def, 2);
            send(app, other, 2);

            Captured c = Captured.run("purge", "-f", "--broker", url, "--result-backend", url,
                    "--config", writeConfig(def, null).toString());
            assertThat(c.exitCode()).isZero();
            assertThat(c.out()).isEqualTo("  " + def + ": 2 messages\nPurged 2 messages from 1 known task queue.\n");

            send(app, def, 1);
            Captured queues = Captured.run("purge", "-f", "-X", def, "--broker", url, "--result-backend", url,
                    "--config", writeConfig(def, List.of(def, other)).toString());
            assertThat(queues.out()).isEqualTo("  " + other + ": 2 messages\nPurged 2 messages from 1 known task queue.\n");
            assertThat(Captured.run("purge", "-f", "-Q", def, "--broker", url, "--result-backend", url).out())
                    .contains(def + ": 1 message\n");
        }
    }

    private static Path writeConfig(String defaultQueue, List<String> taskQueues) {
        Path f = dir.resolve("purge-" + UUID.randomUUID() + ".yaml");
        StringBuilder sb = new StringBuilder("task_default_queue: " + defaultQueue + "\n");
        if (taskQueues != null) {
            sb.append("task_queues:\n");
            taskQueues.forEach(q -> sb.append("  - ").append(q).append('\n'));
        }
        try {
            java.nio.file.Files.writeString(f, sb.toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return f;
    }

    @org.junit.jupiter.api.Test
    void no_answer_on_stdin_aborts() {
        String url = url("memory");
        Captured c = withInput("", "purge", "--broker", url, "--result-backend", url);
        assertThat(c.exitCode()).isEqualTo(Main.TASK_FAILED);
        assertThat(c.err()).contains("from queue: celery.").contains("Aborted!");
    }
}
