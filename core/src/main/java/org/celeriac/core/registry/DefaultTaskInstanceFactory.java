package org.celeriac.core.registry;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.celeriac.api.CeleriacException;
import org.celeriac.api.TaskInstanceFactory;

/**
 * The default {@link TaskInstanceFactory}: one instance per class, made with its no-argument
 * constructor on first use. Thread-safe.
 */
public final class DefaultTaskInstanceFactory implements TaskInstanceFactory {
    private final ConcurrentMap<Class<?>, Object> instances = new ConcurrentHashMap<>();

    @Override
    public <T> T instance(Class<T> type) {
        return type.cast(instances.computeIfAbsent(type, t -> {
            try {
                var ctor = t.getDeclaredConstructor();
                ctor.setAccessible(true);
                return ctor.newInstance();
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new CeleriacException("cannot create " + t.getName() + " for its instance @Task methods: "
                        + "it needs a no-argument constructor, or configure a TaskInstanceFactory "
                        + "(e.g. one backed by your DI container): " + e, e);
            }
        }));
    }
}
