package org.celeriac.spi.broker;

/** How a transport orders message priorities. */
public enum PriorityOrder {
    /** Priorities are ignored: FIFO per queue. */
    NONE,
    /** A larger number is served first (AMQP with {@code x-max-priority}). */
    HIGHER_FIRST,
    /** A smaller number is served first (kombu's Redis transport: 0 is highest). */
    LOWER_FIRST
}
