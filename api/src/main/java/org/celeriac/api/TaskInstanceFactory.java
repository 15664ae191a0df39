package org.celeriac.api;

/**
 * Supplies the objects that instance {@code @Task} methods run on. The default calls the public
 * no-argument constructor once per class; replace it to let a DI container (Spring, CDI, Guice)
 * supply them. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface TaskInstanceFactory {
    /**
     * @param type the class that declares the task method
     * @return an instance of {@code type}; never null
     * @throws RuntimeException when no instance can be made; the task fails with it
     */
    <T> T instance(Class<T> type);
}
