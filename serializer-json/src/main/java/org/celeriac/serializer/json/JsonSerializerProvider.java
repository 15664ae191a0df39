package org.celeriac.serializer.json;

import java.util.Set;
import org.celeriac.spi.Settings;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.spi.serializer.SerializerProvider;

/**
 * Provides kombu's {@code json} serializer ({@code application/json}); registered in
 * {@code META-INF/services/org.celeriac.spi.serializer.SerializerProvider}. Cheap to construct;
 * {@link #create} returns the shared immutable {@link JsonSerializer#INSTANCE} (there is nothing to
 * configure: the wire format is fixed by Python Celery). Thread-safe.
 */
public final class JsonSerializerProvider implements SerializerProvider {

    /** The Maven coordinates of this module. */
    public static final String ARTIFACT = "org.celeriac:celeriac-serializer-json";

    /** For {@link java.util.ServiceLoader}. */
    public JsonSerializerProvider() {
    }

    @Override
    public String name() {
        return JsonSerializer.NAME;
    }

    @Override
    public Set<String> contentTypes() {
        return Set.of(JsonSerializer.CONTENT_TYPE);
    }

    @Override
    public String artifact() {
        return ARTIFACT;
    }

    /**
     * @param settings ignored: the JSON wire format has no options
     * @return {@link JsonSerializer#INSTANCE}
     */
    @Override
    public Serializer create(Settings settings) {
        return JsonSerializer.INSTANCE;
    }

    @Override
    public String toString() {
        return "JsonSerializerProvider[" + JsonSerializer.NAME + ", " + JsonSerializer.CONTENT_TYPE + "]";
    }
}
