package org.celeriac.serializer.kryo;

import java.util.List;

/**
 * Contributes classes to the Kryo allow-list from code instead of the {@code kryo_registrations} setting; found
 * through {@link java.util.ServiceLoader} ({@code META-INF/services/org.celeriac.serializer.kryo.KryoRegistrar}).
 * Registrars are applied sorted by class name, after the configured classes; every peer must see the same
 * registrars and settings, in the same order, since Kryo identifies classes by registration number.
 * Implementations are stateless and thread-safe.
 */
public interface KryoRegistrar {

    /** The classes to allow, in a fixed order. */
    List<Class<?>> classes();
}
