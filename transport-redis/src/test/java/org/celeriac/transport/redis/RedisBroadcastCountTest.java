package org.celeriac.transport.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisBroker#publishBroadcastCounted}: the count is Redis's {@code PUBLISH} reply, so it counts the pattern
 * subscriptions kombu and this transport use (which {@code PUBSUB NUMSUB} would not), one per subscribed broker.
 */
class RedisBroadcastCountTest {
    private final RedisBrokerTest brokers = new RedisBrokerTest();

    @BeforeAll
    static void connect() {
        RedisBrokerTest.connect();
    }

    @AfterAll
    static void cleanUp() {
        RedisBrokerTest.cleanUp();
    }

    @AfterEach
    void close() {
        brokers.closeBrokers();
    }

    @Test
    void thePublishCountsEverySubscribedBrokerOnceAndNobodyAfterTheyLeave() throws Exception {
        String ex = "count-" + UUID.randomUUID();
        Broker publisher = brokers.broker();
        assertThat(publisher.publishBroadcastCounted(ex, "", RedisBrokerTest.msg("none", 0)).get(5, TimeUnit.SECONDS))
                .isEqualTo(OptionalInt.of(0));

        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        Broker a = brokers.broker();
        Broker b = brokers.broker();
        Subscription sa = a.subscribeBroadcast(ex, (rk, m) -> got.add("a|" + m.headers().get("id")));
        Subscription sb = b.subscribeBroadcast(ex, (rk, m) -> got.add("b|" + m.headers().get("id")));
        // a second handler on a's subscription: still one receiving connection
        Subscription sa2 = a.subscribeBroadcast(ex, (rk, m) -> got.add("a2|" + m.headers().get("id")));
        assertThat(publisher.publishBroadcastCounted(ex, "", RedisBrokerTest.msg("two", 0)).get(5, TimeUnit.SECONDS))
                .isEqualTo(OptionalInt.of(2));
        for (int i = 0; i < 3; i++) {
            assertThat(got.poll(5, TimeUnit.SECONDS)).endsWith("|two");
        }
        // with a routing key (fanout_patterns: the channel gets "/<routing key>"), the same subscribers get it
        assertThat(publisher.publishBroadcastCounted(ex, "worker.heartbeat", RedisBrokerTest.msg("rk", 0))
                .get(5, TimeUnit.SECONDS)).isEqualTo(OptionalInt.of(2));

        sa.close();
        sa2.close();
        sb.close();
        org.awaitility.Awaitility.await("both brokers unsubscribed").atMost(java.time.Duration.ofSeconds(5))
                .until(() -> publisher.publishBroadcastCounted(ex, "", RedisBrokerTest.msg("gone", 0))
                        .get(5, TimeUnit.SECONDS).equals(OptionalInt.of(0)));
    }
}
