package org.celeriac.transport.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.celeriac.api.TaskState;
import org.celeriac.spi.backend.ExceptionInfo;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.backend.TaskMeta;
import org.celeriac.spi.backend.TaskRequestInfo;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;
import org.celeriac.spi.broker.QueueSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** rpc:// between a client and a worker process (two connections), and its reply queue as Python declares it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RpcResultBackendTest {
    String vhost;
    AmqpBroker clientBroker;
    AmqpBroker workerBroker;
    RpcResultBackend client;
    RpcResultBackend worker;

    @BeforeAll
    void setUp() {
        vhost = AmqpTestSupport.createVhost("rpc");
        clientBroker = AmqpTestSupport.open(vhost, Map.of());
        workerBroker = AmqpTestSupport.open(vhost, Map.of());
        client = AmqpTestSupport.rpc(clientBroker, Map.of());
        worker = AmqpTestSupport.rpc(workerBroker, Map.of());
    }

    @AfterAll
    void tearDown() {
        for (AutoCloseable c : new AutoCloseable[] {client, worker, clientBroker, workerBroker}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
        AmqpTestSupport.deleteVhost(vhost);
    }

    @Test
    void aTaskPublishedByTheClientGetsReplyToAndItsResultComesBackFromTheWorker() throws Exception {
        clientBroker.declareQueue(QueueSpec.of("rpc.tasks"));
        Message task = new Message(Map.of("task", "tasks.add", "id", "t-1"), MessageProperties.builder()
                .contentType("application/json").correlationId("t-1").build(), "[[2, 2], {}, {}]".getBytes(StandardCharsets.UTF_8));
        clientBroker.publish("", "rpc.tasks", task).get(10, TimeUnit.SECONDS);
        var in = new java.util.concurrent.LinkedBlockingQueue<org.celeriac.spi.broker.Delivery>();
        var consumer = workerBroker.consume(List.of("rpc.tasks"), 1, in::add);
        var d = in.poll(10, TimeUnit.SECONDS);
        assertThat(d).isNotNull();
        consumer.ack(d);
        consumer.close();
        String replyTo = d.message().properties().replyTo();
        assertThat(replyTo).isEqualTo(client.replyQueue());
        var f = client.whenReady("t-1", Duration.ofMillis(100));
        worker.store(TaskMeta.of("t-1", TaskState.STARTED, Map.of("pid", 1L), null), new TaskRequestInfo(replyTo, "t-1", null));
        worker.store(TaskMeta.of("t-1", TaskState.SUCCESS, 4L, null), new TaskRequestInfo(replyTo, "t-1", null));
        TaskMeta m = f.get(10, TimeUnit.SECONDS);
        assertThat(m.state()).isEqualTo(TaskState.SUCCESS);
        assertThat(m.result()).isEqualTo(4L);
        // the worker never declared a reply queue of its own
        String queues = AmqpTestSupport.rabbitmqctl("list_queues", "-p", vhost, "name", "durable", "auto_delete", "arguments");
        assertThat(queues).doesNotContain(worker.replyQueue());
        assertThat(queues).containsPattern(java.util.regex.Pattern.quote(client.replyQueue())
                + "\\s+false\\s+true\\s+\\[\\{\"x-expires\",86400000\\}\\]");
    }

    @Test
    void aResultForATaskNobodyWaitsForYetIsBuffered() throws Exception {
        client.ensureConsuming();
        ExceptionInfo exc = new ExceptionInfo("ZeroDivisionError", List.of("division by zero"), "builtins");
        worker.store(TaskMeta.of("t-2", TaskState.FAILURE, exc.toMap(), "Traceback ...\n"),
                new TaskRequestInfo(client.replyQueue(), "t-2", null));
        TaskMeta m = client.whenReady("t-2", Duration.ofMillis(100)).get(10, TimeUnit.SECONDS);
        assertThat(m.exception()).contains(exc);
        assertThat(m.traceback()).isEqualTo("Traceback ...\n");
        assertThat(client.get("t-2")).isPresent();
    }

    @Test
    void theReplyBodyIsCelerysResultFormat() throws Exception {
        workerBroker.declareQueue(new QueueSpec("rpc.spy", "", "rpc.spy", false, null, Map.of()));
        worker.store(TaskMeta.of("t-3", TaskState.SUCCESS, "ok", null), new TaskRequestInfo("rpc.spy", null, null));
        var in = new java.util.concurrent.LinkedBlockingQueue<org.celeriac.spi.broker.Delivery>();
        var consumer = workerBroker.consume(List.of("rpc.spy"), 1, in::add);
        var d = in.poll(10, TimeUnit.SECONDS);
        consumer.ack(d);
        consumer.close();
        JsonNode body = new ObjectMapper().readTree(d.message().body());
        assertThat(body.get("task_id").asText()).isEqualTo("t-3");
        assertThat(body.get("status").asText()).isEqualTo("SUCCESS");
        assertThat(body.get("result").asText()).isEqualTo("ok");
        assertThat(body.has("traceback")).isTrue();
        assertThat(body.get("children").isArray()).isTrue();
        assertThat(d.message().properties().correlationId()).isEqualTo("t-3");
        assertThat(d.message().properties().deliveryMode()).isEqualTo(1);
        assertThat(d.message().properties().contentType()).isEqualTo("application/json");
    }

    @Test
    void aGoneCallerIsNotAnError() {
        org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> worker.store(TaskMeta.of("t-4", TaskState.SUCCESS, 1L, null),
                new TaskRequestInfo("no-such-reply-queue", "t-4", null)));
    }

    @Test
    void chordsAndGroupsAreRefusedAsCeleryRefusesThem() {
        assertThatThrownBy(() -> client.incrementChordCounter("g", 1)).isInstanceOf(ResultBackendException.class)
                .hasMessageStartingWith("The \"rpc\" result backend does not support chords!");
        assertThatThrownBy(() -> client.saveGroup(new org.celeriac.spi.backend.GroupMeta("g", List.of("a"), null)))
                .isInstanceOf(ResultBackendException.class).hasMessageContaining("save_group is not supported");
        assertThat(client.capabilities().groups()).isFalse();
        assertThat(client.capabilities().persistent()).isFalse();
    }
}
