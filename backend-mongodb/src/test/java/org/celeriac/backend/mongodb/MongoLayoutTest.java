package org.celeriac.backend.mongodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.bson.Document;
import org.celeriac.api.TaskState;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ExceptionInfo;
import org.celeriac.spi.backend.GroupMeta;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskMetaCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Celery's MongoDB layout (celery-wire.md §4.3), configuration, expiry and waiting, checked on the raw documents. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MongoLayoutTest {
    private final TestMongo mongo = new TestMongo();
    private final MongoResultBackend backend = mongo.open(Map.of());
    private final MongoClient raw = MongoClients.create("mongodb://" + mongo.hostPort());

    @AfterAll
    void tearDown() {
        try {
            backend.close();
            raw.close();
        } finally {
            mongo.close();
        }
    }

    private MongoCollection<Document> coll(String name) {
        return raw.getDatabase(mongo.database()).getCollection(name);
    }

    private static String id() {
        return UUID.randomUUID().toString();
    }

    @Test
    void taskDocumentIsCeleryS() {
        String id = id();
        String child = id();
        TaskMeta.Extended ext = new TaskMeta.Extended("tasks.add", List.of(2L, 2L), Map.of("z", 1L), "celery@w", 1, "celery");
        backend.store(new TaskMeta(id, TaskState.SUCCESS, 4L, null, List.of(TaskMetaCodec.resultTuple(child)),
                Instant.parse("2026-11-23T00:12:27.953911Z"), "g1", "p1", ext));
        Document d = coll("celery_taskmeta").find(Filters.eq("_id", id)).first();
        assertThat(d).isNotNull();
        assertThat(d.keySet()).containsExactly("_id", "status", "result", "traceback", "children", "date_done",
                "group_id", "parent_id", "name", "args", "kwargs", "worker", "retries", "queue");
        assertThat(d.get("status")).isEqualTo("SUCCESS");
        assertThat(d.get("result")).isEqualTo("4"); // the JSON encoding, as a string
        assertThat(d.get("date_done")).isEqualTo("2026-11-23T00:12:27.953911");
        // native nested arrays [[child, null], null], not an encoded string
        assertThat(d.get("children")).isEqualTo(List.of(java.util.Arrays.asList(java.util.Arrays.asList(child, null), null)));
        assertThat(d.get("args")).isEqualTo(List.of(2L, 2L)); // native array, not encoded
        assertThat(d.get("kwargs")).isEqualTo(new Document("z", 1L));
        assertThat(d.get("retries")).isEqualTo(1);
    }

    @Test
    void failureResultIsTheEncodedExceptionString() {
        String id = id();
        backend.store(TaskMeta.of(id, TaskState.FAILURE, new ExceptionInfo("ValueError", List.of("bad"), "builtins").toMap(), "tb"));
        Document d = coll("celery_taskmeta").find(Filters.eq("_id", id)).first();
        assertThat(d.get("result")).isEqualTo("{\"exc_type\": \"ValueError\", \"exc_message\": [\"bad\"], \"exc_module\": \"builtins\"}");
        assertThat(d.get("traceback")).isEqualTo("tb");
        assertThat(d.get("date_done")).isInstanceOf(String.class);
    }

    @Test
    void dateDoneIsReadAsStringOrDateAndCanBeWrittenAsDate() {
        String s = id();
        String dt = id();
        coll("celery_taskmeta").insertOne(new Document("_id", s).append("status", "SUCCESS").append("result", "1")
                .append("traceback", null).append("children", List.of()).append("date_done", "2024-01-02T03:04:05.678900"));
        coll("celery_taskmeta").insertOne(new Document("_id", dt).append("status", "SUCCESS").append("result", "2")
                .append("traceback", null).append("children", List.of())
                .append("date_done", Date.from(Instant.parse("2024-01-02T03:04:05.678Z"))));
        assertThat(backend.get(s).orElseThrow().dateDone()).isEqualTo(Instant.parse("2024-01-02T03:04:05.678900Z"));
        TaskMeta m = backend.get(dt).orElseThrow();
        assertThat(m.dateDone()).isEqualTo(Instant.parse("2024-01-02T03:04:05.678Z"));
        assertThat(m.result()).isEqualTo(2L);
        try (MongoResultBackend dates = mongo.open(Map.of(MongoBackendConfig.DATE_DONE_KEY, "date"))) {
            String id = id();
            dates.store(TaskMeta.of(id, TaskState.SUCCESS, 1L, null));
            assertThat(coll("celery_taskmeta").find(Filters.eq("_id", id)).first().get("date_done")).isInstanceOf(Date.class);
            assertThat(dates.get(id).orElseThrow().dateDone()).isNotNull();
        }
    }

    @Test
    void groupDocumentIsCeleryS() {
        String gid = id();
        List<String> ids = List.of(id(), id());
        backend.saveGroup(new GroupMeta(gid, ids, Instant.now()));
        Document d = coll("celery_groupmeta").find(Filters.eq("_id", gid)).first();
        assertThat(d.get("result")).isEqualTo("[\"" + ids.get(0) + "\", \"" + ids.get(1) + "\"]");
        assertThat(d.get("date_done")).isInstanceOf(Date.class);
        assertThat(backend.restoreGroup(gid).orElseThrow().taskIds()).isEqualTo(ids);
    }

    @Test
    void cleanupDeletesOldStringAndDateDocumentsAndCountsThem() {
        try (MongoResultBackend b = mongo.open(Map.of("result_expires", 3600, MongoBackendConfig.CLEANUP_INTERVAL_KEY, 0))) {
            Instant old = Instant.now().minus(Duration.ofHours(2));
            String oldString = id();
            String oldDate = id();
            String young = id();
            String pending = id();
            b.store(new TaskMeta(oldString, TaskState.SUCCESS, 1L, null, List.of(), old, null, null, null));
            coll("celery_taskmeta").insertOne(new Document("_id", oldDate).append("status", "SUCCESS").append("result", "1")
                    .append("traceback", null).append("children", List.of()).append("date_done", Date.from(old)));
            b.store(TaskMeta.of(young, TaskState.SUCCESS, 1L, null));
            b.store(TaskMeta.of(pending, TaskState.STARTED, null, null));
            String oldGroup = id();
            b.saveGroup(new GroupMeta(oldGroup, List.of(young), old));
            long before = coll("celery_taskmeta").countDocuments() + coll("celery_groupmeta").countDocuments();
            long n = b.cleanup();
            assertThat(n).isGreaterThanOrEqualTo(3);
            assertThat(before - n).isEqualTo(coll("celery_taskmeta").countDocuments() + coll("celery_groupmeta").countDocuments());
            assertThat(b.get(oldString)).isEmpty();
            assertThat(b.get(oldDate)).isEmpty();
            assertThat(b.restoreGroup(oldGroup)).isEmpty();
            assertThat(b.get(young)).isPresent();
            assertThat(b.get(pending)).isPresent(); // date_done null: never expires (as in Celery)
        }
        try (MongoResultBackend never = mongo.open(Map.of("result_expires", "None"))) {
            assertThat(never.cleanup()).isZero();
        }
    }

    @Test
    void successIsNeverOverwritten() {
        String id = id();
        backend.store(TaskMeta.of(id, TaskState.SUCCESS, "first", null));
        backend.store(TaskMeta.of(id, TaskState.SUCCESS, "second", null));
        backend.store(TaskMeta.of(id, TaskState.FAILURE, null, "tb"));
        assertThat(coll("celery_taskmeta").find(Filters.eq("_id", id)).first().get("result")).isEqualTo("\"first\"");
    }

    @Test
    void chordCounterIsAnUpsertedIncInCeleriacSCollection() {
        String gid = id();
        assertThat(backend.incrementChordCounter(gid, 2)).isEqualTo(2);
        assertThat(backend.incrementChordCounter(gid, 3)).isEqualTo(5);
        assertThat(coll("celeriac_chord_counters").find(Filters.eq("_id", gid)).first().get("count"))
                .isInstanceOfAny(Integer.class, Long.class).extracting(n -> ((Number) n).longValue()).isEqualTo(5L);
        backend.forgetGroup(gid);
        assertThat(backend.incrementChordCounter(gid, 1)).isEqualTo(1);
    }

    @Test
    void undecodableResultFailsNamingTheTask() {
        String id = id();
        coll("celery_taskmeta").insertOne(new Document("_id", id).append("status", "SUCCESS").append("result", "{not json")
                .append("traceback", null).append("children", List.of()).append("date_done", "2024-01-02T03:04:05"));
        assertThatThrownBy(() -> backend.get(id)).isInstanceOf(ResultBackendException.class).hasMessageContaining(id);
        CompletableFuture<TaskMeta> f = backend.whenReady(id, Duration.ofMillis(50));
        assertThatThrownBy(() -> f.get(10, java.util.concurrent.TimeUnit.SECONDS)).hasCauseInstanceOf(ResultBackendException.class);
    }

    @Test
    void oneSharedPollerWaitsForManyTasksWhenTheServerHasNoChangeStreams() throws Exception {
        try (MongoResultBackend b = mongo.open(Map.of(MongoResultBackendProvider.CHANGE_STREAMS_KEY, mongo.inProcess()))) {
            long before = waiterThreads();
            List<String> ids = java.util.stream.IntStream.range(0, 20).mapToObj(i -> id()).toList();
            List<CompletableFuture<TaskMeta>> fs = ids.stream().map(i -> b.whenReady(i, Duration.ofMillis(50))).toList();
            assertThat(waiterThreads() - before).isEqualTo(1);
            assertThat(b.waiter().waitingCount()).isEqualTo(20);
            ids.forEach(i -> backend.store(TaskMeta.of(i, TaskState.SUCCESS, i, null)));
            for (int i = 0; i < ids.size(); i++) {
                assertThat(fs.get(i).get(10, java.util.concurrent.TimeUnit.SECONDS).result()).isEqualTo(ids.get(i));
            }
            assertThat(b.waiter().polling()).isTrue();
            assertThat(b.capabilities().push()).isFalse();
            assertThat(b.waiter().waitingCount()).isZero();
        }
    }

    private static long waiterThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("celeriac-mongodb-waiter")
                && t.isAlive()).count();
    }

    @Test
    void cancellingAWaitForgetsIt() {
        CompletableFuture<TaskMeta> f = backend.whenReady(id(), Duration.ofMillis(50));
        int n = backend.waiter().waitingCount();
        f.cancel(true);
        assertThat(backend.waiter().waitingCount()).isEqualTo(n - 1);
    }

    // --------------------------------------------------------------------------------------- configuration

    private static MongoBackendConfig config(String url, Map<String, ?> settings) {
        return MongoBackendConfig.from(ConnectionUrl.parse(url), Settings.of(settings));
    }

    @Test
    void databaseComesFromThePathAndDefaultsToCelery() {
        assertThat(config("mongodb://h:27017/results", Map.of()).database()).isEqualTo("results");
        assertThat(config("mongodb://h:27017/", Map.of()).database()).isEqualTo("celery");
        MongoBackendConfig bare = config("mongodb://", Map.of()); // what "mongodb" alone maps to
        assertThat(bare.database()).isEqualTo("celery");
        assertThat(bare.connectionString().getHosts()).containsExactly("localhost:27017");
        assertThat(bare.taskCollection()).isEqualTo("celery_taskmeta");
        assertThat(bare.groupCollection()).isEqualTo("celery_groupmeta");
    }

    @Test
    void backendSettingsOverrideTheUrlAsCeleryDoes() {
        MongoBackendConfig c = config("mongodb://u:secret@h1:1/db1", Map.of("mongodb_backend_settings",
                Map.of("host", "h2", "port", 2, "database", "db2", "taskmeta_collection", "tm",
                        "groupmeta_collection", "gm", "options", Map.of("connectTimeoutMS", 1234), "replicaSet", "rs0")));
        assertThat(c.connectionString().getHosts()).containsExactly("h2:2");
        assertThat(c.database()).isEqualTo("db2");
        assertThat(c.taskCollection()).isEqualTo("tm");
        assertThat(c.groupCollection()).isEqualTo("gm");
        assertThat(c.connectionString().getConnectTimeout()).isEqualTo(1234);
        assertThat(c.connectionString().getRequiredReplicaSetName()).isEqualTo("rs0");
        assertThat(c.connectionString().getMaxConnectionPoolSize()).isEqualTo(10); // Celery's max_pool_size
        assertThat(c.connectionString().getCredential().getUserName()).isEqualTo("u");
        assertThat(c.display()).doesNotContain("secret").contains("***");
        assertThat(c.toString()).doesNotContain("secret");
        MongoBackendConfig uri = config("mongodb://", Map.of("mongodb_backend_settings",
                Map.of("host", "mongodb://a:1,b:2/x?replicaSet=r", "user", "bob", "password", "pw")));
        assertThat(uri.connectionString().getHosts()).containsExactly("a:1", "b:2");
        assertThat(uri.database()).isEqualTo("x");
        assertThat(uri.connectionString().getCredential().getUserName()).isEqualTo("bob");
    }

    @Test
    void badSettingsAreRefusedClearly() {
        assertThatThrownBy(() -> config("mongodb://h/", Map.of("mongodb_backend_settings", "db")))
                .isInstanceOf(ProviderException.class).hasMessageContaining("must be a dict");
        assertThatThrownBy(() -> config("redis://h/", Map.of())).isInstanceOf(ProviderException.class)
                .hasMessageContaining("mongodb, mongodb+srv");
        assertThatThrownBy(() -> config("mongodb://u:hunter2@h/?w=bogus&authMechanism=NOPE", Map.of()))
                .isInstanceOf(ProviderException.class).message().doesNotContain("hunter2");
        assertThatThrownBy(() -> config("mongodb://h/", Map.of(MongoBackendConfig.DATE_DONE_KEY, "epoch")))
                .isInstanceOf(ProviderException.class).hasMessageContaining("string");
    }

    @Test
    void anUnreachableServerFailsWithAClearErrorAfterTheTimeout() {
        try (MongoResultBackend b = TestMongo.open("mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=300", Map.of())) {
            assertThatThrownBy(() -> b.get("t1")).isInstanceOf(ResultBackendException.class)
                    .hasMessageContaining("reading the result of task t1").hasMessageContaining("mongod");
        }
    }
}
