package org.celeriac.tck;

import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.broker.Broker;

/**
 * The TCK's provider lookup for subclasses: create the implementation under test by URL through
 * {@link java.util.ServiceLoader} (exactly one provider per scheme), with a minimal
 * {@link ProviderContext} whose serializers are found through ServiceLoader too. Thread-safe.
 *
 * <pre>{@code
 * protected Broker createBroker() {
 *     return TckProviders.broker("jdbc:h2:mem:tck;DB_CLOSE_DELAY=-1",
 *             Settings.of(Map.of("broker_transport_options", Map.of("visibility_timeout", 2))));
 * }
 * }</pre>
 */
public final class TckProviders {
    private TckProviders() {
    }

    /**
     * @throws org.celeriac.spi.ProviderException when no provider, or several, serve the URL's scheme
     */
    public static Broker broker(String url, Settings settings) {
        return Providers.broker(url, settings, loader());
    }

    /**
     * @throws org.celeriac.spi.ProviderException when no provider, or several, serve the URL's scheme
     */
    public static ResultBackend resultBackend(String url, Settings settings) {
        return Providers.resultBackend(url, settings, loader());
    }

    /** A context with no live broker, the node name {@code tck@<pid>} and serializers found by ServiceLoader. */
    public static ProviderContext context(Settings settings) {
        return new Providers.Context(settings, loader());
    }

    private static ClassLoader loader() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return cl != null ? cl : TckProviders.class.getClassLoader();
    }
}
