package org.celeriac.spi.broker;

/** A broadcast subscription; closing it stops delivery. Idempotent, thread-safe, blocks briefly. */
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}
