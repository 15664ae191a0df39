package org.celeriac.core.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.celeriac.core.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routers of {@code task_routes} (Celery's {@code celery/app/routes.py prepare}) plus
 * {@code task_default_queue}. The setting may be a dict ({@link MapRouter}), the name of a {@link Router} class,
 * or a list of those; routers added in code come after them. Thread-safe.
 *
 * <p>Precedence for one call, as in Celery: the {@code queue}/{@code exchange}/{@code routing_key} given to
 * {@code apply_async}, then the task's own {@code queue} option, then the first router that answers, then
 * {@code task_default_queue}. Sending to a queue that is neither {@code task_default_queue} nor in
 * {@code task_queues} is allowed (kombu creates it when {@code task_create_missing_queues}) and logged once per
 * queue, since no worker consumes it unless started with {@code -Q} naming it.
 */
public final class TaskRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(TaskRoutes.class);
    private static final String SETTING = "task_routes";

    private final List<Router> routers;
    private final String defaultQueue;
    private final Set<String> knownQueues;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    /**
     * @param setting the value of {@code task_routes}; nullable
     * @param extra routers given in code, asked after the setting's
     * @param defaultQueue {@code task_default_queue}
     * @param knownQueues queue names declared in {@code task_queues}
     * @param loader where router classes are loaded from
     * @throws ConfigException naming {@code task_routes} and the accepted forms
     */
    public TaskRoutes(Object setting, List<Router> extra, String defaultQueue, Set<String> knownQueues,
                      ClassLoader loader) {
        List<Router> rs = new ArrayList<>();
        if (setting instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                rs.add(router(l.get(i), SETTING + "[" + i + "]", loader));
            }
        } else if (setting != null && !(setting instanceof String s && (s.isBlank() || s.equals("None")))) {
            rs.add(router(setting, SETTING, loader));
        }
        rs.addAll(extra);
        this.routers = List.copyOf(rs);
        this.defaultQueue = defaultQueue;
        this.knownQueues = Set.copyOf(knownQueues);
    }

    private static Router router(Object o, String where, ClassLoader loader) {
        if (o instanceof Router r) {
            return r;
        }
        try {
            if (o instanceof Map<?, ?> m) {
                return new MapRouter(m, where);
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
        if (o instanceof String name && !name.isBlank()) {
            Class<?> c;
            try {
                c = Class.forName(name.trim(), true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                throw new ConfigException(where + ": router class '" + name + "' is not on the class path; name a"
                        + " class implementing " + Router.class.getName() + " or use a dict of task name to queue");
            }
            if (!Router.class.isAssignableFrom(c)) {
                throw new ConfigException(where + ": " + name + " does not implement " + Router.class.getName()
                        + " (Python router functions cannot run on the JVM; port it to a Router class)");
            }
            try {
                return (Router) c.getConstructor().newInstance();
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new ConfigException(where + ": cannot create router " + name + " with its public no-argument"
                        + " constructor: " + e, e);
            }
        }
        throw new ConfigException(where + ": " + o + " is not a router; use a dict (task name, 'glob.*' or"
                + " 're:<regex>' to a queue name or {'queue': ..., 'exchange': ..., 'routing_key': ...}), a Router"
                + " class name, or a list of those");
    }

    /** The routers in the order they are asked. */
    public List<Router> routers() {
        return routers;
    }

    /**
     * Resolves a call's destination.
     *
     * @param taskName the task
     * @param args arguments, passed to routers
     * @param kwargs keyword arguments, passed to routers
     * @param queue the call's queue option; nullable
     * @param exchange the call's exchange option; nullable
     * @param routingKey the call's routing key option; nullable
     * @param taskQueue the task's own {@code queue} option; nullable
     * @return a route with a queue name always set (exchange and routing key may be null)
     */
    public Route resolve(String taskName, List<Object> args, Map<String, Object> kwargs, String queue,
                         String exchange, String routingKey, String taskQueue) {
        Route found = null;
        if (queue == null && taskQueue != null) {
            queue = taskQueue;
        }
        if (queue == null) {
            for (Router r : routers) {
                try {
                    found = r.route(taskName, args, kwargs);
                } catch (RuntimeException e) {
                    LOG.error("router {} failed for task {}: {}; asking the next one", r.getClass().getName(), taskName,
                            e.toString(), e);
                }
                if (found != null) {
                    break;
                }
            }
        }
        String q = queue != null ? queue : found != null && found.queue() != null ? found.queue()
                : found != null && found.routingKey() != null ? found.routingKey() : defaultQueue;
        String ex = exchange != null ? exchange : found != null ? found.exchange() : null;
        String rk = routingKey != null ? routingKey : found != null ? found.routingKey() : null;
        Integer priority = found != null ? found.priority() : null;
        if (!q.equals(defaultQueue) && !knownQueues.contains(q) && warned.add(q)) {
            LOG.warn("Task {} is routed to queue '{}', which is not task_default_queue ('{}') nor in task_queues; it"
                    + " is created if missing, and runs only once a worker consumes it (celeriac worker -Q {})",
                    taskName, q, defaultQueue, q);
        }
        return new Route(q, ex, rk, priority);
    }
}
