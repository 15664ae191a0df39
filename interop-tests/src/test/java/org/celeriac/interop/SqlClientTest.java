package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.LamportClock;
import org.celeriac.core.events.EventReceiver;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The client on the SQL transport, end to end with a real worker: a countdown waits durably in the database (the
 * row's {@code not_before}, issue 7's visible_at), not in a worker's memory, and runs at or after its ETA, on H2,
 * PostgreSQL and MariaDB; and {@code task_send_sent_event} makes the client send Celery's {@code task-sent}
 * event through the transport's broadcast, which an {@link EventReceiver} sees.
 *
 * <p>Schema / database {@code celeriac_client_sql} on the shared servers; a queue of its own per run.
 */
class SqlClientTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String NAME = "celeriac_client_sql";

    @TempDir
    Path dir;

    private final Map<String, Instant> ranAt = new ConcurrentHashMap<>();

    private TaskDefinition stamp() {
        return TaskDefinition.of("client.stamp", TaskOptions.DEFAULTS, (context, args, kwargs) -> {
            ranAt.put(context.id(), Instant.now());
            return args.get(0);
        });
    }

    private Celeriac app(String url, Map<String, Object> extra) {
        Celeriac.Builder b = Celeriac.builder().set("broker_url", url).set("result_backend", url)
                .set("celeriac_data_dir", dir.toString()).registry(TaskRegistry.of(List.of(stamp())));
        extra.forEach(b::set);
        return b.build();
    }

    @ParameterizedTest
    @EnumSource(SqlDatabases.class)
    void aCountdownWaitsInTheDatabaseAndRunsAtItsEta(SqlDatabases db) throws Exception {
        String url = db.url(dir, NAME);
        String queue = Interop.uniqueQueue("countdown");
        try (Celeriac app = app(url, Map.of())) {
            Instant before = Instant.now();
            AsyncResult<Object> r = app.task("client.stamp").applyAsync(List.of("later"), null,
                    ApplyOptions.builder().queue(queue).countdown(1.5).build());
            Celeriac.published(r).get();
            Instant after = Instant.now();

            // in the broker, durably: the row carries the ETA as not_before, and is not ready before it
            long notBefore;
            try (Connection c = DriverManager.getConnection(url);
                 PreparedStatement ps = c.prepareStatement("select not_before from celeriac_message where queue = ?")) {
                ps.setString(1, queue);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).as("the task's row").isTrue();
                    notBefore = rs.getLong(1);
                    assertThat(rs.next()).isFalse();
                }
            }
            assertThat(notBefore).isBetween(before.plusMillis(1500).toEpochMilli(), after.plusMillis(1500).toEpochMilli());
            Instant eta = Instant.ofEpochMilli(notBefore);
            if (Instant.now().isBefore(eta)) {
                assertThat(app.broker().messageCount(queue)).as("not ready before its ETA").isZero();
            }

            try (Worker worker = new Worker(app, new Worker.Options("countdown-" + db + "@%h", List.of(queue), 1,
                    Worker.Pool.THREADS, 1))) {
                worker.start();
                assertThat(r.get(WAIT)).isEqualTo("later");
            }
            assertThat(ranAt.get(r.id())).isAfterOrEqualTo(eta);
        }
    }

    @Test
    void taskSentEventsGoOutThroughTheSqlBroadcast() {
        String url = SqlDatabases.H2.url(dir, NAME);
        String queue = Interop.uniqueQueue("sent");
        List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
        try (Celeriac app = app(url, Map.of("task_send_sent_event", true));
             Celeriac monitor = app(url, Map.of());
             EventReceiver receiver = EventReceiver.of(monitor, new LamportClock(), events::add)) {
            AsyncResult<Object> r = app.task("client.stamp").applyAsync(List.of("x"), Map.of("k", 1),
                    ApplyOptions.builder().queue(queue).build());
            await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> "task-sent".equals(e.get("type"))
                    && r.id().equals(e.get("uuid"))));
            Map<String, Object> e = events.stream().filter(x -> r.id().equals(x.get("uuid"))).findFirst().orElseThrow();
            assertThat(e).containsEntry("name", "client.stamp").containsEntry("args", "('x',)")
                    .containsEntry("kwargs", "{'k': 1}").containsEntry("queue", queue).containsEntry("routing_key", queue)
                    .containsEntry("exchange", "").containsEntry("root_id", r.id()).containsEntry("eta", null)
                    .containsEntry("hostname", app.origin()).containsKey("local_received");
        }
    }
}
