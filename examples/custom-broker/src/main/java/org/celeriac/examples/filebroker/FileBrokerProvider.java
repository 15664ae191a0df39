package org.celeriac.examples.filebroker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerProvider;

// tag::provider[]
/**
 * Provides {@link FileBroker}s for {@code filesystem:///absolute/directory}. Options, from the URL's
 * query or {@code broker_transport_options}: {@code visibility_timeout} (seconds, default 60: how soon
 * the messages of a consumer that died come back) and {@code polling_interval} (seconds, default 0.05).
 * Registered in {@code META-INF/services/org.celeriac.spi.broker.BrokerProvider} and in
 * {@code module-info.java}. Cheap to construct, stateless, thread-safe.
 */
public final class FileBrokerProvider implements BrokerProvider {

    /** For {@link java.util.ServiceLoader}. */
    public FileBrokerProvider() {
    }

    @Override
    public String name() {
        return "filesystem";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("filesystem");
    }

    @Override
    public String artifact() {
        return "org.celeriac:celeriac-example-custom-broker";
    }

    /**
     * @param context unused: this transport needs no serializer
     * @throws ProviderException when the URL has no absolute directory or an option is not a number
     */
    @Override
    public Broker create(ConnectionUrl url, Settings settings, ProviderContext context) {
        if (url.path().isEmpty()) {
            throw new ProviderException("broker_url " + url + ": give a directory, e.g. filesystem:///var/lib/celeriac/queues");
        }
        Map<String, Object> options = settings.map("broker_transport_options");
        Duration visibility = seconds(url, options, "visibility_timeout", 60);
        Duration polling = seconds(url, options, "polling_interval", 0.05);
        return new FileBroker(Path.of("/" + url.path()), visibility, polling);
    }
    // end::provider[]

    private static Duration seconds(ConnectionUrl url, Map<String, Object> options, String key, double def) {
        Object v = url.query().containsKey(key) ? url.query().get(key) : options.get(key);
        if (v == null) {
            return Duration.ofMillis(Math.round(def * 1000));
        }
        try {
            double s = Double.parseDouble(String.valueOf(v).trim());
            if (s <= 0) {
                throw new NumberFormatException("not positive");
            }
            return Duration.ofMillis(Math.max(1, Math.round(s * 1000)));
        } catch (NumberFormatException e) {
            throw new ProviderException("broker_url " + url + ": " + key + " must be a positive number of seconds, was '"
                    + v + "'");
        }
    }
}
