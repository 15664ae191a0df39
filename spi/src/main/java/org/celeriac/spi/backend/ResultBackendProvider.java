package org.celeriac.spi.backend;

import java.util.Set;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.Settings;

/**
 * Creates {@link ResultBackend}s for some URL schemes; found through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/org.celeriac.spi.backend.ResultBackendProvider}). Cheap to construct,
 * thread-safe.
 */
public interface ResultBackendProvider {

    /** A short unique name, e.g. {@code redis}, {@code jdbc}. */
    String name();

    /** The URL schemes served, lower case. */
    Set<String> schemes();

    /** The Maven coordinates of the module, for diagnostics. */
    String artifact();

    /**
     * @param url the backend URL
     * @param settings effective settings ({@code result_expires}, …)
     * @param context factory context (the result serializer; the live broker for {@code rpc://})
     * @throws org.celeriac.spi.ProviderException when the URL or settings are invalid
     * @throws ResultBackendException when connecting fails
     */
    ResultBackend create(ConnectionUrl url, Settings settings, ProviderContext context);
}
