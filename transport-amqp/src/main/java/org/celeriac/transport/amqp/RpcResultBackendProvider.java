package org.celeriac.transport.amqp;

import java.time.Duration;
import java.util.Set;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderContext;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackend;
import org.celeriac.spi.backend.ResultBackendProvider;
import org.celeriac.spi.broker.Broker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provides {@link RpcResultBackend}s for {@code rpc://}, and for {@code amqp://…} result backend URLs (Celery 3's
 * {@code amqp} backend, removed in Celery 5; such a URL gets rpc:// behaviour with a warning). Needs the app's
 * broker to be an AMQP one ({@link ProviderContext#broker()}). Reads {@code result_expires} (default 1 day) and
 * {@code result_persistent} (default false). Stateless and thread-safe.
 */
public final class RpcResultBackendProvider implements ResultBackendProvider {
    private static final Logger LOG = LoggerFactory.getLogger(RpcResultBackendProvider.class);

    @Override
    public String name() {
        return "rpc";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("rpc", "amqp");
    }

    @Override
    public String artifact() {
        return AmqpBrokerProvider.ARTIFACT;
    }

    /**
     * @throws ProviderException when the app has no broker yet or its broker is not AMQP
     */
    @Override
    public ResultBackend create(ConnectionUrl url, Settings settings, ProviderContext context) {
        if (url.scheme().equals("amqp")) {
            LOG.warn("result_backend {}: Celery 3's amqp result backend is gone (removed in Celery 5); using rpc:// instead: "
                    + "results now reach only the process that sent the task", url);
        }
        Broker broker = context.broker().orElseThrow(() -> new ProviderException("result_backend " + url
                + " sends results over the broker's AMQP connection, but no broker was created before it"));
        if (!(broker instanceof AmqpBroker amqp)) {
            throw new ProviderException("result_backend rpc:// needs an AMQP broker_url (amqp://, amqps:// or pyamqp://), "
                    + "but the broker is " + broker.getClass().getSimpleName() + "; use a result backend of that broker "
                    + "(e.g. redis://) or a database backend instead");
        }
        Duration expires;
        boolean persistent;
        try {
            expires = settings.duration("result_expires", Duration.ofDays(1));
            persistent = settings.bool("result_persistent", false);
        } catch (IllegalArgumentException e) {
            throw new ProviderException("result_backend " + url + ": " + e.getMessage(), e);
        }
        return new RpcResultBackend(amqp, context, expires, persistent);
    }
}
