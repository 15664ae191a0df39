package org.celeriac.core.memory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.celeriac.spi.broker.Broker;
import org.celeriac.spi.broker.Consumer;
import org.celeriac.spi.broker.Message;
import org.celeriac.tck.BrokerTck;
import org.junit.jupiter.api.AfterAll;

/**
 * The broker TCK against {@code memory://}, the reference implementation: a namespace of its own,
 * crashes simulated with {@link MemoryBroker#crash}, redelivery after 1 s, dead letters inspected.
 * Skipped by capability: B-8.1 (not durable), B-9.3 (it has priorities), B-10.3, B-11.3, B-12.4 does run.
 */
// tag::memory-broker[]
class MemoryBrokerTckTest extends BrokerTck {
    private final String namespace = "tck-" + UUID.randomUUID();

    @Override
    protected Broker createBroker() {
        return new MemoryBroker(namespace, Duration.ofSeconds(1));
    }

    @Override
    protected void crashConsumer(Broker broker, Consumer consumer) {
        ((MemoryBroker) broker).crash(consumer);
    }

    @Override
    protected Optional<List<Message>> deadLetters(Broker broker, String queue) {
        return Optional.of(((MemoryBroker) broker).deadLetters(queue));
    }

    @AfterAll
    void discardNamespace() {
        MemoryNamespaces.discard(namespace);
    }
}
// end::memory-broker[]
