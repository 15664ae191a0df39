package org.celeriac.core.routing;

import java.util.List;
import java.util.Map;

/**
 * Decides where a task message goes (Celery's router functions/classes in {@code task_routes}). Name a class
 * implementing it, with a public no-argument constructor, in {@code task_routes} ({@code task_routes =
 * ['com.example.MyRouter', {'tasks.*': 'low'}]}), or pass an instance to
 * {@link org.celeriac.core.Celeriac.Builder#router}. Routers are asked in order; the first non-null route
 * wins. Implementations must be thread-safe and must not block.
 */
@FunctionalInterface
public interface Router {

    /**
     * The route for one call.
     *
     * @param taskName the task's name
     * @param args positional arguments (unmodifiable)
     * @param kwargs keyword arguments (unmodifiable)
     * @return the route, or null to let the next router decide
     */
    Route route(String taskName, List<Object> args, Map<String, Object> kwargs);
}
