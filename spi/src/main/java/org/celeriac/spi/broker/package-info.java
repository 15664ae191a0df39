/**
 * The transport SPI: {@link org.celeriac.spi.broker.Broker}, {@link org.celeriac.spi.broker.Consumer},
 * the message model and the provider. Mirrors kombu's transport/channel model (exchange, routing
 * key, queue, delivery tag, ack, reject, prefetch). Non-null unless documented.
 */
package org.celeriac.spi.broker;
