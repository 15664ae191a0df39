package org.celeriac.spi.backend;

/**
 * What a result backend can do. Immutable.
 *
 * @param push {@link ResultBackend#whenReady} is woken by the store (no polling)
 * @param nativeExpiry results expire by themselves ({@link ResultBackend#cleanup()} is a no-op)
 * @param groups group save/restore is supported
 * @param celeryWireLayout the stored layout is the one Python Celery uses, so Python peers share it
 * @param persistent results survive a restart of the backend (false for {@code memory://} and {@code rpc://})
 */
public record ResultBackendCapabilities(boolean push, boolean nativeExpiry, boolean groups,
                                        boolean celeryWireLayout, boolean persistent) {
}
