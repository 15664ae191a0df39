/**
 * The service provider interface that transports ({@link org.celeriac.spi.broker}), result backends
 * ({@link org.celeriac.spi.backend}) and serializers ({@link org.celeriac.spi.serializer}) implement,
 * and what they share: parsed connection URLs ({@link org.celeriac.spi.ConnectionUrl}), read-only
 * settings ({@link org.celeriac.spi.Settings}) and the factory context
 * ({@link org.celeriac.spi.ProviderContext}). Core finds implementations through
 * {@link java.util.ServiceLoader} only. Non-null unless documented as nullable.
 */
package org.celeriac.spi;
