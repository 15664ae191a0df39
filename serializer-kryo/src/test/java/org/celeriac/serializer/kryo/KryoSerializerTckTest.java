package org.celeriac.serializer.kryo;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.celeriac.spi.Settings;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.spi.serializer.SerializerProvider;
import org.celeriac.tck.SerializerTck;

/**
 * The serializer TCK against the {@code kryo} serializer with its defaults (registration required), created
 * through its provider as the runtime does. The default hooks fit: doubles are written bit for bit (NaN and the
 * infinities too), maps keep their order, and Kryo-specific hostile payloads (class ids nobody registered) are
 * added.
 */
class KryoSerializerTckTest extends SerializerTck {

    @Override
    protected Serializer createSerializer() {
        for (SerializerProvider p : ServiceLoader.load(SerializerProvider.class)) {
            if (p.name().equals("kryo")) {
                return p.create(Settings.of(Map.of()));
            }
        }
        throw new IllegalStateException("KryoSerializerProvider is not registered in META-INF/services");
    }

    @Override
    protected List<byte[]> hostileInputs() {
        List<byte[]> out = new java.util.ArrayList<>(super.hostileInputs());
        out.add(new byte[] {(byte) 0xe6, 0x01}); // class id 114 (+2): nothing registered there
        out.add(new byte[] {0x00, 0x00}); // Kryo's "class by name" marker, refused when registration is required
        out.add(new byte[] {0x16, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}); // list of 2^32-1 items
        return out;
    }
}
