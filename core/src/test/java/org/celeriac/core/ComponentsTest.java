package org.celeriac.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.celeriac.core.config.LogCapture;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.backend.ResultBackendException;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.junit.jupiter.api.Test;

class ComponentsTest {

    @Test
    void celerysBareBackendNamesBecomeUrls() {
        Settings none = Settings.of(Map.of());
        assertThat(Components.aliasToUrl("amqp", none)).isEqualTo("rpc://");
        assertThat(Components.aliasToUrl("rpc", none)).isEqualTo("rpc://");
        assertThat(Components.aliasToUrl("redis", none)).isEqualTo("redis://localhost:6379/0");
        assertThat(Components.aliasToUrl("mongodb", none)).isEqualTo("mongodb://localhost:27017/celery");
        assertThat(Components.aliasToUrl("mongodb", Settings.of(Map.of("mongodb_backend_settings",
                Map.of("host", "db1", "port", 27018, "database", "jobs"))))).isEqualTo("mongodb://db1:27018/jobs");
        assertThat(Components.aliasToUrl("redis://h:1/2", none)).isEqualTo("redis://h:1/2");
    }

    @Test
    void anUnknownBareNameSaysWhatIsAccepted() {
        assertThatThrownBy(() -> Components.aliasToUrl("cassandra", Settings.of(Map.of())))
                .isInstanceOf(ProviderException.class).hasMessageContaining("cassandra").hasMessageContaining("redis://");
    }

    private static final ConnectionUrl DOWN = ConnectionUrl.parse("redis://:s3cret@127.0.0.1:6399/0");

    private static BrokerException refused() {
        return new BrokerException("cannot connect to Redis at " + DOWN,
                new RuntimeException("Unable to connect", new ConnectException("Connection refused: /127.0.0.1:6399")));
    }

    private static Components.StartupRetry retry(Map<String, Object> settings, List<Duration> waits) {
        Components.StartupRetry r = Components.StartupRetry.of(Settings.of(settings));
        return new Components.StartupRetry(settings.getOrDefault("broker_connection_retry_on_startup", true)
                .equals(true), r.maxRetries(), 2, 2, 30, waits::add);
    }

    @Test
    void startupRetryWaitsWithCelerysGrowingIntervalAndLogsCelerysLineWithThePasswordMasked() {
        List<Duration> waits = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        try (LogCapture log = LogCapture.of(Components.class)) {
            String got = retry(Map.of(), waits).connect("consumer", DOWN, () -> {
                if (calls.incrementAndGet() <= 3) {
                    throw refused();
                }
                return "connected";
            });
            assertThat(got).isEqualTo("connected");
            assertThat(waits).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(6));
            assertThat(log.messages(Level.ERROR)).hasSize(3).first().asString()
                    .isEqualTo("consumer: Cannot connect to redis://:***@127.0.0.1:6399/0: Connection refused: "
                            + "/127.0.0.1:6399.\nTrying again in 2.00 seconds... (1/100)")
                    .doesNotContain("s3cret");
        }
    }

    @Test
    void startupRetryIntervalStopsGrowingAtIntervalMax() {
        Components.StartupRetry r = new Components.StartupRetry(true, 0, 2, 2, 30, d -> { });
        assertThat(r.interval(1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(r.interval(15)).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.interval(40)).isEqualTo(Duration.ofSeconds(30));
        assertThat(Components.StartupRetry.humanize(Duration.ofMillis(250))).isEqualTo("in 0.25 seconds");
    }

    @Test
    void startupRetryOffFailsAtOnceSayingSo() {
        List<Duration> waits = new ArrayList<>();
        assertThatThrownBy(() -> retry(Map.of("broker_connection_retry_on_startup", false), waits)
                .connect("consumer", DOWN, () -> {
                    throw refused();
                }))
                .isInstanceOf(BrokerException.class)
                .hasMessageContaining("broker_connection_retry_on_startup is false")
                .hasMessageContaining("Connection refused")
                .hasMessageNotContaining("s3cret");
        assertThat(waits).isEmpty();
    }

    @Test
    void startupRetryGivesUpAfterMaxRetriesWithTheBackendsExceptionType() {
        List<Duration> waits = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> retry(Map.of("broker_connection_max_retries", 3), waits)
                .connect("result backend", DOWN, () -> {
                    calls.incrementAndGet();
                    throw refused();
                }))
                .isInstanceOf(ResultBackendException.class)
                .hasMessageContaining("after 3 retries")
                .hasMessageContaining("broker_connection_max_retries = 3");
        assertThat(calls).hasValue(4);
        assertThat(waits).hasSize(3);
    }

    @Test
    void startupRetryRetriesForeverWhenMaxRetriesIsZeroOrNone() {
        assertThat(Components.StartupRetry.of(Settings.of(Map.of("broker_connection_max_retries", 0))).maxRetries())
                .isZero();
        assertThat(Components.StartupRetry.of(Settings.of(Map.of("broker_connection_max_retries", "None")))
                .maxRetries()).isZero();
        assertThat(Components.StartupRetry.of(Settings.of(Map.of())).maxRetries()).isEqualTo(100);
        List<Duration> waits = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        String got = new Components.StartupRetry(true, 0, 2, 2, 30, waits::add).connect("consumer", DOWN, () -> {
            if (calls.incrementAndGet() <= 150) {
                throw refused();
            }
            return "up";
        });
        assertThat(got).isEqualTo("up");
        assertThat(waits).hasSize(150);
    }

    @Test
    void startupRetryDoesNotRetryWhatIsNoConnectionFailure() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> retry(Map.of(), new ArrayList<>()).connect("consumer", DOWN, () -> {
            calls.incrementAndGet();
            throw new BrokerException("RabbitMQ refused the login of guest@localhost/ (ACCESS_REFUSED)");
        })).isInstanceOf(BrokerException.class).hasMessageContaining("ACCESS_REFUSED");
        assertThat(calls).hasValue(1);
        assertThat(Components.StartupRetry.isConnectionFailure(new java.sql.SQLException("refused", "08001"))).isTrue();
        assertThat(Components.StartupRetry.isConnectionFailure(new java.sql.SQLException("syntax", "42000"))).isFalse();
    }

    @Test
    void startupRetrySettingsOfTheWrongTypeAreProviderErrors() {
        assertThatThrownBy(() -> Components.StartupRetry.of(Settings.of(Map.of("broker_transport_options",
                Map.of("interval_start", "soon"))))).isInstanceOf(ProviderException.class)
                .hasMessageContaining("interval_start");
    }
}
