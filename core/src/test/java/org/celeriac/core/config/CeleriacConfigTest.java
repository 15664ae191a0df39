package org.celeriac.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CeleriacConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void resetWarnings() {
        CeleriacConfig.resetWarnings();
    }

    private static CeleriacConfig.Builder isolated() {
        return CeleriacConfig.builder().environment(Map.of()).systemProperties(new Properties());
    }

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Nested
    class Defaults {
        @Test
        void defaults_are_celerys_with_celeriac_choices() {
            CeleriacConfig c = CeleriacConfig.defaults();
            assertThat(c.brokerUrl()).isEmpty();
            assertThat(c.resultBackend()).isEmpty();
            assertThat(c.taskSerializer()).isEqualTo("json");
            assertThat(c.resultSerializer()).isEqualTo("json");
            assertThat(c.acceptContent()).containsExactly("json");
            assertThat(c.acceptContentTypes()).containsExactly("application/json");
            assertThat(c.resultAcceptContentTypes()).containsExactly("application/json");
            assertThat(c.defaultQueue()).isEqualTo("celery");
            assertThat(c.defaultExchange()).isEqualTo("celery");
            assertThat(c.defaultRoutingKey()).isEqualTo("celery");
            assertThat(c.defaultPriority()).isEmpty();
            assertThat(c.concurrency()).isEqualTo(Runtime.getRuntime().availableProcessors());
            assertThat(c.prefetchMultiplier()).isEqualTo(4);
            assertThat(c.acksLate()).isFalse();
            assertThat(c.rejectOnWorkerLost()).isFalse();
            assertThat(c.trackStarted()).isFalse();
            assertThat(c.ignoreResult()).isFalse();
            assertThat(c.storeErrorsEvenIfIgnored()).isFalse();
            assertThat(c.resultExpires()).contains(Duration.ofDays(1));
            assertThat(c.resultExtended()).isFalse();
            assertThat(c.alwaysEager()).isFalse();
            assertThat(c.eagerPropagates()).isFalse();
            assertThat(c.timeLimit()).isEmpty();
            assertThat(c.softTimeLimit()).isEmpty();
            assertThat(c.defaultRetryDelay()).isEqualTo(Duration.ofSeconds(180));
            assertThat(c.maxRetries()).contains(3);
            assertThat(c.taskProtocol()).isEqualTo(2);
            assertThat(c.taskCompression()).isEmpty();
            assertThat(c.resultCompression()).isEmpty();
            assertThat(c.createMissingQueues()).isTrue();
            assertThat(c.connectionRetryOnStartup()).isTrue();
            assertThat(c.brokerTransportOptions()).isEmpty();
            assertThat(c.workerPool()).isEqualTo("threads");
            assertThat(c.sendTaskEvents()).isFalse();
            assertThat(c.sendSentEvent()).isFalse();
            assertThat(c.timezone().getId()).isEqualTo("UTC");
            assertThat(c.enableUtc()).isTrue();
            assertThat(c.origin("task_serializer")).isEqualTo("default");
            assertThat(c.origin("nothing_like_this")).isEqualTo("unset");
        }

        @Test
        void result_expires_none_means_never() {
            assertThat(isolated().set("result_expires", null).build().resultExpires()).isEmpty();
            assertThat(isolated().set("result_expires", "0").build().resultExpires()).isEmpty();
            assertThat(isolated().set("result_expires", "1h").build().resultExpires()).contains(Duration.ofHours(1));
        }
    }

    @Nested
    class Precedence {
        @Test
        void later_sources_win_defaults_file_environment_system_properties_builder() throws IOException {
            Path file = write("c.properties", """
                    task_default_queue = from-file
                    worker_prefetch_multiplier = 11
                    task_default_exchange = ex-file
                    task_default_routing_key = rk-file
                    """);
            Properties props = new Properties();
            props.setProperty("celeriac.task_default_exchange", "ex-props");
            props.setProperty("celeriac.task_default_routing_key", "rk-props");
            props.setProperty("unrelated.property", "x");
            CeleriacConfig c = CeleriacConfig.builder()
                    .configFile(file)
                    .environment(Map.of("CELERIAC_WORKER_PREFETCH_MULTIPLIER", "12",
                            "CELERIAC_TASK_DEFAULT_EXCHANGE", "ex-env",
                            "CELERIAC_TASK_DEFAULT_ROUTING_KEY", "rk-env",
                            "PATH", "/bin"))
                    .systemProperties(props)
                    .set("task_default_routing_key", "rk-builder")
                    .build();

            assertThat(c.string("task_serializer", null)).isEqualTo("json");
            assertThat(c.defaultQueue()).isEqualTo("from-file");
            assertThat(c.prefetchMultiplier()).isEqualTo(12);
            assertThat(c.defaultExchange()).isEqualTo("ex-props");
            assertThat(c.defaultRoutingKey()).isEqualTo("rk-builder");

            assertThat(c.origin("task_serializer")).isEqualTo("default");
            assertThat(c.origin("task_default_queue")).isEqualTo("config file " + file + " line 1");
            assertThat(c.origin("worker_prefetch_multiplier")).isEqualTo("environment variable CELERIAC_WORKER_PREFETCH_MULTIPLIER");
            assertThat(c.origin("task_default_exchange")).isEqualTo("system property celeriac.task_default_exchange");
            assertThat(c.origin("task_default_routing_key")).isEqualTo("builder");
            assertThat(c.asMap()).doesNotContainKeys("path", "unrelated.property");
        }

        @Test
        void config_file_can_come_from_the_environment_or_a_system_property() throws IOException {
            Path a = write("a.properties", "task_default_queue = a\n");
            Path b = write("b.properties", "task_default_queue = b\n");
            assertThat(CeleriacConfig.builder().environment(Map.of("CELERIAC_CONFIG", a.toString()))
                    .systemProperties(new Properties()).build().defaultQueue()).isEqualTo("a");
            Properties p = new Properties();
            p.setProperty("celeriac.config", b.toString());
            assertThat(CeleriacConfig.builder().environment(Map.of("CELERIAC_CONFIG", a.toString()))
                    .systemProperties(p).build().defaultQueue()).isEqualTo("b");
        }

        @Test
        void environment_values_that_look_like_lists_or_dicts_are_parsed() {
            CeleriacConfig c = isolated().environment(Map.of(
                    "CELERIAC_ACCEPT_CONTENT", "['json', 'application/x-kryo']",
                    "CELERIAC_BROKER_TRANSPORT_OPTIONS", "{\"visibility_timeout\": 3600, \"fanout_prefix\": true}",
                    "CELERIAC_DATA_DIR", "/tmp/celeriac-x")).build();
            assertThat(c.acceptContentTypes()).containsExactly("application/json", "application/x-kryo");
            assertThat(c.brokerTransportOptions()).containsEntry("visibility_timeout", 3600L)
                    .containsEntry("fanout_prefix", true);
            assertThat(c.dataDir()).contains(Path.of("/tmp/celeriac-x"));
            assertThat(c.origin(CeleriacConfig.DATA_DIR)).isEqualTo("environment variable CELERIAC_DATA_DIR");
            assertThat(isolated().environment(Map.of("CELERIAC_ACCEPT_CONTENT", "json, yaml")).build().acceptContent())
                    .containsExactly("json", "yaml");
        }

        @Test
        void a_bad_value_names_its_source_and_what_to_fix() {
            CeleriacConfig c = isolated().environment(Map.of("CELERIAC_WORKER_CONCURRENCY", "many")).build();
            assertThatThrownBy(c::concurrency).isInstanceOf(ConfigException.class)
                    .hasMessage("setting worker_concurrency: 'many' is not an integer (from environment variable "
                            + "CELERIAC_WORKER_CONCURRENCY); fix or remove it");
            CeleriacConfig tz = isolated().set("timezone", "Mars/Olympus").build();
            assertThatThrownBy(tz::timezone).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("'Mars/Olympus' is not a time zone (from builder)");
        }

        @Test
        void unknown_keys_are_kept_with_a_debug_log() {
            try (LogCapture log = LogCapture.of(CeleriacConfig.class)) {
                CeleriacConfig c = isolated().set("my_custom_thing", 42).build();
                assertThat(c.raw("my_custom_thing")).contains(42);
                assertThat(log.exactly(Level.DEBUG)).anyMatch(m -> m.contains("my_custom_thing") && m.contains("kept"));
                assertThat(log.messages(Level.WARN)).isEmpty();
            }
        }
    }

    @Nested
    class OldNames {
        @Test
        void old_uppercase_names_are_aliases_with_a_one_time_warning_naming_the_new_name() throws IOException {
            Path file = write("celeryconfig.py", "CELERYD_CONCURRENCY = 7\nCELERY_ALWAYS_EAGER = True\n");
            try (LogCapture log = LogCapture.of(CeleriacConfig.class)) {
                CeleriacConfig c = isolated().configFile(file).build();
                assertThat(c.concurrency()).isEqualTo(7);
                assertThat(c.alwaysEager()).isTrue();
                assertThat(c.asMap()).doesNotContainKey("CELERYD_CONCURRENCY");
                assertThat(c.origin("worker_concurrency")).isEqualTo("config file " + file + " line 1");
                assertThat(log.messages(Level.WARN)).containsExactlyInAnyOrder(
                        "Setting CELERYD_CONCURRENCY (config file " + file + " line 1) is Celery's old name for "
                                + "worker_concurrency; it still works, but rename it to worker_concurrency",
                        "Setting CELERY_ALWAYS_EAGER (config file " + file + " line 2) is Celery's old name for "
                                + "task_always_eager; it still works, but rename it to task_always_eager");
                isolated().configFile(file).build();
                assertThat(log.messages(Level.WARN)).hasSize(2);
            }
        }

        @Test
        void the_table_covers_celerys_common_old_names() {
            Map<String, String> expected = Map.ofEntries(
                    Map.entry("BROKER_URL", "broker_url"),
                    Map.entry("CELERY_RESULT_BACKEND", "result_backend"),
                    Map.entry("CELERY_ACCEPT_CONTENT", "accept_content"),
                    Map.entry("CELERYD_CONCURRENCY", "worker_concurrency"),
                    Map.entry("CELERYD_PREFETCH_MULTIPLIER", "worker_prefetch_multiplier"),
                    Map.entry("CELERY_TASK_SERIALIZER", "task_serializer"),
                    Map.entry("CELERY_RESULT_SERIALIZER", "result_serializer"),
                    Map.entry("CELERY_ROUTES", "task_routes"),
                    Map.entry("CELERY_ANNOTATIONS", "task_annotations"),
                    Map.entry("CELERY_QUEUES", "task_queues"),
                    Map.entry("CELERY_DEFAULT_QUEUE", "task_default_queue"),
                    Map.entry("CELERY_ACKS_LATE", "task_acks_late"),
                    Map.entry("CELERY_ALWAYS_EAGER", "task_always_eager"),
                    Map.entry("CELERY_EAGER_PROPAGATES_EXCEPTIONS", "task_eager_propagates"),
                    Map.entry("CELERY_TASK_RESULT_EXPIRES", "result_expires"),
                    Map.entry("CELERY_TRACK_STARTED", "task_track_started"),
                    Map.entry("CELERY_IGNORE_RESULT", "task_ignore_result"),
                    Map.entry("CELERYD_TASK_TIME_LIMIT", "task_time_limit"),
                    Map.entry("CELERYD_TASK_SOFT_TIME_LIMIT", "task_soft_time_limit"),
                    Map.entry("CELERY_CREATE_MISSING_QUEUES", "task_create_missing_queues"),
                    Map.entry("BROKER_TRANSPORT_OPTIONS", "broker_transport_options"),
                    Map.entry("CELERY_TIMEZONE", "timezone"),
                    Map.entry("CELERY_ENABLE_UTC", "enable_utc"),
                    Map.entry("CELERYBEAT_SCHEDULE", "beat_schedule"),
                    Map.entry("CELERY_SEND_EVENTS", "worker_send_task_events"),
                    Map.entry("CELERYD_HIJACK_ROOT_LOGGER", "worker_hijack_root_logger"),
                    Map.entry("CELERY_REDIRECT_STDOUTS", "worker_redirect_stdouts"),
                    Map.entry("CELERY_REDIRECT_STDOUTS_LEVEL", "worker_redirect_stdouts_level"),
                    Map.entry("CELERYD_TASK_LOG_FORMAT", "worker_task_log_format"),
                    Map.entry("CELERYD_LOG_FORMAT", "worker_log_format"),
                    Map.entry("CELERY_DEFAULT_RATE_LIMIT", "task_default_rate_limit"),
                    Map.entry("CELERY_RESULT_EXTENDED", "result_extended"),
                    Map.entry("CELERY_MESSAGE_COMPRESSION", "task_compression"),
                    Map.entry("CELERY_SEND_TASK_SENT_EVENT", "task_send_sent_event"),
                    Map.entry("CELERY_MAX_CACHED_RESULTS", "result_cache_max"));
            expected.forEach((old, now) -> assertThat(SettingNames.currentNameOf(old)).as(old).contains(now));
            assertThat(SettingNames.currentNameOf("broker_url")).isEmpty();
            assertThat(SettingNames.currentNameOf("CELERY_BROKER_URL")).contains("broker_url");
            assertThat(SettingNames.currentNameOf("TASK_ACKS_LATE")).contains("task_acks_late");
            assertThat(SettingNames.currentNameOf("my_thing")).isEmpty();
        }

        @Test
        void within_one_source_the_new_name_wins_over_the_old_one() {
            CeleriacConfig c = isolated().set("worker_concurrency", 3).set("CELERYD_CONCURRENCY", 9).build();
            assertThat(c.concurrency()).isEqualTo(3);
            CeleriacConfig env = isolated().environment(Map.of("CELERIAC_CELERYD_CONCURRENCY", "5")).build();
            assertThat(env.concurrency()).isEqualTo(5);
            assertThat(env.origin("worker_concurrency")).isEqualTo("environment variable CELERIAC_CELERYD_CONCURRENCY");
        }
    }

    @Nested
    class PythonFiles {
        @Test
        void reads_the_literal_subset_of_celeryconfig_py() throws IOException {
            Path file = write("celeryconfig.py", """
                    # Celery settings of the seed app
                    import os
                    from datetime import timedelta
                    from celery.schedules import crontab

                    BROKER_URL = 'redis://:s3cret@localhost:6379/0'
                    CELERY_RESULT_BACKEND = "redis://localhost:6379/1"  # results
                    CELERY_ACCEPT_CONTENT = ['pickle', 'json']
                    CELERY_TASK_SERIALIZER = 'json'
                    CELERYD_PREFETCH_MULTIPLIER = 1
                    CELERYD_TASK_SOFT_TIME_LIMIT = 2.5
                    CELERY_ACKS_LATE = True
                    CELERY_DEFAULT_RATE_LIMIT = None
                    CELERY_IMPORTS = ('tasks', 'more.tasks',)
                    CELERY_TASK_RESULT_EXPIRES = timedelta(hours=1, minutes=30)
                    CELERY_ROUTES = {
                        'tasks.add': {'queue': 'math'},   # the math queue
                        'tasks.mul': {"queue": 'math', 'priority': 5},
                    }
                    CELERYBEAT_SCHEDULE = {
                        'every-minute': {'task': 'tasks.add', 'schedule': crontab(minute='*'), 'args': (1, 2)},
                    }
                    long_text = '''two
                    lines'''
                    joined = ('a' "b"
                              r'\\d')
                    hexed = 0x10
                    negative = -3
                    if os.environ.get('X'):
                        CELERY_ALWAYS_EAGER = True
                    """);
            try (LogCapture log = LogCapture.of(PythonConfigReader.class)) {
                CeleriacConfig c = isolated().configFile(file).build();
                assertThat(c.brokerUrl()).contains("redis://:s3cret@localhost:6379/0");
                assertThat(c.resultBackend()).contains("redis://localhost:6379/1");
                assertThat(c.acceptContent()).containsExactly("pickle", "json");
                assertThat(c.prefetchMultiplier()).isEqualTo(1);
                assertThat(c.softTimeLimit()).contains(Duration.ofMillis(2500));
                assertThat(c.acksLate()).isTrue();
                assertThat(c.raw("task_default_rate_limit")).isEmpty();
                assertThat(c.list("imports")).containsExactly("tasks", "more.tasks");
                assertThat(c.resultExpires()).contains(Duration.ofMinutes(90));
                assertThat(c.map("task_routes")).isEqualTo(Map.of("tasks.add", Map.of("queue", "math"),
                        "tasks.mul", Map.of("queue", "math", "priority", 5L)));
                assertThat(c.raw("long_text")).contains("two\nlines");
                assertThat(c.raw("joined")).contains("ab\\d");
                assertThat(c.raw("hexed")).contains(16L);
                assertThat(c.raw("negative")).contains(-3L);
                assertThat(c.alwaysEager()).as("indented statements are not top-level settings").isFalse();
                assertThat(c.raw("beat_schedule")).as("crontab(...) is read as a map")
                        .contains(Map.of("every-minute", Map.of("task", "tasks.add",
                                "schedule", Map.of("crontab", Map.of("minute", "*")), "args", List.of(1L, 2L))));
                assertThat(c.origin("task_routes")).isEqualTo("config file " + file + " line 16");
                assertThat(log.exactly(Level.WARN)).isEmpty();
                assertThat(log.exactly(Level.DEBUG)).anyMatch(m -> m.contains("line 2:") && m.contains("import os"));
            }
        }

        @Test
        void an_unclosed_string_or_bracket_names_file_and_line() throws IOException {
            Path s = write("bad1.py", "A = 1\nBROKER_URL = 'redis://x\nB = 2\n");
            assertThatThrownBy(() -> isolated().configFile(s).build()).isInstanceOf(ConfigException.class)
                    .hasMessage("config file " + s + " line 2: string literal is not closed; add the missing '");
            Path b = write("bad2.py", "A = 1\n\nCELERY_ROUTES = {\n  'a': 1,\n");
            assertThatThrownBy(() -> isolated().configFile(b).build()).isInstanceOf(ConfigException.class)
                    .hasMessage("config file " + b + " line 3: a bracket opened in this statement is never closed; "
                            + "add the missing ), ] or }");
        }
    }

    @Nested
    class YamlAndProperties {
        @Test
        void reads_yaml_with_typed_values() throws IOException {
            Path file = write("celeriac.yaml", """
                    broker_url: amqp://guest:guest@localhost:5672//
                    worker_concurrency: 8
                    task_acks_late: true
                    accept_content: [json, kryo]
                    broker_transport_options:
                      visibility_timeout: 3600
                    CELERY_DEFAULT_QUEUE: legacy
                    """);
            CeleriacConfig c = isolated().configFile(file).build();
            assertThat(c.brokerUrl()).contains("amqp://guest:guest@localhost:5672//");
            assertThat(c.concurrency()).isEqualTo(8);
            assertThat(c.acksLate()).isTrue();
            assertThat(c.acceptContentTypes()).containsExactly("application/json", "application/x-kryo");
            assertThat(c.brokerTransportOptions()).isEqualTo(Map.of("visibility_timeout", 3600L));
            assertThat(c.defaultQueue()).isEqualTo("legacy");
        }

        @Test
        void broken_yaml_names_file_and_line() throws IOException {
            Path file = write("bad.yml", "broker_url: x\nworker_concurrency: [1, 2\ntask_acks_late: true\n");
            assertThatThrownBy(() -> isolated().configFile(file).build()).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("config file " + file + " line ").hasMessageContaining("not valid YAML");
            Path list = write("list.yaml", "- a\n- b\n");
            assertThatThrownBy(() -> isolated().configFile(list).build()).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("expected a mapping of setting names to values");
        }

        @Test
        void reads_properties_with_optional_prefix_and_literal_values() throws IOException {
            Path file = write("celeriac.properties", """
                    # comment
                    celeriac.broker_url = memory://props
                    accept_content = ['json', 'pickle']
                    task_routes = {'tasks.add': {'queue': 'math'}}
                    """);
            CeleriacConfig c = isolated().configFile(file).build();
            assertThat(c.brokerUrl()).contains("memory://props");
            assertThat(c.acceptContent()).containsExactly("json", "pickle");
            assertThat(c.map("task_routes")).isEqualTo(Map.of("tasks.add", Map.of("queue", "math")));
            assertThat(c.origin("broker_url")).isEqualTo("config file " + file + " line 2");
        }

        @Test
        void a_missing_or_unknown_file_is_an_error_saying_what_to_do() throws IOException {
            Path missing = dir.resolve("nope.yaml");
            assertThatThrownBy(() -> isolated().configFile(missing).build()).isInstanceOf(ConfigException.class)
                    .hasMessage("config file " + missing.toAbsolutePath() + " does not exist; check the path given "
                            + "with --config (or CELERIAC_CONFIG / -Dceleriac.config)");
            Path toml = write("c.toml", "a = 1");
            assertThatThrownBy(() -> isolated().configFile(toml).build()).isInstanceOf(ConfigException.class)
                    .hasMessage("config file " + toml + ": unknown file type; use a .properties, .yaml, .yml or .py "
                            + "(celeryconfig.py) file");
        }
    }

    @Nested
    class Secrets {
        @Test
        void to_string_masks_every_url_password() {
            CeleriacConfig c = isolated()
                    .set("broker_url", "amqp://user:hunter2@rabbit:5672//")
                    .set("result_backend", "jdbc:h2:file:/x/celeriac;AUTO_SERVER=TRUE;USER=celeriac;PASSWORD=pw123")
                    .set("broker_transport_options", Map.of("sentinel_kwargs", Map.of("password", "sentinelpw"),
                            "master", "redis://:redispw@h:6379"))
                    .set("redis_password", "plainpw")
                    .build();
            String text = c.toString();
            assertThat(text).doesNotContain("hunter2", "pw123", "sentinelpw", "redispw", "plainpw")
                    .contains("amqp://user:***@rabbit:5672//", "PASSWORD=***", "redis://:***@h:6379");
        }
    }

    @Nested
    class AcceptContent {
        @Test
        void names_map_to_content_types_and_unserved_ones_are_warned_about_once() {
            CeleriacConfig c = isolated().set("CELERY_ACCEPT_CONTENT", List.of("pickle", "json", "application/x-yaml"))
                    .build();
            assertThat(c.acceptContentTypes()).containsExactly("application/x-python-serialize", "application/json",
                    "application/x-yaml");
            try (LogCapture log = LogCapture.of(CeleriacConfig.class)) {
                List<String> missing = c.warnOnceAboutUnservedContentTypes("application/json"::equals);
                assertThat(missing).containsExactly("application/x-python-serialize", "application/x-yaml");
                assertThat(c.warnOnceAboutUnservedContentTypes("application/json"::equals)).hasSize(2);
                assertThat(log.exactly(Level.WARN)).singleElement().asString()
                        .startsWith("accept_content lists [application/x-python-serialize (pickle), "
                                + "application/x-yaml (yaml)] but no serializer on the class path reads them");
            }
            assertThat(isolated().build().warnOnceAboutUnservedContentTypes("application/json"::equals)).isEmpty();
        }

        @Test
        void result_accept_content_falls_back_to_accept_content() {
            CeleriacConfig c = isolated().set("accept_content", List.of("json", "kryo"))
                    .set("result_accept_content", List.of("kryo")).build();
            assertThat(c.resultAcceptContentTypes()).containsExactly("application/x-kryo");
            assertThat(ContentTypes.of("msgpack")).isEqualTo("application/x-msgpack");
            assertThat(ContentTypes.of("Application/JSON; charset=utf-8")).isEqualTo("application/json");
        }
    }
}
