package org.celeriac.spi;

import java.util.Optional;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.serializer.Serializer;

/**
 * What a provider's factory gets besides the URL and the settings. Thread-safe.
 */
public interface ProviderContext {

    /**
     * The live broker of this app, when one was created before this provider is asked (the
     * {@code rpc://} result backend rides on the AMQP connection). Empty for broker providers.
     */
    Optional<Broker> broker();

    /** The serializer for results ({@code result_serializer}, default JSON). */
    Serializer resultSerializer();

    /**
     * The serializer for a content type or name ({@code application/json} or {@code json}).
     *
     * @throws SerializationException when none on the class path serves it
     */
    Serializer serializer(String contentTypeOrName);

    /** This process's node name ({@code celery@host} for workers, {@code gen<pid>@host} for clients). */
    String nodeName();
}
