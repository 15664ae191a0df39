package org.celeriac.spi.broker;

import java.util.Set;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.Settings;

/**
 * Creates {@link Broker}s for some URL schemes; found through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/org.celeriac.spi.broker.BrokerProvider} and {@code provides} in
 * {@code module-info}). Must be cheap to construct (every provider on the class path is
 * instantiated) and thread-safe. Mirrors R2DBC's {@code ConnectionFactoryProvider}.
 */
public interface BrokerProvider {

    /** A short unique name, e.g. {@code redis}, {@code sql}; a configuration may pick a provider by it. */
    String name();

    /** The URL schemes served, lower case, e.g. {@code redis}, {@code rediss}. */
    Set<String> schemes();

    /** The Maven coordinates of the module, for diagnostics ({@code org.celeriac:celeriac-transport-redis}). */
    String artifact();

    /**
     * Creates a broker. May connect (blocking) or connect lazily; either way it fails fast on a
     * malformed URL.
     *
     * @param url the broker URL (secrets masked in its {@code toString})
     * @param settings the effective settings ({@code broker_transport_options}, …)
     * @param context the factory context
     * @throws org.celeriac.spi.ProviderException when the URL or settings are invalid for this transport
     * @throws BrokerException when connecting fails
     */
    Broker create(ConnectionUrl url, Settings settings, ProviderContext context);
}
