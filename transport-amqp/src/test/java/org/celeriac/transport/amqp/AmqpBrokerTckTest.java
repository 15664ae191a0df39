package org.celeriac.transport.amqp;

import java.util.Map;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.tck.BrokerTck;
import org.junit.jupiter.api.AfterAll;

/**
 * The broker TCK against RabbitMQ, in a private vhost deleted afterwards. The crash hook aborts the consumer's
 * channel without acks (RabbitMQ requeues at once: redeliveryAfterCrash = ZERO). B-8.1 (durability across a
 * RabbitMQ restart) is left to the fault-tagged restart test, since restarting the shared server would disturb
 * every other test; B-10 (delayed delivery) runs through the Celery 5.5 delay levels of {@link AmqpDelayedDelivery}.
 */
class AmqpBrokerTckTest extends BrokerTck {
    private final String vhost = AmqpTestSupport.createVhost("tck");

    @Override
    protected Broker createBroker() {
        return AmqpTestSupport.open(vhost, Map.of());
    }

    @Override
    protected void crashConsumer(Broker broker, Consumer consumer) {
        ((AmqpBroker) broker).crash(consumer);
    }

    @AfterAll
    void dropVhost() {
        broker().close(); // before the vhost goes (this @AfterAll runs before the TCK's own)
        AmqpTestSupport.deleteVhost(vhost);
    }
}
