package org.celeriac.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.junit.jupiter.api.Test;

/** Celery's Redis result backend settings and Sentinel URLs, parsed; no server needed. */
class RedisBackendOptionsTest {

    @Test
    void defaultsAreCelerys() {
        RedisBackendOptions o = RedisBackendOptions.from(Settings.of(Map.of()));
        assertThat(o.masterName()).isNull();
        assertThat(o.healthCheckInterval()).isZero();
        assertThat(o.commandTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(RedisBackendOptions.problems(Settings.of(Map.of()))).isEmpty();
    }

    @Test
    void connectionSettingsBecomeLettuceOptions() {
        RedisBackendOptions o = RedisBackendOptions.from(Settings.of(Map.of("redis_socket_timeout", 1.5,
                "redis_socket_connect_timeout", "3", "redis_socket_keepalive", false,
                "redis_backend_health_check_interval", 10)));
        assertThat(o.commandTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(o.healthCheckInterval()).isEqualTo(Duration.ofSeconds(10));
        ClientOptions c = o.clientOptions();
        assertThat(c.getSocketOptions().getConnectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.getSocketOptions().isKeepAlive()).isFalse();
        assertThat(c.getTimeoutOptions().isTimeoutCommands()).isTrue();
        assertThatThrownBy(() -> RedisBackendOptions.from(Settings.of(Map.of("redis_socket_timeout", 0))))
                .hasMessageContaining("redis_socket_timeout must be positive");
    }

    @Test
    void ignoredSettingsAreNamedWithTheReason() {
        Map<String, String> p = RedisBackendOptions.problems(Settings.of(Map.of(
                "result_backend_transport_options", Map.of("global_keyprefix", "app:", "retry_policy",
                        Map.of("max_retries", 3), "master_name", "m", "mastername", "x",
                        "sentinel_kwargs", Map.of("password", "p", "ssl", true)),
                "redis_retry_on_timeout", true)));
        assertThat(p).containsOnlyKeys("result_backend_transport_options.global_keyprefix",
                "result_backend_transport_options.retry_policy", "result_backend_transport_options.mastername",
                "result_backend_transport_options.sentinel_kwargs.ssl", "redis_retry_on_timeout");
        assertThat(p.get("result_backend_transport_options.global_keyprefix")).contains("Celery 5.2.6")
                .contains("celery-task-meta-");
    }

    @Test
    void sentinelUrlsInCelerysForm() {
        RedisBackendOptions o = RedisBackendOptions.from(Settings.of(Map.of("result_backend_transport_options",
                Map.of("master_name", "mymaster", "sentinel_kwargs", Map.of("password", "spw")))));
        RedisURI u = o.uri(ConnectionUrl.parse("sentinel://:secret@10.0.0.1:26347/3;sentinel://:secret@10.0.0.2/3"), "n");
        assertThat(u.getSentinelMasterId()).isEqualTo("mymaster");
        assertThat(u.getSentinels()).extracting(s -> s.getHost() + ":" + s.getPort())
                .containsExactly("10.0.0.1:26347", "10.0.0.2:26379");
        assertThat(u.getDatabase()).isEqualTo(3);
        assertThat(new String(u.getCredentialsProvider().resolveCredentials().block().getPassword())).isEqualTo("secret");
        assertThat(u.getSentinels()).allSatisfy(s -> assertThat(
                new String(s.getCredentialsProvider().resolveCredentials().block().getPassword())).isEqualTo("spw"));
        assertThatThrownBy(() -> RedisBackendOptions.defaults().uri(ConnectionUrl.parse("sentinel://:pw@h:26379"), null))
                .isInstanceOf(ProviderException.class).hasMessageContaining("master_name")
                .hasMessageNotContaining(":pw@");
        assertThat(new RedisResultBackendProvider().schemes()).containsAll(List.of("redis", "rediss", "sentinel"));
    }
}
