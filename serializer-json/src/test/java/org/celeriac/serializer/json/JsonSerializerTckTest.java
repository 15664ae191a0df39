package org.celeriac.serializer.json;

import java.util.ServiceLoader;
import org.celeriac.spi.Settings;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.spi.serializer.SerializerProvider;
import org.celeriac.tck.SerializerTck;

/**
 * The serializer TCK against kombu's {@code json} serializer, created through its provider as the
 * runtime does. The default hooks fit: NaN/Infinity round-trip, map order is kept, base64-tagged
 * values decode to {@code byte[]} (an allowed type).
 */
// tag::json[]
class JsonSerializerTckTest extends SerializerTck {

    @Override
    protected Serializer createSerializer() {
        for (SerializerProvider p : ServiceLoader.load(SerializerProvider.class)) {
            if (p.name().equals("json")) {
                return p.create(Settings.of(java.util.Map.of()));
            }
        }
        throw new IllegalStateException("JsonSerializerProvider is not registered in META-INF/services");
    }
}
// end::json[]
