package org.celeriac.backend.jdbc;

import org.celeriac.testsupport.ExternalDatabases;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.api.TaskState;
import org.junit.jupiter.api.Test;

/** PostgreSQL specifics of backend-jdbc (schema {@code celeriac_bjdbc_pg}): LISTEN/NOTIFY wake-ups. */
class PostgresJdbcResultBackendTest {

    @Test
    void aResultStoredByAnotherBackendWakesAWaiterThroughNotifyLongBeforeItsPollInterval() throws Exception {
        String url = ExternalDatabases.postgres("celeriac_bjdbc_pg");
        String id = "notify-" + UUID.randomUUID();
        try (JdbcResultBackend waiter = TestBackends.open(url, Map.of());
             JdbcResultBackend storer = TestBackends.open(url, Map.of())) {
            CompletableFuture<TaskMeta> ready = waiter.whenReady(id, Duration.ofSeconds(30));
            // idle until the poller's interval (2 ms, x1.5 per empty round, up to 30 s) is several seconds long
            await().pollDelay(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(10)).until(() -> true);
            assertThat(ready).isNotDone();
            storer.store(new TaskMeta(id, TaskState.SUCCESS, 42L, null, List.of(), Instant.now(), null, null, null));
            long t0 = System.nanoTime();
            TaskMeta meta = ready.get(700, TimeUnit.MILLISECONDS);
            assertThat(meta.state()).isEqualTo(TaskState.SUCCESS);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(700));
        }
    }
}
