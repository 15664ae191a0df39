package org.celeriac.spi.broker;

import java.time.Instant;

/**
 * Optional publish features, each behind a capability. Immutable.
 *
 * @param notBefore delayed delivery: the message is not delivered before this instant; needs
 *        {@link BrokerCapabilities#delayedDelivery()}; nullable
 * @param transaction publish inside the caller's transaction: a {@code java.sql.Connection} whose
 *        transaction the message joins (visible only on commit); needs
 *        {@link BrokerCapabilities#transactionalPublish()}; nullable
 */
public record PublishOptions(Instant notBefore, Object transaction) {
    /** Nothing optional. */
    public static final PublishOptions NONE = new PublishOptions(null, null);
}
