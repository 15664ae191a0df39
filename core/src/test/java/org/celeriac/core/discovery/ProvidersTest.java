package org.celeriac.core.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.celeriac.core.memory.MemoryBrokerProvider;
import org.celeriac.core.memory.MemoryResultBackendProvider;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackendProvider;
import org.celeriac.spi.broker.BrokerProvider;
import org.celeriac.spi.serializer.SerializerProvider;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProvidersTest {
    private static final String P = FakeProviders.class.getName() + "$";
    private static final Settings NONE = Settings.of(Map.of());

    @TempDir
    Path tmp;
    private int loaders;

    private Providers load(Map<Class<?>, List<String>> services) throws IOException {
        return Providers.load(ServicesClassLoader.with(tmp.resolve("loader-" + loaders++), services));
    }

    private Providers standard() throws IOException {
        return load(Map.of(
                BrokerProvider.class, List.of(MemoryBrokerProvider.class.getName(), P + "DupA", P + "DupB"),
                ResultBackendProvider.class, List.of(MemoryResultBackendProvider.class.getName(), P + "BackendA",
                        P + "BackendB"),
                SerializerProvider.class, List.of(P + "JsonOne", P + "JsonTwo", P + "Smile")));
    }

    @Test
    void the_real_class_path_has_the_memory_providers() {
        Providers p = Providers.load(ProvidersTest.class.getClassLoader());
        assertThat(p.broker(ConnectionUrl.parse("memory://"), NONE)).isInstanceOf(MemoryBrokerProvider.class);
        assertThat(p.resultBackend(ConnectionUrl.parse("memory://x"), NONE))
                .isInstanceOf(MemoryResultBackendProvider.class);
        assertThat(p.brokerSchemes()).contains("memory");
    }

    @Test
    void providers_are_instantiated_once() throws IOException {
        FakeProviders.Counted.CREATED.set(0);
        Providers p = load(Map.of(BrokerProvider.class, List.of(P + "Counted")));
        for (int i = 0; i < 3; i++) {
            assertThat(p.broker(ConnectionUrl.parse("counted://h"), NONE)).isInstanceOf(FakeProviders.Counted.class);
        }
        assertThat(FakeProviders.Counted.CREATED).hasValue(1);
    }

    @Nested
    class None {
        @Test
        void a_missing_broker_names_the_scheme_the_available_ones_and_the_artifact() throws IOException {
            assertThatThrownBy(() -> standard().broker(ConnectionUrl.parse("redis://:s3cret@cache:6379/0"), NONE))
                    .isInstanceOf(ProviderException.class)
                    .hasMessage("No broker transport serves scheme 'redis' (broker_url redis://:***@cache:6379/0). "
                            + "Transports on the class path serve: dup, memory, other. "
                            + "Add the Maven artifact org.celeriac:celeriac-transport-redis to the class path.");
        }

        @Test
        void well_known_schemes_name_their_module() throws IOException {
            Providers p = standard();
            assertThatThrownBy(() -> p.broker(ConnectionUrl.parse("amqp://guest:guest@rabbit//"), NONE))
                    .hasMessageEndingWith("Add the Maven artifact org.celeriac:celeriac-transport-amqp to the class path.")
                    .hasMessageContaining("amqp://guest:***@rabbit//");
            assertThatThrownBy(() -> p.broker(ConnectionUrl.parse("sqla+sqlite:///celery.db"), NONE))
                    .hasMessageEndingWith("org.celeriac:celeriac-transport-sql to the class path.");
            assertThatThrownBy(() -> p.broker(ConnectionUrl.parse("jdbc:h2:mem:x;PASSWORD=pw"), NONE))
                    .hasMessageEndingWith("org.celeriac:celeriac-transport-sql to the class path.")
                    .hasMessageNotContaining("=pw");
            assertThatThrownBy(() -> p.resultBackend(ConnectionUrl.parse("mongodb+srv://u:pw@cluster/db"), NONE))
                    .hasMessage("No result backend serves scheme 'mongodb+srv' (result_backend mongodb+srv://u:***@cluster/db). "
                            + "Result backends on the class path serve: memory, store. "
                            + "Add the Maven artifact org.celeriac:celeriac-backend-mongodb to the class path.");
            assertThatThrownBy(() -> p.resultBackend(ConnectionUrl.parse("db+postgresql://h/db"), NONE))
                    .hasMessageEndingWith("org.celeriac:celeriac-backend-jdbc to the class path.");
            assertThatThrownBy(() -> p.resultBackend(ConnectionUrl.parse("rpc://"), NONE))
                    .hasMessageEndingWith("org.celeriac:celeriac-transport-amqp to the class path.");
            assertThatThrownBy(() -> p.resultBackend(ConnectionUrl.parse("rediss://h"), NONE))
                    .hasMessageEndingWith("org.celeriac:celeriac-backend-redis to the class path.");
        }

        @Test
        void an_unknown_scheme_says_no_module_is_known() throws IOException {
            assertThatThrownBy(() -> load(Map.of()).broker(ConnectionUrl.parse("foo://x"), NONE))
                    .hasMessage("No broker transport serves scheme 'foo' (broker_url foo://x). Transports on the class "
                            + "path serve: none. No Celeriac module is known to serve 'foo': check the spelling, or add "
                            + "a module that registers a org.celeriac.spi.broker.BrokerProvider for it.");
        }

        @Test
        void a_missing_serializer_names_the_artifact_or_explains_python_only_formats() throws IOException {
            Providers p = standard();
            assertThatThrownBy(() -> p.serializer("kryo", NONE)).isInstanceOf(ProviderException.class)
                    .hasMessage("No serializer serves 'kryo' (application/x-kryo). Serializers on the class path serve: "
                            + "application/json, application/x-jackson-smile. "
                            + "Add the Maven artifact org.celeriac:celeriac-serializer-kryo to the class path.");
            assertThatThrownBy(() -> p.serializer("pickle", NONE))
                    .hasMessageEndingWith("Java has no pickle serializer: have the Python side send json "
                            + "(task_serializer = 'json', result_serializer = 'json').");
            assertThatThrownBy(() -> load(Map.of()).serializer("application/json", NONE))
                    .hasMessage("No serializer serves 'application/json'. Serializers on the class path serve: none. "
                            + "Add the Maven artifact org.celeriac:celeriac-serializer-json to the class path.");
            assertThat(p.hasSerializer("application/x-jackson-smile")).isTrue();
            assertThat(p.hasSerializer("yaml")).isFalse();
        }
    }

    @Nested
    class One {
        @Test
        void a_single_provider_is_used() throws IOException {
            Providers p = standard();
            assertThat(p.broker(ConnectionUrl.parse("other://h"), NONE)).isInstanceOf(FakeProviders.DupB.class);
            assertThat(p.serializer("smile", NONE)).isInstanceOf(FakeProviders.Smile.class);
            assertThat(p.serializer("Application/X-Jackson-Smile", NONE)).isInstanceOf(FakeProviders.Smile.class);
        }
    }

    @Nested
    class Many {
        @Test
        void several_brokers_fail_naming_both() throws IOException {
            assertThatThrownBy(() -> standard().broker(ConnectionUrl.parse("dup://h"), NONE))
                    .isInstanceOf(ProviderException.class)
                    .hasMessage("Several broker transports serve scheme 'dup': " + P + "DupA (name 'dup-a', artifact "
                            + "org.example:dup-a) and " + P + "DupB (name 'dup-b', artifact org.example:dup-b). Choose "
                            + "one with the setting broker_provider (e.g. broker_provider=dup-a), or remove the others "
                            + "from the class path.");
        }

        @Test
        void the_setting_picks_one_by_name_or_class() throws IOException {
            Providers p = standard();
            assertThat(p.broker(ConnectionUrl.parse("dup://h"), Settings.of(Map.of("broker_provider", "dup-b"))))
                    .isInstanceOf(FakeProviders.DupB.class);
            assertThat(p.broker(ConnectionUrl.parse("dup://h"), Settings.of(Map.of("broker_provider", P + "DupA"))))
                    .isInstanceOf(FakeProviders.DupA.class);
            assertThat(p.resultBackend(ConnectionUrl.parse("store://h"),
                    Settings.of(Map.of("result_backend_provider", "store-b")))).isInstanceOf(FakeProviders.BackendB.class);
            assertThatThrownBy(() -> p.broker(ConnectionUrl.parse("dup://h"),
                    Settings.of(Map.of("broker_provider", "dup-c"))))
                    .hasMessage("The setting broker_provider = 'dup-c' picks none of the broker transports serving "
                            + "scheme 'dup': " + P + "DupA (name 'dup-a', artifact org.example:dup-a) and " + P
                            + "DupB (name 'dup-b', artifact org.example:dup-b). Set broker_provider to one provider's "
                            + "name or class name.");
        }

        @Test
        void several_backends_and_serializers_fail_unless_chosen() throws IOException {
            Providers p = standard();
            assertThatThrownBy(() -> p.resultBackend(ConnectionUrl.parse("store://h"), NONE))
                    .hasMessageStartingWith("Several result backends serve scheme 'store': ")
                    .hasMessageContaining("result_backend_provider");
            assertThatThrownBy(() -> p.serializer("json", NONE))
                    .hasMessage("Several serializers serve 'json': " + P + "JsonOne (name 'json', artifact "
                            + "org.example:jsonone) and " + P + "JsonTwo (name 'json', artifact org.example:jsontwo). "
                            + "Choose one with the setting serializer_provider (e.g. serializer_provider=json), or "
                            + "remove the others from the class path.");
            assertThatThrownBy(() -> p.serializer("json", Settings.of(Map.of("serializer_provider", "json"))))
                    .hasMessageStartingWith("The setting serializer_provider = 'json' picks 2 of the serializers");
            assertThat(p.serializer("application/json",
                    Settings.of(Map.of("serializer_provider", Map.of("json", P + "JsonTwo")))))
                    .isInstanceOf(FakeProviders.JsonTwo.class);
            assertThat(p.serializer("json", Settings.of(Map.of("serializer_provider", P + "JsonOne"))))
                    .isInstanceOf(FakeProviders.JsonOne.class);
        }
    }

    @Nested
    class Broken {
        @Test
        void a_provider_whose_constructor_throws_is_named_with_its_cause() throws IOException {
            Providers p = load(Map.of(BrokerProvider.class, List.of(MemoryBrokerProvider.class.getName(), P + "Broken")));
            assertThatThrownBy(() -> p.broker(ConnectionUrl.parse("memory://"), NONE))
                    .isInstanceOf(ProviderException.class)
                    .hasMessage("The broker transport provider " + P + "Broken could not be created: "
                            + "java.lang.IllegalStateException: cannot start: missing native library. Fix it or remove "
                            + "its module from the class path (it is registered in "
                            + "META-INF/services/org.celeriac.spi.broker.BrokerProvider).")
                    .hasRootCauseInstanceOf(IllegalStateException.class);
            assertThat(p.resultBackendProviders()).isEmpty();
        }

        @Test
        void a_registered_class_that_does_not_exist_is_named() throws IOException {
            Providers p = load(Map.of(ResultBackendProvider.class, List.of("com.example.NoSuchBackend")));
            assertThatThrownBy(() -> p.resultBackend(ConnectionUrl.parse("memory://"), NONE))
                    .isInstanceOf(ProviderException.class)
                    .hasMessageStartingWith("A result backend provider registered in "
                            + "META-INF/services/org.celeriac.spi.backend.ResultBackendProvider could not be loaded: ")
                    .hasMessageContaining("com.example.NoSuchBackend");
        }
    }
}
