package org.celeriac.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.PythonException;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskFailedException;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.canvas.GroupResult;
import org.celeriac.core.canvas.Signature;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.tck.TckProviders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Celery's native Redis chord join ({@code celery-taskset-meta-<gid>.j/.s/.t}) on db 6: the backend's keys in
 * Celery's layout, and chords, groups and chains through a real worker (memory:// broker, redis:// results).
 */
class RedisChordTest {
    static final String URL = "redis://127.0.0.1:6379/6";
    static RedisClient raw;
    static StatefulRedisConnection<String, String> conn;
    static RedisCommands<String, String> r;
    static final List<String> KEYS = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void requireRedis() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 6379), 500);
        } catch (IOException e) {
            String msg = "Redis is not running on 127.0.0.1:6379 (start it with: redis-server --daemonize yes "
                    + "--bind 127.0.0.1 --port 6379 --save \"\" --appendonly no)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(msg);
            }
            Assumptions.abort(msg);
        }
        raw = RedisClient.create(URL);
        conn = raw.connect();
        r = conn.sync();
    }

    @AfterAll
    static void cleanUp() {
        if (raw != null) {
            if (!KEYS.isEmpty()) {
                r.del(KEYS.toArray(String[]::new));
            }
            conn.close();
            raw.shutdown();
        }
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    static String id() {
        String id = UUID.randomUUID().toString();
        KEYS.add("celery-task-meta-" + id);
        for (String suffix : List.of("", ".j", ".s", ".t", ".c")) {
            KEYS.add("celery-taskset-meta-" + id + suffix);
        }
        return id;
    }

    @Test
    void partsGoToTheOrderedZsetInCeleryFormAndTheLastOneJoins() {
        Settings s = Settings.of(Map.of());
        ResultBackend b = new RedisResultBackendProvider().create(ConnectionUrl.parse(URL), s, TckProviders.context(s));
        closeables.add(b);
        assertThat(b.nativeChordJoin()).isTrue();
        String gid = id();
        String k = "celery-taskset-meta-" + gid;
        b.setChordSize(gid, 2);
        assertThat(r.get(k + ".s")).isEqualTo("2");
        assertThat(b.onChordPartReturn(gid, "t-b", 1, "SUCCESS", 20L)).isNull();
        List<ScoredValue<String>> parts = r.zrangeWithScores(k + ".j", 0, -1);
        assertThat(parts).hasSize(1);
        assertThat(parts.get(0).getValue()).isEqualTo("[1, \"t-b\", \"SUCCESS\", 20]");
        assertThat(parts.get(0).getScore()).isEqualTo(1.0);
        assertThat(r.ttl(k + ".j")).isPositive();
        List<List<Object>> all = b.onChordPartReturn(gid, "t-a", 0, "SUCCESS", "x");
        assertThat(all).containsExactly(List.of("t-a", "SUCCESS", "x"), List.of("t-b", "SUCCESS", 20L));
        assertThat(r.exists(k + ".j", k + ".s", k + ".t")).isZero();
    }

    @Test
    void extraPartsCountedInDotTDelayTheJoin() {
        Settings s = Settings.of(Map.of());
        ResultBackend b = new RedisResultBackendProvider().create(ConnectionUrl.parse(URL), s, TckProviders.context(s));
        closeables.add(b);
        String gid = id();
        b.setChordSize(gid, 1);
        r.incr("celery-taskset-meta-" + gid + ".t"); // Celery's add_to_chord
        assertThat(b.onChordPartReturn(gid, "t-0", 0, "SUCCESS", 1L)).isNull();
        assertThat(b.onChordPartReturn(gid, "t-1", null, "SUCCESS", 2L)).hasSize(2);
    }

    static TaskDefinition task(String name, java.util.function.Function<List<Object>, Object> body) {
        return TaskDefinition.of(name, TaskOptions.DEFAULTS, (context, args, kwargs) -> body.apply(args));
    }

    private Celeriac app() {
        String ns = "memory://" + UUID.randomUUID().toString().replace("-", "");
        Celeriac app = Celeriac.builder().set("broker_url", ns).set("result_backend", URL)
                .registry(TaskRegistry.of(List.of(
                        task("c.add", a -> ((Number) a.get(0)).longValue() + ((Number) a.get(1)).longValue()),
                        task("c.echo", a -> a.get(0)),
                        task("c.fail", a -> {
                            throw PythonException.valueError(String.valueOf(a.get(0)));
                        })))).build();
        closeables.add(0, app);
        Worker w = new Worker(app, new Worker.Options("chord@%h", List.of(), 2, Worker.Pool.THREADS, 1));
        w.start();
        closeables.add(0, w);
        return app;
    }

    private static List<Signature> header(int n) {
        List<Signature> h = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            h.add(Signature.of("c.add", i, 100).withOption("task_id", id()));
        }
        return h;
    }

    @Test
    void chordOnRedisJoinsNativelyInHeaderOrder() {
        Celeriac app = app();
        AsyncResult<Object> body = app.chord(header(6), Signature.of("c.echo").withOption("task_id", id()));
        assertThat(body.get(Duration.ofSeconds(10))).isEqualTo(List.of(100L, 101L, 102L, 103L, 104L, 105L));
    }

    @Test
    void chordWithAFailedHeaderTaskStoresChordError() {
        Celeriac app = app();
        List<Signature> h = new ArrayList<>(header(2));
        h.add(Signature.of("c.fail", "nope").withOption("task_id", id()));
        AsyncResult<Object> body = app.chord(h, Signature.of("c.echo").withOption("task_id", id()));
        assertThatThrownBy(() -> body.get(Duration.ofSeconds(10))).isInstanceOfSatisfying(TaskFailedException.class,
                e -> {
                    assertThat(e.excType()).isEqualTo("ChordError");
                    assertThat(e.excMessage()).contains("ValueError('nope')");
                });
    }

    @Test
    void groupsAndChainsOnRedis() {
        Celeriac app = app();
        GroupResult g = app.group(header(3).toArray(Signature[]::new));
        KEYS.add("celery-taskset-meta-" + g.id());
        assertThat(g.get(Duration.ofSeconds(10))).containsExactly(100L, 101L, 102L);
        g.save();
        assertThat(r.get("celery-taskset-meta-" + g.id())).contains(g.taskIds().get(0));
        assertThat(GroupResult.restore(app, g.id()).orElseThrow().taskIds()).isEqualTo(g.taskIds());
        String last = id();
        AsyncResult<Object> c = app.chain(Signature.of("c.add", 1, 2).withOption("task_id", id()),
                Signature.of("c.add", 10).withOption("task_id", last));
        assertThat(c.get(Duration.ofSeconds(10))).isEqualTo(13L);
    }
}
