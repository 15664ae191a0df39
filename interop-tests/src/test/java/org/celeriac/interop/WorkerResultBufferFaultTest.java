package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.api.TaskState;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.TaskMeta;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue #8, "the result backend down": an in-process worker whose Redis result backend (a private
 * {@code redis-server}) is stopped and started again on the same port while tasks run, with the broker on another
 * private {@code redis-server}. The worker retries its stores with back-off, keeps the states in its bounded
 * buffer, stops taking messages while the buffer is full (the broker keeps them), and stores every result once the
 * backend is back; at shutdown with states still waiting it names their task ids at ERROR and gives their acks_late
 * messages back. Tagged {@code fault} (it stops a server).
 */
@Tag("fault")
class WorkerResultBufferFaultTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T t) {
        resources.add(t);
        return t;
    }

    private static TaskRegistry tasks() {
        TaskDefinition add = TaskDefinition.of("it.add", TaskOptions.DEFAULTS, (context, args, kwargs) -> ((Number) args.get(0)).longValue() + ((Number) args.get(1)).longValue());
        return TaskRegistry.of(List.of(add));
    }

    private Celeriac app(String brokerUrl, String backendUrl, boolean acksLate, int bufferSize) {
        return closeLater(Celeriac.builder().set("broker_url", brokerUrl).set("result_backend", backendUrl)
                .set("task_acks_late", acksLate).set("worker_result_buffer_size", bufferSize)
                .set("redis_socket_timeout", 1).set("result_backend_base_sleep_between_retries_ms", 20)
                .set("result_backend_max_sleep_between_retries_ms", 300).set("worker_result_flush_timeout", 1)
                .registry(tasks()).build());
    }

    private Worker worker(Celeriac app, String queue, int concurrency) {
        Worker w = new Worker(app, new Worker.Options("buffer@%h", List.of(queue), concurrency, Worker.Pool.THREADS, 1));
        w.start();
        return closeLater(w);
    }

    private static List<AsyncResult<Object>> send(Celeriac app, String queue, int n) {
        List<AsyncResult<Object>> out = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            out.add(app.sendTask("it.add", List.of(i, 1000L), Map.of(), ApplyOptions.builder().queue(queue).build()));
        }
        return out;
    }

    private static Optional<TaskMeta> stored(ResultBackend backend, String id) {
        try {
            return backend.get(id);
        } catch (RuntimeException e) {
            return Optional.empty(); // still reconnecting
        }
    }

    @Test
    void results_wait_in_the_bounded_buffer_the_consumer_pauses_and_every_result_arrives() throws Exception {
        PrivateRedis broker = closeLater(PrivateRedis.start(dir));
        RedisRestartableServer results = closeLater(RedisRestartableServer.start(dir));
        String queue = Interop.uniqueQueue("buffer");
        Celeriac app = app(broker.url(0), results.url(0), false, 3);
        worker(app, queue, 1);
        assertThat(app.sendTask("it.add", List.of(1L, 1L), Map.of(), ApplyOptions.builder().queue(queue).build())
                .get(WAIT)).isEqualTo(2L);

        results.stop();
        List<AsyncResult<Object>> sent = send(app, queue, 20);
        // 3 states fill the buffer, 1 message is prefetched: the pool stops, the broker keeps the other 16
        await("the worker stops taking messages").atMost(WAIT).until(() -> app.broker().messageCount(queue) == 16);
        await("the broker keeps them while the buffer is full").during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5)).until(() -> app.broker().messageCount(queue) == 16);

        results.restart();
        ResultBackend backend = app.resultBackend().orElseThrow();
        for (int i = 0; i < sent.size(); i++) {
            String id = sent.get(i).id();
            long expected = i + 1000L;
            await("result " + i).atMost(WAIT).until(() -> stored(backend, id)
                    .filter(m -> m.state() == TaskState.SUCCESS && Long.valueOf(expected).equals(
                            ((Number) m.result()).longValue())).isPresent());
        }
        assertThat(app.broker().messageCount(queue)).isZero();
    }

    @Test
    void at_shutdown_unstored_results_are_named_and_their_acks_late_messages_go_back() throws Exception {
        PrivateRedis broker = closeLater(PrivateRedis.start(dir));
        RedisRestartableServer results = closeLater(RedisRestartableServer.start(dir));
        String queue = Interop.uniqueQueue("buffer-stop");
        Celeriac app = app(broker.url(0), results.url(0), true, 100);
        Worker w = worker(app, queue, 1);
        assertThat(app.sendTask("it.add", List.of(1L, 1L), Map.of(), ApplyOptions.builder().queue(queue).build())
                .get(WAIT)).isEqualTo(2L);

        results.stop();
        List<AsyncResult<Object>> sent = send(app, queue, 1);
        // acks_late: the message stays unacknowledged while its result waits, so it is no longer ready
        await("the task ran").atMost(WAIT).until(() -> app.broker().messageCount(queue) == 0 && w.processed() == 2);

        Logger log = (Logger) LoggerFactory.getLogger("celeriac.worker");
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        log.addAppender(captured);
        try {
            w.shutdown();
            assertThat(w.awaitTermination(WAIT)).isTrue();
        } finally {
            log.detachAppender(captured);
        }
        assertThat(captured.list).filteredOn(e -> e.getLevel() == Level.ERROR)
                .map(ILoggingEvent::getFormattedMessage)
                .anySatisfy(m -> assertThat(m).contains("could not be stored").contains(sent.get(0).id())
                        .contains("acks_late"));
        // given back, not acked: the message is in the queue again
        await("the acks_late message is back").atMost(WAIT).until(() -> app.broker().messageCount(queue) == 1);

        results.restart();
        Celeriac again = app(broker.url(0), results.url(0), true, 100);
        worker(again, queue, 1);
        ResultBackend backend = again.resultBackend().orElseThrow();
        await("the redelivered task's result").atMost(WAIT).until(() -> stored(backend, sent.get(0).id())
                .filter(m -> m.state() == TaskState.SUCCESS).isPresent());
    }
}
