package org.celeriac.core.memory;

import java.time.Duration;
import java.time.InstantSource;
import java.util.UUID;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.tck.ResultBackendTck;
import org.junit.jupiter.api.AfterAll;

/**
 * The result-backend TCK against {@code memory://}: a namespace of its own; a second handle on the
 * namespace is the second connection. Skipped: R-6.1 (one process only), R-6.4 (not persistent).
 */
// tag::memory-backend[]
class MemoryResultBackendTckTest extends ResultBackendTck {
    private final String namespace = "tck-" + UUID.randomUUID();

    @Override
    protected ResultBackend createBackend() {
        return new MemoryResultBackend(namespace, null, InstantSource.system());
    }

    @Override
    protected ResultBackend createBackend(Duration resultExpires) {
        return new MemoryResultBackend(namespace, resultExpires, InstantSource.system());
    }

    @Override
    protected ResultBackend reopenBackend() {
        return createBackend();
    }

    @AfterAll
    void discardNamespace() {
        MemoryNamespaces.discard(namespace);
    }
}
// end::memory-backend[]
