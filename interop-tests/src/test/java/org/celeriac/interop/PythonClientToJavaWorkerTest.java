package org.celeriac.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Python Celery 5.2.6's client ({@code pyclient.py edge}) against a Celeriac worker process on Redis: JSON edge
 * values round-trip exactly (as Python sees them, {@code repr} and type), a remote {@code ValueError} comes back
 * as a real {@code ValueError} with a traceback, an unknown task name as {@code NotRegistered}, and countdown
 * and eta are honoured — all read through Celery's own {@code AsyncResult.get()}.
 *
 * <p>Redis database 11 is reserved for this class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PythonClientToJavaWorkerTest {
    private static final int DB = 11;

    @TempDir
    static Path dir;

    private final String url = Interop.sharedRedis(DB);
    private final String queue = Interop.uniqueQueue("py2java");
    private Peer worker;
    private Map<String, JsonNode> cases;

    @BeforeAll
    void runThePythonClientAgainstAJavaWorker() throws Exception {
        Interop.requireRedis();
        Interop.requirePythonCelery();
        worker = Peer.javaWorker(dir, "java-py2java", url, queue, 2, Map.of()).awaitReady(Duration.ofSeconds(60));
        List<JsonNode> lines = new PythonClient(dir, url, queue).start("edge").await(Duration.ofSeconds(90));
        cases = new LinkedHashMap<>();
        lines.forEach(l -> cases.put(l.get("case").asText(), l));
    }

    @AfterAll
    void stop() {
        if (worker != null) {
            worker.close();
        }
        if (cases != null || worker != null) {
            Interop.deleteKeys(url, List.of(queue));
        }
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
    }

    @Test
    void the_values_that_json_libraries_get_wrong_keep_their_python_type() {
        assertThat(at("echo_int_2_pow_70").path("got_repr").asText()).isEqualTo("1180591620717411303424");
        assertThat(at("echo_int_2_pow_70").path("got_type").asText()).isEqualTo("int");
        assertThat(at("echo_float_3_0").path("got_repr").asText()).isEqualTo("3.0");
        assertThat(at("echo_float_3_0").path("got_type").asText()).isEqualTo("float");
        assertThat(at("echo_float_neg_zero").path("got_repr").asText()).isEqualTo("-0.0");
        assertThat(at("echo_float_1e_05").path("got_repr").asText()).isEqualTo("1e-05");
        assertThat(at("echo_float_nan").path("got_repr").asText()).isEqualTo("nan");
        assertThat(at("echo_float_inf").path("got_repr").asText()).isEqualTo("inf");
        assertThat(at("echo_str_unicode").path("got_repr").asText()).contains("\uD83D\uDE00").contains("\u65e5\u672c");
        assertThat(at("echo_dict_empty").path("got_repr").asText()).isEqualTo("{}");
        assertThat(at("echo_list_empty").path("got_repr").asText()).isEqualTo("[]");
    }

    @Test
    void arithmetic_and_kwargs_follow_python() {
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
            assertThat(c.path("exc_module").asText()).as(name).isEqualTo("builtins");
            assertThat(c.path("is_value_error").asBoolean()).as("isinstance(e, ValueError) for %s", name).isTrue();
            assertThat(c.path("state").asText()).as(name).isEqualTo("FAILURE");
            assertThat(c.path("traceback").asText()).as("AsyncResult.traceback of %s", name).isNotBlank();
        }
        assertThat(at("fail").path("exc_str").asText()).isEqualTo("boom \u2603");
        assertThat(at("fail").path("traceback").asText()).contains("boom \u2603");
        assertThat(at("fail_after_retries").path("exc_str").asText()).isEqualTo("again");
        assertThat(worker.log()).contains("tasks.fail[" + at("fail_after_retries").path("id").asText() + "] retry");
    }

    @Test
    void an_unknown_task_name_is_not_registered_in_python() {
        JsonNode c = at("unregistered");
        assertThat(c.path("exc_type").asText()).isEqualTo("NotRegistered");
        assertThat(c.path("exc_module").asText()).isEqualTo("celery.exceptions");
        assertThat(c.path("is_not_registered").asBoolean()).isTrue();
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
