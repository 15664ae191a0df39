package org.celeriac.serializer.kryo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.spi.serializer.SerializerProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provides the {@code kryo} serializer ({@code application/x-kryo}). Settings: {@code kryo_registrations} (class
 * names to allow besides the value model, in a fixed order; a list or comma-separated string),
 * {@code kryo_registration_required} (default true; false lets payloads name any class on the class path and logs a
 * loud warning — trusted networks only), {@code kryo_pool_size} (idle Kryo instances kept, default 16). Like every
 * content type it must be listed in {@code accept_content} to be accepted. Stateless and thread-safe.
 */
public final class KryoSerializerProvider implements SerializerProvider {
    /** The Maven coordinates of this module. */
    public static final String ARTIFACT = "org.celeriac:celeriac-serializer-kryo";
    static final String REGISTRATIONS = "kryo_registrations";
    static final String REGISTRATION_REQUIRED = "kryo_registration_required";
    static final String POOL_SIZE = "kryo_pool_size";
    private static final Logger LOG = LoggerFactory.getLogger(KryoSerializerProvider.class);

    @Override
    public String name() {
        return KryoSerializer.NAME;
    }

    @Override
    public Set<String> contentTypes() {
        return Set.of(KryoSerializer.CONTENT_TYPE);
    }

    @Override
    public String artifact() {
        return ARTIFACT;
    }

    /**
     * @throws ProviderException when a configured class is not on the class path or a setting is malformed
     */
    @Override
    public Serializer create(Settings settings) {
        boolean required;
        int poolSize;
        try {
            required = settings.bool(REGISTRATION_REQUIRED, true);
            poolSize = settings.integer(POOL_SIZE, 16);
        } catch (IllegalArgumentException e) {
            throw new ProviderException(e.getMessage(), e);
        }
        List<Class<?>> classes = new ArrayList<>();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = KryoSerializerProvider.class.getClassLoader();
        }
        for (String name : settings.list(REGISTRATIONS)) {
            try {
                classes.add(Class.forName(name, false, loader)); // not initialised until a value is written
            } catch (ClassNotFoundException | LinkageError e) {
                throw new ProviderException("setting " + REGISTRATIONS + ": class '" + name + "' is not on the class "
                        + "path; fix the name (binary name, e.g. com.example.Order or com.example.Outer$Inner) or add its jar");
            }
        }
        List<KryoRegistrar> registrars = new ArrayList<>();
        ServiceLoader.load(KryoRegistrar.class, loader).forEach(registrars::add);
        registrars.sort(Comparator.comparing(r -> r.getClass().getName()));
        for (KryoRegistrar r : registrars) {
            classes.addAll(r.classes());
        }
        List<Class<?>> unique = new ArrayList<>();
        for (Class<?> c : classes) {
            if (!unique.contains(c)) {
                unique.add(c);
            }
        }
        if (!required) {
            LOG.warn("!!! {}=false: Kryo payloads may name ANY class on the class path, and decoding will load and "
                    + "instantiate it. Anyone who can publish a message can then run code in this process. Use this only "
                    + "on a trusted network; prefer listing classes in {}. !!!", REGISTRATION_REQUIRED, REGISTRATIONS);
        }
        try {
            return new KryoSerializer(unique, required, poolSize);
        } catch (RuntimeException e) {
            throw new ProviderException("the Kryo serializer cannot register the classes of " + REGISTRATIONS + ": "
                    + e.getMessage(), e);
        }
    }
}
