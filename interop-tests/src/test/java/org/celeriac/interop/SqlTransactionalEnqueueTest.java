package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Transactional enqueue (the outbox, issue 7) end to end with a real worker, on H2, PostgreSQL and MariaDB: the client
 * publishes with {@link ApplyOptions.Builder#transaction} inside the caller's own JDBC transaction, next to the
 * caller's business row. Until the commit no other connection sees the message and the worker, consuming the
 * queue, gets nothing; after a rollback the task is never delivered; after a commit it runs once.
 *
 * <p>Schema / database {@code celeriac_client_tx} on the shared servers; a queue of its own per run.
 */
class SqlTransactionalEnqueueTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String NAME = "celeriac_client_tx";

    @TempDir
    Path dir;

    private final Set<String> ran = ConcurrentHashMap.newKeySet();

    private TaskDefinition ship() {
        return TaskDefinition.of("outbox.ship", TaskOptions.DEFAULTS, (context, args, kwargs) -> {
            ran.add(String.valueOf(args.get(0)));
            return "shipped " + args.get(0);
        });
    }

    @ParameterizedTest
    @EnumSource(SqlDatabases.class)
    void aTaskPublishedInTheCallersTransactionExistsOnlyIfItCommits(SqlDatabases db) throws Exception {
        String url = db.url(dir, NAME);
        String queue = Interop.uniqueQueue("outbox");
        SqlDatabases.execute(url, "create table if not exists client_outbox_orders (id varchar(64) primary key)");
        try (Celeriac app = Celeriac.builder().set("broker_url", url).set("result_backend", url)
                .set("celeriac_data_dir", dir.toString()).registry(TaskRegistry.of(List.of(ship()))).build();
             Worker worker = new Worker(app, new Worker.Options("outbox-" + db + "@%h", List.of(queue), 1,
                     Worker.Pool.THREADS, 1))) {
            worker.start();
            ApplyOptions.Builder options = ApplyOptions.builder().queue(queue);

            // rolled back: the order and its task vanish together
            String lost = "lost-" + queue;
            AsyncResult<Object> rolledBack;
            try (Connection c = DriverManager.getConnection(url)) {
                c.setAutoCommit(false);
                insertOrder(c, lost);
                rolledBack = app.task("outbox.ship").applyAsync(List.of(lost), null, options.transaction(c).build());
                assertThat(messages(url, queue)).as("uncommitted, so invisible to other connections").isZero();
                c.rollback();
            }

            // committed: invisible until the commit, then run once
            String kept = "kept-" + queue;
            AsyncResult<Object> committed;
            try (Connection c = DriverManager.getConnection(url)) {
                c.setAutoCommit(false);
                insertOrder(c, kept);
                committed = app.task("outbox.ship").applyAsync(List.of(kept), null, options.transaction(c).build());
                assertThat(messages(url, queue)).as("uncommitted, so invisible to other connections").isZero();
                assertThat(ran).as("the worker cannot have it before the commit").isEmpty();
                c.commit();
            }
            assertThat(committed.get(WAIT)).isEqualTo("shipped " + kept);

            // a plain task sent after both: once it ran, the rolled-back one (older) would have run before it
            AsyncResult<Object> marker = app.task("outbox.ship").applyAsync(List.of("marker"), null,
                    ApplyOptions.builder().queue(queue).build());
            assertThat(marker.get(WAIT)).isEqualTo("shipped marker");
            await().atMost(WAIT).until(() -> messages(url, queue) == 0);
            assertThat(ran).containsExactlyInAnyOrder(kept, "marker");
            assertThat(rolledBack.state()).isEqualTo(org.celeriac.api.TaskState.PENDING);
            assertThat(orders(url, lost)).isZero();
            assertThat(orders(url, kept)).isOne();
        }
    }

    private static void insertOrder(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into client_outbox_orders (id) values (?)")) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
    }

    private static long orders(String url, String id) throws SQLException {
        return count(url, "select count(*) from client_outbox_orders where id = ?", id);
    }

    /** Rows of the queue in the transport's table, claimed or not, as another connection sees them. */
    private static long messages(String url, String queue) throws SQLException {
        return count(url, "select count(*) from celeriac_message where queue = ?", queue);
    }

    private static long count(String url, String sql, String param) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
