package org.celeriac.core.memory;

import java.time.Duration;
import java.util.Set;
import org.celeriac.api.Durations;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerProvider;

/**
 * Provides {@link MemoryBroker}s for {@code memory://[namespace]}. The optional query parameter
 * {@code redelivery_timeout} (e.g. {@code memory://t1?redelivery_timeout=2s}) sets how soon the
 * deliveries of a {@link MemoryBroker#crash crashed} consumer come back; without it they never do.
 * Stateless and thread-safe.
 */
public final class MemoryBrokerProvider implements BrokerProvider {
    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("memory");
    }

    @Override
    public String artifact() {
        return "org.celeriac:celeriac-core";
    }

    @Override
    public Broker create(ConnectionUrl url, Settings settings, ProviderContext context) {
        String timeout = url.query().get("redelivery_timeout");
        Duration redelivery;
        try {
            redelivery = Durations.parseOrNull("redelivery_timeout", timeout);
        } catch (IllegalArgumentException e) {
            throw new ProviderException("broker_url " + url + ": " + e.getMessage(), e);
        }
        return new MemoryBroker(MemoryNamespaces.nameOf(url), redelivery);
    }
}
