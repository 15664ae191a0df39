package org.celeriac.tck;

import org.celeriac.spi.Settings;
import org.celeriac.spi.serializer.Serializer;
import org.junit.jupiter.api.Assumptions;

/**
 * {@link SerializerTck} against the serializer named by {@link TckConfiguration#serializer()} (system
 * property {@value TckConfiguration#SERIALIZER}: a name such as {@code json} or a content type), found
 * through {@link java.util.ServiceLoader}. This is what {@code celeriac tck --serializer TYPE} runs.
 */
public class UrlSerializerTck extends SerializerTck {

    /** For JUnit. */
    public UrlSerializerTck() {
    }

    @Override
    protected Serializer createSerializer() {
        TckConfiguration c = TckContext.configuration();
        Assumptions.assumeTrue(c.serializer() != null, "no serializer: set -D" + TckConfiguration.SERIALIZER
                + "=json (or celeriac tck --serializer json)");
        return Providers.serializer(c.serializer(), Settings.of(c.settings()), TckContext.classLoader());
    }
}
