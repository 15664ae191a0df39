package org.celeriac.tck;

/**
 * The configuration and class loader the URL-driven suites use, installed by {@link TckRunner} for
 * the duration of a run; outside a run, the system properties and the thread's context class loader.
 * Thread-safe (volatile); one run at a time per JVM.
 */
final class TckContext {
    private static volatile TckConfiguration configuration;
    private static volatile ClassLoader classLoader;

    private TckContext() {
    }

    static TckConfiguration configuration() {
        TckConfiguration c = configuration;
        return c != null ? c : TckConfiguration.fromSystemProperties();
    }

    static ClassLoader classLoader() {
        ClassLoader cl = classLoader;
        if (cl != null) {
            return cl;
        }
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : TckContext.class.getClassLoader();
    }

    static void install(TckConfiguration c, ClassLoader cl) {
        configuration = c;
        classLoader = cl;
    }

    static void clear() {
        configuration = null;
        classLoader = null;
    }
}
