package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.QueueSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Issue #8, bad input: {@code application/x-kryo} task messages with valid protocol-2 headers and a corrupt or
 * truncated body reach a worker (core + serializer-kryo, {@code memory://}). Each is rejected (not acked as a
 * success, no result stored), logged at ERROR with its task id, and the worker goes on with the next task.
 */
class WorkerKryoPayloadTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger workerLog = (Logger) LoggerFactory.getLogger("celeriac.worker");
    private Celeriac app;
    private String queue;

    @BeforeEach
    void start() {
        log.start();
        workerLog.addAppender(log);
        String ns = "memory://kryo" + UUID.randomUUID().toString().replace("-", "");
        TaskDefinition add = TaskDefinition.of("it.kryo.add", TaskOptions.DEFAULTS, (context, args, kwargs) -> ((Number) args.get(0)).longValue() + ((Number) args.get(1)).longValue());
        app = Celeriac.builder().set("broker_url", ns).set("result_backend", ns).set("task_serializer", "kryo")
                .set("accept_content", List.of("json", "kryo")).registry(TaskRegistry.of(List.of(add))).build();
        resources.add(app);
        queue = "kryo-" + UUID.randomUUID();
        Worker w = new Worker(app, new Worker.Options("kryo@%h", List.of(queue), 1, Worker.Pool.THREADS, 1));
        w.start();
        resources.add(0, w);
    }

    @AfterEach
    void stop() throws Exception {
        workerLog.detachAppender(log);
        for (AutoCloseable c : resources) {
            c.close();
        }
    }

    /** A real Kryo task message, as the client sends it, taken from a queue no worker consumes. */
    private Message validKryoMessage() {
        String parked = "kryo-parked-" + UUID.randomUUID();
        app.broker().declareQueue(QueueSpec.of(parked));
        app.sendTask("it.kryo.add", List.of(40L, 2L), Map.of(), ApplyOptions.builder().queue(parked).build());
        CompletableFuture<Message> got = new CompletableFuture<>();
        CompletableFuture<Consumer> consumer = new CompletableFuture<>();
        consumer.complete(app.broker().consume(List.of(parked), 1, d -> {
            got.complete(d.message());
            consumer.thenAccept(c -> c.ack(d));
        }));
        Message m = got.orTimeout(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS).join();
        consumer.join().close();
        assertThat(m.properties().contentType()).isEqualTo("application/x-kryo");
        return m;
    }

    private static Message withIdAndBody(Message template, String id, byte[] body) {
        Map<String, Object> headers = new LinkedHashMap<>(template.headers());
        headers.put("id", id);
        headers.put("root_id", id);
        return new Message(headers, template.properties().toBuilder().correlationId(id).build(), body);
    }

    private List<String> errorsNaming(String id) {
        return Interop.logged(log).stream().filter(e -> e.getLevel() == Level.ERROR)
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(id)).toList();
    }

    @Test
    void corruptAndTruncatedKryoBodiesAreRejectedNamingTheTaskAndTheWorkerGoesOn() {
        Message valid = validKryoMessage();
        byte[] body = valid.body();
        String corruptId = "corrupt-" + UUID.randomUUID();
        byte[] corrupt = body.clone();
        corrupt[0] = (byte) 0x7E; // a class id nobody registered
        String garbageId = "garbage-" + UUID.randomUUID();
        byte[] garbage = new byte[64];
        Arrays.fill(garbage, (byte) 0xFF); // varints that never end, lengths far beyond the body
        String truncatedId = "truncated-" + UUID.randomUUID();
        byte[] truncated = Arrays.copyOf(body, body.length / 2);

        for (Message bad : List.of(withIdAndBody(valid, corruptId, corrupt), withIdAndBody(valid, garbageId, garbage),
                withIdAndBody(valid, truncatedId, truncated))) {
            app.broker().publish("", queue, bad).join();
        }
        Object next = app.sendTask("it.kryo.add", List.of(1L, 2L), Map.of(), ApplyOptions.builder().queue(queue).build())
                .get(WAIT);
        assertThat(next).isEqualTo(3L);

        for (String id : List.of(corruptId, garbageId, truncatedId)) {
            await("an ERROR naming " + id).atMost(WAIT).until(() -> !errorsNaming(id).isEmpty());
            assertThat(errorsNaming(id)).first().asString()
                    .contains("it.kryo.add[" + id + "]").contains("application/x-kryo").contains("rejected");
            assertThat(app.resultBackend().orElseThrow().get(id)).isEmpty(); // no SUCCESS, no state at all
        }
        assertThat(app.broker().messageCount(queue)).isZero(); // rejected, not requeued in a loop
    }
}
