package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.celeriac.api.ApplyOptions;
import org.celeriac.api.AsyncResult;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;
import org.celeriac.core.Celeriac;
import org.celeriac.core.control.LamportClock;
import org.celeriac.core.events.EventDispatcher;
import org.celeriac.core.events.EventReceiver;
import org.celeriac.core.registry.TaskRegistry;
import org.celeriac.core.worker.Worker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.tck.TckProviders;
import org.celeriac.transport.amqp.AmqpBrokerProvider;
import org.celeriac.transport.amqp.RpcResultBackend;
import org.celeriac.transport.amqp.RpcResultBackendProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client on RabbitMQ (a fresh virtual host per test), with real workers: a countdown waits in RabbitMQ's delay
 * queues ({@code celery_delayed_*}), not in a worker, and runs at or after its ETA with its result through
 * {@code rpc://}; every task message carries {@code reply_to} as Celery's {@code send_task} sets it (the app's oid,
 * or the rpc:// reply queue); {@code task_send_sent_event} sends Celery's {@code task-sent} event on {@code celeryev},
 * which a Celeriac {@link EventReceiver} and Python Celery 5.2.6's own {@code app.events.Receiver} (what
 * {@code celery events} and Flower use) both read.
 */
class ClientAmqpTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private String vhost;
    private final Map<String, Instant> ranAt = new ConcurrentHashMap<>();

    @BeforeEach
    void vhost() {
        vhost = AmqpInterop.createVhost("client");
    }

    @AfterEach
    void deleteVhost() {
        AmqpInterop.deleteVhost(vhost);
    }

    private TaskDefinition stamp() {
        return TaskDefinition.of("client.stamp", TaskOptions.DEFAULTS, (context, args, kwargs) -> {
            ranAt.put(context.id(), Instant.now());
            return args.get(0);
        });
    }

    private Celeriac app(String backend, Map<String, Object> extra) {
        Celeriac.Builder b = Celeriac.builder().set("broker_url", AmqpInterop.url(vhost)).set("result_backend", backend)
                .set("celeriac_data_dir", dir.toString()).registry(TaskRegistry.of(List.of(stamp())));
        extra.forEach(b::set);
        return b.build();
    }

    @Test
    void aCountdownWaitsInRabbitMqsDelayQueuesThenAnyWorkerRunsItAtItsEta() throws Exception {
        String queue = Interop.uniqueQueue("countdown");
        try (Celeriac client = app("rpc://", Map.of()); Celeriac workerApp = app("rpc://", Map.of())) {
            Instant sent = Instant.now();
            AsyncResult<Object> r = client.task("client.stamp").applyAsync(List.of("later"), null,
                    ApplyOptions.builder().queue(queue).countdown(3).build());
            Celeriac.published(r).get();
            Instant eta = sent.plusSeconds(3);
            // 3 s = binary 11: first 2 s in celery_delayed_1, then 1 s in celery_delayed_0; nothing in the queue yet
            assertThat(client.broker().messageCount("celery_delayed_1") + client.broker().messageCount("celery_delayed_0"))
                    .as("the message waits in a delay level").isOne();
            if (Instant.now().isBefore(eta)) {
                assertThat(client.broker().messageCount(queue)).as("not in the task queue before its ETA").isZero();
            }
            // no worker is running yet: the broker delivers it to the queue when due
            await().atMost(WAIT).until(() -> client.broker().messageCount(queue) == 1);
            assertThat(Instant.now()).isAfterOrEqualTo(eta.minusMillis(1)); // whole seconds, rounded up

            try (Worker worker = new Worker(workerApp, new Worker.Options("countdown@%h", List.of(queue), 1,
                    Worker.Pool.THREADS, 1))) {
                worker.start();
                assertThat(r.get(WAIT)).as("the result, through rpc://").isEqualTo("later");
            }
            assertThat(ranAt.get(r.id())).isAfterOrEqualTo(eta);
        }
    }

    @Test
    void everyTaskMessageCarriesReplyToAsCelerySetsIt() throws Exception {
        Interop.requireRedis();
        String queue = Interop.uniqueQueue("replyto");
        try (Celeriac redisBackend = app(AmqpInterop.redisBackend(), Map.of()); Celeriac rpc = app("rpc://", Map.of())) {
            List<Delivery> got = new CopyOnWriteArrayList<>();
            redisBackend.task("client.stamp").applyAsync(List.of(1), null, ApplyOptions.builder().queue(queue).build());
            AsyncResult<Object> viaRpc = rpc.task("client.stamp").applyAsync(List.of(2), null,
                    ApplyOptions.builder().queue(queue).build());
            Consumer consumer = redisBackend.broker().consume(List.of(queue), 0, got::add);
            try {
                await().atMost(WAIT).until(() -> got.size() == 2);
            } finally {
                consumer.close();
            }
            String replyQueue = ((RpcResultBackend) rpc.resultBackend().orElseThrow()).replyQueue();
            assertThat(got).extracting(d -> d.message().properties().replyTo())
                    .containsExactlyInAnyOrder(redisBackend.oid(), replyQueue);
            assertThat(replyQueue).isNotEqualTo(rpc.oid()); // the rpc:// backend names its own queue (replyTo())

            // and rpc:// still gets its results there: run the rpc task with a worker
            try (Celeriac workerApp = app("rpc://", Map.of());
                 Worker worker = new Worker(workerApp, new Worker.Options("replyto@%h", List.of(queue), 1,
                         Worker.Pool.THREADS, 1))) {
                AsyncResult<Object> again = rpc.task("client.stamp").applyAsync(List.of(3), null,
                        ApplyOptions.builder().queue(queue).build());
                worker.start();
                assertThat(((Number) again.get(WAIT)).intValue()).isEqualTo(3);
                // the first rpc task, read above without an ack, went back to the queue: its result comes the same way
                assertThat(((Number) viaRpc.get(WAIT)).intValue()).isEqualTo(2);
            }
        }
    }

    @Test
    void anRpcBackendGivenToTheBuilderGetsTheResultsOfItsAppsTasks() throws Exception {
        // no result_backend setting: only the backend object says that results come back through its reply queue
        String queue = Interop.uniqueQueue("rpcobject");
        Settings settings = Settings.of(Map.of());
        ProviderContext base = TckProviders.context(settings);
        Broker amqp = new AmqpBrokerProvider().create(ConnectionUrl.parse(AmqpInterop.url(vhost)), settings, base);
        ResultBackend rpcBackend = new RpcResultBackendProvider().create(ConnectionUrl.parse("rpc://"), settings,
                new ProviderContext() {
                    @Override
                    public Optional<Broker> broker() {
                        return Optional.of(amqp);
                    }

                    @Override
                    public Serializer resultSerializer() {
                        return base.resultSerializer();
                    }

                    @Override
                    public Serializer serializer(String contentTypeOrName) {
                        return base.serializer(contentTypeOrName);
                    }

                    @Override
                    public String nodeName() {
                        return base.nodeName();
                    }
                });
        try (Celeriac client = Celeriac.builder().broker(amqp).resultBackend(rpcBackend)
                .set("celeriac_data_dir", dir.toString()).registry(TaskRegistry.of(List.of(stamp()))).build();
             Celeriac workerApp = app("rpc://", Map.of());
             Worker worker = new Worker(workerApp, new Worker.Options("rpcobject@%h", List.of(queue), 1,
                     Worker.Pool.THREADS, 1))) {
            worker.start();
            AsyncResult<Object> r = client.task("client.stamp").applyAsync(List.of(7), null,
                    ApplyOptions.builder().queue(queue).build());
            assertThat(((Number) r.get(WAIT)).intValue()).as("the result, through the given rpc:// backend").isEqualTo(7);
            assertThat(rpcBackend.replyTo()).isPresent();
        }
    }

    @Test
    void taskSentEventsReachAnEventReceiver() {
        Interop.requireRedis();
        String queue = Interop.uniqueQueue("sent");
        List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
        try (Celeriac app = app(AmqpInterop.redisBackend(), Map.of("task_send_sent_event", true));
             Celeriac monitor = app(AmqpInterop.redisBackend(), Map.of());
             EventReceiver receiver = EventReceiver.of(monitor, new LamportClock(), events::add)) {
            Instant expires = Instant.now().plusSeconds(600);
            AsyncResult<Object> r = app.task("client.stamp").applyAsync(List.of("x", 2), Map.of("k", List.of(1)),
                    ApplyOptions.builder().queue(queue).countdown(60).expires(expires).build());
            await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> r.id().equals(e.get("uuid"))));
            Map<String, Object> e = events.stream().filter(x -> r.id().equals(x.get("uuid"))).findFirst().orElseThrow();
            assertThat(e).containsEntry("type", "task-sent").containsEntry("name", "client.stamp")
                    .containsEntry("args", "('x', 2)").containsEntry("kwargs", "{'k': [1]}")
                    .containsEntry("root_id", r.id()).containsEntry("parent_id", null)
                    .containsEntry("queue", queue).containsEntry("exchange", "").containsEntry("routing_key", queue)
                    .containsEntry("hostname", app.origin());
            assertThat(((Number) e.get("retries")).intValue()).isZero();
            assertThat(OffsetDateTime.parse((String) e.get("eta")).toInstant()).isAfter(Instant.now().plusSeconds(30));
            assertThat(OffsetDateTime.parse((String) e.get("expires")).toInstant())
                    .isBetween(expires.minusMillis(1), expires.plusMillis(1));
        }
    }

    @Test
    void pythonsEventReceiverSeesTheTaskSentEvent() throws Exception {
        Interop.requireRedis();
        Interop.requirePythonCelery();
        String queue = Interop.uniqueQueue("pysent");
        String url = AmqpInterop.url(vhost);
        ProcessBuilder pb = new ProcessBuilder(Interop.PYTHON, "pyevents.py", "nobody@nowhere");
        Peer.pythonEnvironment(pb, url, queue);
        pb.environment().put("CELERIAC_IT_BACKEND", AmqpInterop.redisBackend());
        Path log = dir.resolve("pyevents.log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Process py = pb.start();
        try (Celeriac app = app(AmqpInterop.redisBackend(), Map.of("task_send_sent_event", true));
             EventDispatcher probe = EventDispatcher.of(app, "probe@test", new LamportClock())) {
            // the receiver binds its queue asynchronously: probe until it prints one of ours
            await("Python's receiver to see a probe event").atMost(WAIT).pollInterval(Duration.ofMillis(300))
                    .failFast(() -> !py.isAlive())
                    .until(() -> {
                        probe.send("worker-heartbeat", Map.of("freq", 2.0, "active", 0, "processed", 0));
                        return pythonEvents(log).stream().anyMatch(e -> e.path("hostname").asText().equals("probe@test"));
                    });
            AsyncResult<Object> r = app.task("client.stamp").applyAsync(List.of(7, "seven"), Map.of("flag", true),
                    ApplyOptions.builder().queue(queue).build());
            await("task-sent from Python's receiver").atMost(WAIT).failFast(() -> !py.isAlive())
                    .until(() -> pythonEvents(log).stream().anyMatch(e -> e.path("uuid").asText().equals(r.id())));
            JsonNode e = pythonEvents(log).stream().filter(x -> x.path("uuid").asText().equals(r.id())).findFirst()
                    .orElseThrow();
            assertThat(e.path("type").asText()).isEqualTo("task-sent");
            assertThat(e.path("name").asText()).isEqualTo("client.stamp");
            assertThat(e.path("args").asText()).isEqualTo("(7, 'seven')");
            assertThat(e.path("kwargs").asText()).isEqualTo("{'flag': True}");
            assertThat(e.path("queue").asText()).isEqualTo(queue);
            assertThat(e.path("routing_key").asText()).isEqualTo(queue);
            assertThat(e.path("exchange").asText()).isEmpty();
            assertThat(e.path("root_id").asText()).isEqualTo(r.id());
            assertThat(e.path("parent_id").isNull()).isTrue();
            assertThat(e.path("eta").isNull()).isTrue();
            assertThat(e.path("retries").asInt()).isZero();
            assertThat(e.path("hostname").asText()).isEqualTo(app.origin());
            assertThat(e.has("local_received")).as("Celery's receiver adds local_received: %s", e).isTrue();
        } finally {
            py.destroyForcibly();
        }
    }

    /** The JSON lines pyevents.py printed (a line still being written is skipped). */
    private static List<JsonNode> pythonEvents(Path log) throws Exception {
        String text = Files.exists(log) ? Files.readString(log) : "";
        List<JsonNode> out = new java.util.ArrayList<>();
        for (String line : text.split("\\R")) {
            if (line.startsWith("{") && line.endsWith("}")) {
                out.add(Interop.JSON.readTree(line));
            }
        }
        return out;
    }
}
