package org.celeriac.transport.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;
import org.celeriac.transport.redis.RedisTransportOptions.QueueOrder;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Parsing of kombu's Redis transport options and of Sentinel URLs; no server needed. */
class RedisTransportOptionsTest {

    private static RedisTransportOptions parse(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return RedisTransportOptions.parse(m);
    }

    @Test
    void defaultsAreKombus() {
        RedisTransportOptions o = RedisTransportOptions.defaults();
        assertThat(o.visibilityTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(o.prioritySteps()).containsExactly(0, 3, 6, 9);
        assertThat(o.sep()).isEqualTo("\u0006\u0016");
        assertThat(o.queueOrder()).isEqualTo(QueueOrder.ROUND_ROBIN);
        assertThat(o.keyPrefix()).isEmpty();
        assertThat(o.fanoutPrefix()).isEqualTo("/{db}.");
        assertThat(o.fanoutPatterns()).isTrue();
        assertThat(o.unackedRestoreLimit()).isZero();
        assertThat(o.healthCheckInterval()).isEqualTo(Duration.ofSeconds(25));
        assertThat(o.maxConnections()).isZero();
        assertThat(o.commandTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.socketKeepalive()).isTrue();
    }

    @Test
    void priorityStepsFromAListOrPythonText() {
        assertThat(parse("priority_steps", List.of(0, 5)).prioritySteps()).containsExactly(0, 5);
        assertThat(parse("priority_steps", "[0, 4, 8]").prioritySteps()).containsExactly(0, 4, 8);
        assertThat(parse("priority_steps", "(0, 9)").step(8)).isZero();
        assertThat(parse("priority_steps", List.of(0, 5)).step(7)).isEqualTo(5);
        assertThatThrownBy(() -> parse("priority_steps", List.of(1, 5))).hasMessageContaining("start with 0");
        assertThatThrownBy(() -> parse("priority_steps", List.of(0, 5, 5))).hasMessageContaining("ascending");
        assertThatThrownBy(() -> parse("priority_steps", "[0, x]")).hasMessageContaining("'x' is not an integer");
    }

    @Test
    void queueOrderStrategies() {
        assertThat(parse("queue_order_strategy", "priority").queueOrder()).isEqualTo(QueueOrder.PRIORITY);
        assertThat(parse("queue_order_strategy", "sorted").queueOrder()).isEqualTo(QueueOrder.SORTED);
        assertThat(parse("queue_order_strategy", "ROUND_ROBIN").queueOrder()).isEqualTo(QueueOrder.ROUND_ROBIN);
        assertThatThrownBy(() -> parse("queue_order_strategy", "fifo"))
                .hasMessageContaining("queue_order_strategy 'fifo' is not one of round_robin, priority, sorted");
    }

    @Test
    void sepFanoutAndKeyPrefix() {
        RedisTransportOptions o = parse("sep", "::", "global_keyprefix", "app1:", "fanout_prefix", "/x.",
                "fanout_patterns", "false");
        assertThat(o.sep()).isEqualTo("::");
        assertThat(o.keyPrefix()).isEqualTo("app1:");
        assertThat(o.fanoutPatterns()).isFalse();
        KombuKeys k = new KombuKeys(o, 2);
        assertThat(k.list("q", 3)).isEqualTo("app1:q::3");
        assertThat(k.bindingMember("rk", "", "q")).isEqualTo("rk::::q");
        assertThat(k.fanoutChannel("ev", "rk")).isEqualTo("app1:/x.ev");
        assertThat(new KombuKeys(parse("fanout_prefix", "/{db}."), 2).fanoutChannel("ev", "a.b")).isEqualTo("/2.ev/a.b");
        assertThat(new KombuKeys(parse("fanout_prefix", false), 2).fanoutChannel("ev")).isEqualTo("ev");
        assertThatThrownBy(() -> parse("sep", "")).hasMessageContaining("sep must not be empty");
    }

    @Test
    void socketOptionsBecomeLettuceOptions() {
        RedisTransportOptions o = parse("socket_timeout", 0.25, "socket_connect_timeout", "2", "socket_keepalive", false,
                "health_check_interval", 0, "max_connections", 8, "unacked_restore_limit", 5);
        assertThat(o.commandTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(o.healthCheckInterval()).isZero();
        assertThat(o.maxConnections()).isEqualTo(8);
        assertThat(o.unackedRestoreLimit()).isEqualTo(5);
        ClientOptions c = RedisConnectionFactory.clientOptions(o);
        assertThat(c.getSocketOptions().getConnectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.getSocketOptions().isKeepAlive()).isFalse();
        var source = c.getTimeoutOptions().getSource();
        long get = source.getTimeUnit().toMillis(source.getTimeout(new Command<>(CommandType.GET, new StatusOutput<>(StringCodec.UTF8))));
        long blmove = source.getTimeUnit().toMillis(source.getTimeout(new Command<>(CommandType.BLMOVE, new StatusOutput<>(StringCodec.UTF8))));
        assertThat(get).isEqualTo(250);
        // a blocking peek waits PEEK_TIMEOUT_SECONDS on the server: its timeout is that plus socket_timeout
        assertThat(blmove).isEqualTo(250 + TimeUnit.SECONDS.toMillis(RedisConsumer.PEEK_TIMEOUT_SECONDS));
        assertThatThrownBy(() -> parse("socket_timeout", 0)).hasMessageContaining("socket_timeout must be positive");
        assertThatThrownBy(() -> parse("max_connections", 1)).hasMessageContaining("max_connections must be 0");
        assertThat(parse("socket_timeout", "None").socketTimeout()).isNull();
    }

    @Test
    void unsupportedAndUnknownOptionsAreNamed() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("visibility_timeout", 10);
        o.put("retry_on_timeout", true);
        o.put("polling_interval", 1);
        o.put("ack_emulation", false);
        o.put("body_encoding", "base64");
        o.put("sentinel_kwargs", Map.of("password", "x", "socket_timeout", 1));
        o.put("visiblity_timeout", 10);
        Map<String, String> p = RedisTransportOptions.problems(o);
        assertThat(p).containsOnlyKeys("retry_on_timeout", "polling_interval", "ack_emulation",
                "sentinel_kwargs.socket_timeout", "visiblity_timeout");
        assertThat(p.get("visiblity_timeout")).contains("not a kombu Redis transport option").contains("visibility_timeout");
        assertThat(p.get("ack_emulation")).contains("not supported");
        assertThat(RedisTransportOptions.problems(Map.of("ack_emulation", true, "body_encoding", "base64",
                "master_name", "m", "priority_steps", List.of(0)))).isEmpty();
    }

    @Test
    void anIgnoredOptionIsWarnedAboutOncePerProcess() {
        Logger logger = (Logger) LoggerFactory.getLogger(RedisTransportOptions.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            String name = "no_such_option_" + UUID.randomUUID().toString().replace("-", "");
            parse(name, 1);
            parse(name, 2, "visibility_timeout", 5);
            List<ILoggingEvent> warnings = appender.list.stream()
                    .filter(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains(name)).toList();
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0).getFormattedMessage()).contains("broker_transport_options." + name)
                    .contains("ignored");
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void sentinelUrlsInKombusAndCelerysForms() {
        RedisTransportOptions o = parse("master_name", "mymaster", "sentinel_kwargs", Map.of("password", "spw"));
        RedisURI kombu = RedisConnectionFactory.uri(
                ConnectionUrl.parse("sentinel://:secret@h1:26379;sentinel://h2:26380;sentinel://h3/2"), o, "n");
        assertThat(kombu.getSentinelMasterId()).isEqualTo("mymaster");
        assertThat(kombu.getSentinels()).extracting(u -> u.getHost() + ":" + u.getPort())
                .containsExactly("h1:26379", "h2:26380", "h3:26379");
        assertThat(kombu.getDatabase()).isEqualTo(2);
        assertThat(kombu.getClientName()).isEqualTo("n");
        assertThat(new String(kombu.getCredentialsProvider().resolveCredentials().block().getPassword())).isEqualTo("secret");
        assertThat(kombu.getSentinels()).allSatisfy(s -> assertThat(
                new String(s.getCredentialsProvider().resolveCredentials().block().getPassword())).isEqualTo("spw"));

        RedisURI celery = RedisConnectionFactory.uri(
                ConnectionUrl.parse("sentinel://10.0.0.1:26347/3;sentinel://10.0.0.2:26348/3"),
                parse("master_name", "m"), null);
        assertThat(celery.getSentinels()).extracting(u -> u.getHost() + ":" + u.getPort())
                .containsExactly("10.0.0.1:26347", "10.0.0.2:26348");
        assertThat(celery.getDatabase()).isEqualTo(3);
        assertThatThrownBy(() -> RedisConnectionFactory.uri(ConnectionUrl.parse("sentinel://:pw@h1:26379"),
                RedisTransportOptions.defaults(), null))
                .isInstanceOf(ProviderException.class).hasMessageContaining("master_name")
                .hasMessageNotContaining("pw@");
    }
}
