package org.celeriac.core.memory;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Set;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendProvider;

/**
 * Provides {@link MemoryResultBackend}s for {@code memory://[namespace]}; results expire after
 * {@code result_expires} (default one day; {@code None}/0: never). Stateless and thread-safe.
 */
public final class MemoryResultBackendProvider implements ResultBackendProvider {
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
    public ResultBackend create(ConnectionUrl url, Settings settings, ProviderContext context) {
        Duration expires;
        try {
            expires = settings.duration("result_expires", Duration.ofDays(1));
        } catch (IllegalArgumentException e) {
            throw new ProviderException("result_backend " + url + ": " + e.getMessage(), e);
        }
        return new MemoryResultBackend(MemoryNamespaces.nameOf(url), expires, InstantSource.system());
    }
}
