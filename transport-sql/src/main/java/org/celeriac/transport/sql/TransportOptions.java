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
 * @param visibilityTimeout how long a claimed, unsettled message stays invisible before it is delivered
 *        again ({@code visibility_timeout}, seconds, default 3600 like kombu's Redis transport)
 * @param poolSize the maximum number of pooled connections ({@code pool_size}, default 10)
 * @param claimBatch the most messages one claim takes ({@code claim_batch}, default 256)
 * @param publishBatch the most messages one insert transaction writes ({@code publish_batch}, default 1000)
 * @param broadcastTtl how long broadcast rows are kept ({@code broadcast_ttl}, seconds, default 60)
 * @param listenInterval PostgreSQL only: the longest wait of an idle consumer while LISTEN/NOTIFY works
 *        ({@code listen_interval}, seconds, default 1; NOTIFY wakes it at once on a publish)
 */
record TransportOptions(Duration pollingInterval, Duration visibilityTimeout, int poolSize, int claimBatch,
                        int publishBatch, Duration broadcastTtl, Duration listenInterval) {

    static final String KEY = "broker_transport_options";

    TransportOptions {
        if (pollingInterval.isNegative() || pollingInterval.isZero() || visibilityTimeout.isNegative()
                || visibilityTimeout.isZero() || broadcastTtl.isNegative() || broadcastTtl.isZero()
                || listenInterval.isNegative() || listenInterval.isZero() || poolSize < 2 || claimBatch < 1 || publishBatch < 1) {
            throw new ProviderException(KEY + ": polling_interval, visibility_timeout, broadcast_ttl and "
                    + "listen_interval must be positive, "
                    + "pool_size >= 2, claim_batch and publish_batch >= 1; got " + pollingInterval + ", "
                    + visibilityTimeout + ", " + poolSize + ", " + claimBatch + ", " + publishBatch);
        }
    }

    static TransportOptions from(Settings settings) {
        Map<String, Object> o = settings.map(KEY);
        return new TransportOptions(seconds(o, "polling_interval", Duration.ofMillis(100)),
                seconds(o, "visibility_timeout", Duration.ofHours(1)), integer(o, "pool_size", 10),
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
