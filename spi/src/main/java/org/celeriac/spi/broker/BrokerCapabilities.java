package org.celeriac.spi.broker;

import java.time.Duration;

/**
 * What a transport can do; the runtime and the TCK adapt to it (an unsupported optional feature is
 * skipped by the TCK with a message naming the capability). Immutable.
 *
 * @param priorityOrder how priorities order delivery
 * @param delayedDelivery honours {@link PublishOptions#notBefore()}
 * @param delayPrecision how late a delayed message may come at most; nullable without delayed delivery
 * @param broadcast supports {@link Broker#publishBroadcast} / {@link Broker#subscribeBroadcast}
 * @param deadLetter {@code reject(requeue=false)} dead-letters instead of dropping
 * @param transactionalPublish honours {@link PublishOptions#transaction()}
 * @param durable a published message survives a broker restart once {@code publish}'s future completed
 * @param redeliveryAfterCrash how soon the messages of a consumer that died without closing become
 *        available again (AMQP: at once, ZERO; kombu Redis: the visibility timeout); null: never
 * @param celeryWireLayout the storage layout is the one Python Celery/kombu uses, so Python peers share it
 */
public record BrokerCapabilities(PriorityOrder priorityOrder, boolean delayedDelivery, Duration delayPrecision,
                                 boolean broadcast, boolean deadLetter, boolean transactionalPublish,
                                 boolean durable, Duration redeliveryAfterCrash, boolean celeryWireLayout) {
}
