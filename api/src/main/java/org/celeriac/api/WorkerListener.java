package org.celeriac.api;

/**
 * Hooks for Celery's worker signals {@code worker_ready} and {@code worker_shutdown}. Empty defaults;
 * implementations must be thread-safe; exceptions are logged and ignored.
 */
public interface WorkerListener {

    /** The worker consumes and has logged {@code <nodename> ready.} ({@code worker_ready}). */
    default void workerReady(String nodeName) {
    }

    /** The worker is shutting down ({@code worker_shutdown}). */
    default void workerShutdown(String nodeName) {
    }
}
