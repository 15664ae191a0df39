package org.celeriac.core.memory;

import java.time.InstantSource;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.celeriac.spi.ConnectionUrl;

/**
 * The JVM-wide registry of {@code memory://} namespaces, one per URL host. Each namespace holds the
 * queues and bindings (broker), the results (backend) and one {@link MemoryCoordination} shared by
 * broker and backend. Thread-safe.
 */
public final class MemoryNamespaces {
    private static final ConcurrentMap<String, Namespace> NAMESPACES = new ConcurrentHashMap<>();
    private static final ScheduledThreadPoolExecutor SCHEDULER = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "celeriac-memory-scheduler");
        t.setDaemon(true);
        return t;
    });

    static {
        SCHEDULER.setRemoveOnCancelPolicy(true);
    }

    private MemoryNamespaces() {
    }

    /** The state of one namespace. */
    static final class Namespace {
        final String name;
        final BrokerState broker = new BrokerState();
        final BackendState backend = new BackendState();
        final MemoryCoordination coordination = new MemoryCoordination(InstantSource.system());

        Namespace(String name) {
            this.name = name;
        }
    }

    /** The namespace name of a URL: its first host, lower case; {@code ""} for {@code memory://}. */
    static String nameOf(ConnectionUrl url) {
        return url.hosts().isEmpty() ? "" : url.hosts().get(0).host().toLowerCase(Locale.ROOT);
    }

    static Namespace get(String name) {
        return NAMESPACES.computeIfAbsent(name, Namespace::new);
    }

    static ScheduledExecutorService scheduler() {
        return SCHEDULER;
    }

    /**
     * Test support: forgets a namespace's queues, results and coordination state, so the next broker
     * or backend opened on it starts empty. Brokers and backends still open keep the old state; close
     * them first.
     *
     * @param host the URL host ({@code ""} for {@code memory://})
     */
    public static void discard(String host) {
        NAMESPACES.remove(host.toLowerCase(Locale.ROOT));
    }
}
