package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Python Celery 5.2.6's client ({@code pyclient.py edge}) against a Celeriac worker process over RabbitMQ, in a
 * private vhost: JSON edge values round-trip exactly (as Python sees them), a Java failure comes back as a real
 * {@code ValueError} with a traceback, an unknown task name as {@code NotRegistered}, countdown and eta are
 * honoured — all read through Celery's own {@code AsyncResult.get()} from the result backend of the subclass
 * ({@code rpc://}: the Java worker replies to the Python client's {@code reply_to} queue; or Redis).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AmqpPythonClientToJavaWorkerCases {
    private final String queue = Interop.uniqueQueue("amqp-py2java");
    private Path dir;
    private String vhost;
    private AmqpInterop.Proc worker;
    private Map<String, JsonNode> cases;

    /** The result backend URL both sides use. */
    abstract String backend();

    @BeforeAll
    void runThePythonClientAgainstAJavaWorker() throws Exception {
        AmqpInterop.requireRabbit();
        Interop.requirePythonCelery();
        if (backend().startsWith("redis")) {
            Interop.requireRedis();
        }
        dir = Files.createTempDirectory("amqp-py2java");
        vhost = AmqpInterop.createVhost("py2java");
        String url = AmqpInterop.url(vhost);
        worker = AmqpInterop.Proc.javaWorker(dir, "java-amqp-py2java", url, backend(), queue, 2, Map.of())
                .awaitReady(Duration.ofSeconds(60));
        List<JsonNode> lines = AmqpInterop.Proc.pythonClient(dir, url, backend(), queue, "edge")
                .awaitLines(Duration.ofSeconds(90));
        cases = new LinkedHashMap<>();
        lines.forEach(l -> cases.put(l.get("case").asText(), l));
    }

    @AfterAll
    void stop() {
        if (worker != null) {
            worker.close();
        }
        if (cases != null && backend().startsWith("redis")) {
            AmqpInterop.deleteResults(cases.values().stream().map(c -> c.path("id").asText()).toList());
        }
        AmqpInterop.deleteVhost(vhost);
    }

    private JsonNode at(String name) {
        assertThat(cases).as("pyclient.py printed case %s", name).containsKey(name);
        return cases.get(name);
    }

    @Test
    void every_json_edge_value_comes_back_to_python_unchanged() {
        List<String> echoes = cases.keySet().stream().filter(k -> k.startsWith("echo_")).toList();
        assertThat(echoes).as("edge values sent by pyclient.py").hasSizeGreaterThanOrEqualTo(20);
        SoftAssertions soft = new SoftAssertions();
        for (String name : echoes) {
            JsonNode c = cases.get(name);
            soft.assertThat(c.path("ok").asBoolean()).as("%s succeeded: %s", name, c).isTrue();
            soft.assertThat(c.path("got_repr").asText()).as("%s: repr as Python sees it", name)
                    .isEqualTo(c.path("sent_repr").asText());
            soft.assertThat(c.path("same").asBoolean())
                    .as("%s: same types, -0.0/NaN and dict key order (%s)", name, c).isTrue();
        }
        soft.assertAll();
        assertThat(at("echo_int_2_pow_70").path("got_type").asText()).isEqualTo("int");
        assertThat(at("echo_float_3_0").path("got_repr").asText()).isEqualTo("3.0");
        assertThat(at("echo_float_neg_zero").path("got_repr").asText()).isEqualTo("-0.0");
    }

    @Test
    void args_kwargs_and_arithmetic_follow_python() {
        assertThat(at("add_ints").path("got_repr").asText()).isEqualTo("4");
        assertThat(at("add_big").path("got_repr").asText()).isEqualTo("1180591620717411303425");
        assertThat(at("add_int_float").path("got_repr").asText()).isEqualTo("1.5");
        assertThat(at("add_kwargs").path("got_repr").asText()).isEqualTo("42");
        assertThat(at("mul").path("got_repr").asText()).isEqualTo("42");
        assertThat(at("xsum").path("got_repr").asText()).isEqualTo("10");
    }

    @Test
    void a_java_failure_is_a_python_value_error_with_message_and_traceback() {
        for (String name : List.of("fail", "fail_after_retries")) {
            JsonNode c = at(name);
            assertThat(c.path("ok").asBoolean()).as(name).isFalse();
            assertThat(c.path("exc_type").asText()).as(name).isEqualTo("ValueError");
            assertThat(c.path("is_value_error").asBoolean()).as("isinstance(e, ValueError) for %s", name).isTrue();
            assertThat(c.path("state").asText()).as(name).isEqualTo("FAILURE");
            assertThat(c.path("traceback").asText()).as("AsyncResult.traceback of %s", name).isNotBlank();
        }
        assertThat(at("fail").path("exc_str").asText()).isEqualTo("boom \u2603");
        assertThat(at("fail").path("traceback").asText()).contains("boom \u2603");
        assertThat(worker.log()).contains("tasks.fail[" + at("fail_after_retries").path("id").asText() + "] retry");
    }

    @Test
    void an_unknown_task_name_is_not_registered_in_python() {
        JsonNode c = at("unregistered");
        assertThat(c.path("exc_type").asText()).isEqualTo("NotRegistered");
        assertThat(c.path("exc_module").asText()).isEqualTo("celery.exceptions");
        assertThat(c.path("exc_str").asText()).contains("tasks.no_such_task");
        assertThat(worker.log()).contains("Received unregistered task of type 'tasks.no_such_task'");
    }

    @Test
    void countdown_and_eta_run_the_task_not_before_the_time() {
        assertThat(at("countdown").path("got_repr").asText()).isEqualTo("3");
        assertThat(at("eta").path("got_repr").asText()).isEqualTo("7");
        for (String name : List.of("countdown", "eta")) {
            JsonNode c = at(name);
            assertThat(c.path("done_not_before").asBoolean())
                    .as("%s: date_done %s is not before %s", name, c.path("date_done"), c.path("not_before")).isTrue();
            assertThat(c.path("elapsed").asDouble()).as("%s: seconds until get() returned", name)
                    .isGreaterThanOrEqualTo(0.95).isLessThan(20.0);
        }
    }
}
