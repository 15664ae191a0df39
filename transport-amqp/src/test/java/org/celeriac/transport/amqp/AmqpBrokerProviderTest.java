package org.celeriac.transport.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.ConnectionFactory;
import java.util.Map;
import java.util.ServiceLoader;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackendProvider;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.BrokerProvider;
import org.junit.jupiter.api.Test;

class AmqpBrokerProviderTest {

    @Test
    void providersAreRegisteredForTheirSchemes() {
        assertThat(ServiceLoader.load(BrokerProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("amqp")).findFirst()).get()
                .satisfies(p -> assertThat(p.schemes()).containsExactlyInAnyOrder("amqp", "amqps", "pyamqp"));
        assertThat(ServiceLoader.load(ResultBackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("rpc")).findFirst()).get()
                .satisfies(p -> assertThat(p.schemes()).contains("rpc"));
    }

    @Test
    void theRabbitMqClientLoadsWithItsDependencies() {
        assertThat(new ConnectionFactory().getPort()).isEqualTo(5672); // needs slf4j-api on the class path
    }

    @Test
    void vhostIsReadAsKombuReadsIt() {
        assertThat(AmqpConnections.vhost(ConnectionUrl.parse("amqp://guest:guest@localhost:5672//"))).isEqualTo("/");
        assertThat(AmqpConnections.vhost(ConnectionUrl.parse("amqp://guest:guest@localhost:5672/"))).isEqualTo("/");
        assertThat(AmqpConnections.vhost(ConnectionUrl.parse("amqp://localhost"))).isEqualTo("/");
        assertThat(AmqpConnections.vhost(ConnectionUrl.parse("pyamqp://user:pw@host:5672/vhost"))).isEqualTo("vhost");
        assertThat(AmqpConnections.vhost(ConnectionUrl.parse("amqp://h/%2Fprod"))).isEqualTo("/prod");
        ConnectionFactory f = AmqpConnections.factory(ConnectionUrl.parse("amqp://bob:s3cret@rabbit.example:5673/app"),
                AmqpTransportOptions.defaults(), "t");
        assertThat(f.getHost()).isEqualTo("rabbit.example");
        assertThat(f.getPort()).isEqualTo(5673);
        assertThat(f.getUsername()).isEqualTo("bob");
        assertThat(f.getVirtualHost()).isEqualTo("app");
        assertThat(AmqpConnections.factory(ConnectionUrl.parse("amqps://h//"), AmqpTransportOptions.parse(Settings.of(Map.of()), true), "t")
                .getPort()).isEqualTo(5671);
    }

    @Test
    void aWrongPasswordIsOneClearErrorWithThePasswordMasked() {
        AmqpTestSupport.requireRabbit();
        assertThatThrownBy(() -> new AmqpBrokerProvider().create(
                ConnectionUrl.parse("amqp://guest:wrong-secret@127.0.0.1:5672//"), Settings.of(Map.of()), AmqpTestSupport.context(null)))
                .isInstanceOf(BrokerException.class)
                .hasMessageContaining("user 'guest'").hasMessageContaining("127.0.0.1:5672").hasMessageContaining("vhost '/'")
                .hasMessageContaining("ACCESS_REFUSED").hasMessageNotContaining("wrong-secret");
    }

    @Test
    void aMissingVhostIsOneClearError() {
        AmqpTestSupport.requireRabbit();
        assertThatThrownBy(() -> new AmqpBrokerProvider().create(
                ConnectionUrl.parse("amqp://guest:guest@127.0.0.1:5672/no-such-vhost"), Settings.of(Map.of()), AmqpTestSupport.context(null)))
                .isInstanceOf(BrokerException.class)
                .hasMessageContaining("vhost 'no-such-vhost'").hasMessageContaining("rabbitmqctl add_vhost")
                .hasMessageNotContaining("guest:guest");
    }

    @Test
    void invalidSettingsAreRefusedNamingTheSetting() {
        assertThatThrownBy(() -> new AmqpBrokerProvider().create(ConnectionUrl.parse("amqp://h//"),
                Settings.of(Map.of("broker_transport_options", Map.of("queue_type", "stream"))), AmqpTestSupport.context(null)))
                .isInstanceOf(ProviderException.class).hasMessageContaining("queue_type");
        assertThatThrownBy(() -> new AmqpBrokerProvider().create(ConnectionUrl.parse("amqp://h//"),
                Settings.of(Map.of("broker_transport_options", Map.of("queue_type", "quorum"), "task_queue_max_priority", 10)),
                AmqpTestSupport.context(null)))
                .isInstanceOf(ProviderException.class).hasMessageContaining("quorum");
        assertThatThrownBy(() -> new AmqpBrokerProvider().create(ConnectionUrl.parse("amqp://h//"),
                Settings.of(Map.of("broker_transport_options", Map.of("queue_mode", "eager"))), AmqpTestSupport.context(null)))
                .isInstanceOf(ProviderException.class).hasMessageContaining("queue_mode");
        assertThatThrownBy(() -> new AmqpBrokerProvider().create(ConnectionUrl.parse("amqp://h//"),
                Settings.of(Map.of("broker_transport_options", Map.of("queue_mode", "lazy", "queue_type", "quorum"))),
                AmqpTestSupport.context(null)))
                .isInstanceOf(ProviderException.class).hasMessageContaining("queue_mode").hasMessageContaining("quorum");
    }

    @Test
    void rpcNeedsAnAmqpBroker() {
        assertThatThrownBy(() -> new RpcResultBackendProvider().create(ConnectionUrl.parse("rpc://"), Settings.of(Map.of()),
                AmqpTestSupport.context(null))).isInstanceOf(ProviderException.class).hasMessageContaining("no broker");
    }
}
