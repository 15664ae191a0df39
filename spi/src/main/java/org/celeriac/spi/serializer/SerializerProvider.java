package org.celeriac.spi.serializer;

import java.util.Set;
import org.celeriac.spi.Settings;

/**
 * Creates a {@link Serializer}; found through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/org.celeriac.spi.serializer.SerializerProvider}). Cheap to construct:
 * nothing heavy in the constructor. Thread-safe.
 */
public interface SerializerProvider {

    /** The serializer's name as Celery settings spell it ({@code json}). */
    String name();

    /** The content types it reads ({@code application/json}). */
    Set<String> contentTypes();

    /** The Maven coordinates of the module, for diagnostics ({@code org.celeriac:celeriac-serializer-json}). */
    String artifact();

    /**
     * @param settings the effective settings
     * @throws org.celeriac.spi.ProviderException when the settings are invalid for it
     */
    Serializer create(Settings settings);
}
