package org.celeriac.transport.amqp;

import java.util.Set;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.BrokerProvider;

/**
 * Provides {@link AmqpBroker}s for {@code amqp://}, {@code amqps://} and {@code pyamqp://} (kombu's names for the
 * same RabbitMQ transport). Reads {@code broker_transport_options}, {@code task_queue_max_priority},
 * {@code broker_heartbeat}, {@code broker_connection_timeout}, {@code broker_use_ssl} and {@code event_exchange}
 * (see {@link AmqpTransportOptions}). Connects in {@link #create}. Stateless and thread-safe.
 */
public final class AmqpBrokerProvider implements BrokerProvider {
    /** The Maven coordinates of this module. */
    public static final String ARTIFACT = "org.celeriac:celeriac-transport-amqp";

    @Override
    public String name() {
        return "amqp";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("amqp", "amqps", "pyamqp");
    }

    @Override
    public String artifact() {
        return ARTIFACT;
    }

    /**
     * Connects to RabbitMQ (blocking).
     *
     * @throws ProviderException when the URL is opaque or a setting is invalid
     * @throws org.celeriac.spi.broker.BrokerException when RabbitMQ cannot be reached or refuses the login/vhost
     */
    @Override
    public Broker create(ConnectionUrl url, Settings settings, ProviderContext context) {
        if (url.isOpaque()) {
            throw new ProviderException("broker_url " + url + " is not an AMQP URL: expected "
                    + "amqp://user:password@host:5672/vhost (amqp://guest:guest@localhost:5672// is vhost '/')");
        }
        if (url.hosts().size() > 1) {
            throw new ProviderException("broker_url " + url + " names several hosts; the AMQP transport connects to one "
                    + "(put a load balancer or RabbitMQ's DNS name in front of a cluster)");
        }
        AmqpTransportOptions options;
        try {
            options = AmqpTransportOptions.parse(settings, url.scheme().equals("amqps"));
        } catch (IllegalArgumentException e) {
            throw new ProviderException("broker_url " + url + ": " + e.getMessage(), e);
        }
        String node = context == null ? "celeriac" : context.nodeName();
        return new AmqpBroker(url, options, "celeriac " + node);
    }
}
