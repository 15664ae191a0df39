package org.celeriac.transport.sql;

import java.time.Duration;
import java.util.Map;
import org.celeriac.api.Durations;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;

/**
 * The SQL transport's tunables, read from {@code broker_transport_options} (kombu's name). Immutable.
 *
 * @param pollingInterval the longest wait between two claims of an idle consumer
 *        ({@code polling_interval}, seconds, default 0.1 s; kombu's SQL transport uses 1 s)
 * @param visibilityTimeout optional hard upper bound on how long a claimed, unsettled message stays
 *        invisible even while its consumer lives ({@code visibility_timeout}, seconds); null (the default):
 *        no bound, a claim lasts as long as its consumer's heartbeat
 * @param leaseTimeout how long a consumer's heartbeat row stays valid without renewal
 *        ({@code lease_timeout}, seconds, default 30): the claims of a consumer whose heartbeat is older
 *        come back; renewed every third of it
 * @param poolSize the maximum number of pooled connections ({@code pool_size}, default 10)
 * @param claimBatch the most messages one claim takes ({@code claim_batch}, default 256)
 * @param publishBatch the most messages one insert transaction writes ({@code publish_batch}, default 1000)
 * @param broadcastTtl how long broadcast rows are kept ({@code broadcast_ttl}, seconds, default 60)
 * @param listenInterval PostgreSQL only: the longest wait of an idle consumer while LISTEN/NOTIFY works
 *        ({@code listen_interval}, seconds, default 1; NOTIFY wakes it at once on a publish)
 */
record TransportOptions(Duration pollingInterval, Duration visibilityTimeout, Duration leaseTimeout, int poolSize,
                        int claimBatch, int publishBatch, Duration broadcastTtl, Duration listenInterval) {

    static final String KEY = "broker_transport_options";

    TransportOptions {
        if (visibilityTimeout != null && (visibilityTimeout.isNegative() || visibilityTimeout.isZero())
                || leaseTimeout.toMillis() < 30) {
            throw new ProviderException(KEY + ": visibility_timeout must be positive (or absent) and lease_timeout "
                    + "at least 0.03 s; got " + visibilityTimeout + ", " + leaseTimeout);
        }
        if (pollingInterval.isNegative() || pollingInterval.isZero() || broadcastTtl.isNegative() || broadcastTtl.isZero()
                || listenInterval.isNegative() || listenInterval.isZero() || poolSize < 2 || claimBatch < 1 || publishBatch < 1) {
            throw new ProviderException(KEY + ": polling_interval, broadcast_ttl and listen_interval must be positive, "
                    + "pool_size >= 2, claim_batch and publish_batch >= 1; got " + pollingInterval + ", "
                    + broadcastTtl + ", " + listenInterval + ", " + poolSize + ", " + claimBatch + ", " + publishBatch);
        }
    }

    /** How often a broker renews its consumers' heartbeats and looks for expired ones: a third of the lease. */
    Duration heartbeatInterval() {
        return leaseTimeout.dividedBy(3);
    }

    /**
     * Upper bound for the return of a crashed consumer's claims: the lease, one heartbeat tick for some broker
     * to notice the expiry, and {@code precision} (the longest idle wait of a consumer); capped by
     * {@code visibility_timeout} when set.
     */
    Duration redeliveryAfterCrash(Duration precision) {
        Duration lease = leaseTimeout.plus(heartbeatInterval()).plus(precision);
        return visibilityTimeout != null && visibilityTimeout.compareTo(lease) < 0 ? visibilityTimeout : lease;
    }

    static TransportOptions from(Settings settings) {
        Map<String, Object> o = settings.map(KEY);
        return new TransportOptions(seconds(o, "polling_interval", Duration.ofMillis(100)),
                seconds(o, "visibility_timeout", null), seconds(o, "lease_timeout", Duration.ofSeconds(30)),
                integer(o, "pool_size", 10),
                integer(o, "claim_batch", 256), integer(o, "publish_batch", 1000),
                seconds(o, "broadcast_ttl", Duration.ofSeconds(60)), seconds(o, "listen_interval", Duration.ofSeconds(1)));
    }

    private static Duration seconds(Map<String, Object> o, String key, Duration def) {
        Object v = o.get(key);
        if (v == null) {
            return def;
        }
        try {
            return v instanceof Number n ? Durations.ofSeconds(n.doubleValue())
                    : Durations.ofSeconds(Double.parseDouble(String.valueOf(v).trim()));
        } catch (NumberFormatException e) {
            throw new ProviderException(KEY + "." + key + ": '" + v + "' is not a number of seconds");
        }
    }

    private static int integer(Map<String, Object> o, String key, int def) {
        Object v = o.get(key);
        if (v == null) {
            return def;
        }
        try {
            return v instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(v).trim());
        } catch (NumberFormatException e) {
            throw new ProviderException(KEY + "." + key + ": '" + v + "' is not an integer");
        }
    }
}
