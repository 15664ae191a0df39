package org.celeriac.core.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.celeriac.api.CeleriacException;
import org.celeriac.api.Task;
import org.celeriac.api.TaskDefinition;

/**
 * The tasks a process serves, by name ({@code app.tasks} in Celery). Built once at start-up from
 * {@link ServiceLoader} registrations ({@code META-INF/services/org.celeriac.api.TaskDefinition}, written
 * by the {@code @Task} annotation processor) and from tasks added programmatically. Immutable and
 * thread-safe.
 */
public final class TaskRegistry {
    private final Map<String, TaskDefinition> tasks;

    private TaskRegistry(Map<String, TaskDefinition> tasks) {
        this.tasks = Collections.unmodifiableMap(tasks);
    }

    /** A registry with exactly these tasks. */
    public static TaskRegistry of(Collection<? extends TaskDefinition> definitions) {
        Map<String, TaskDefinition> m = new LinkedHashMap<>();
        for (TaskDefinition d : definitions) {
            add(m, d);
        }
        return new TaskRegistry(m);
    }

    /**
     * Every task registered on the class path of {@code loader}, narrowed to those declared by
     * {@code app} when it is not null ({@code celeriac worker -A app}).
     *
     * @throws CeleriacException when two tasks share a name (naming both classes), when a registration
     *         cannot be loaded, or when {@code app} has {@code @Task} methods but no registrations
     *         (the annotation processor did not run: compile with {@code -proc:full})
     */
    public static TaskRegistry load(ClassLoader loader, Class<?> app) {
        Map<String, TaskDefinition> m = new LinkedHashMap<>();
        try {
            for (TaskDefinition d : ServiceLoader.load(TaskDefinition.class, loader)) {
                if (app == null || d.declaringClass() == app || app.isAssignableFrom(d.declaringClass())) {
                    add(m, d);
                }
            }
        } catch (ServiceConfigurationError e) {
            throw new CeleriacException("cannot load a task registration listed in META-INF/services/"
                    + TaskDefinition.class.getName() + ": " + e.getMessage()
                    + ". Rebuild the jar that lists it, or remove it from the class path", e);
        }
        if (app != null && m.isEmpty()) {
            boolean annotated = false;
            for (var method : app.getDeclaredMethods()) {
                annotated |= method.isAnnotationPresent(Task.class);
            }
            if (annotated) {
                throw new CeleriacException(app.getName() + " has @Task methods but no task registrations were found: "
                        + "the @Task annotation processor did not run when it was compiled. On JDK 23 and later javac "
                        + "runs processors only when asked: compile with -proc:full (maven-compiler-plugin "
                        + "<proc>full</proc>) or list org.celeriac:celeriac-api in annotationProcessorPaths");
            }
            throw new CeleriacException(app.getName() + " declares no tasks: it has no @Task methods and no "
                    + "TaskDefinition registered for it. Pass the class that holds the @Task methods to -A");
        }
        return new TaskRegistry(m);
    }

    private static void add(Map<String, TaskDefinition> m, TaskDefinition d) {
        TaskDefinition previous = m.putIfAbsent(d.name(), d);
        if (previous != null && previous.getClass() != d.getClass()) {
            throw new CeleriacException("two tasks are named '" + d.name() + "': " + describe(previous) + " and "
                    + describe(d) + ". Task names must be unique; rename one with @Task(name = \"...\")");
        }
    }

    private static String describe(TaskDefinition d) {
        return d.declaringClass().getName() + (d.declaringClass() == d.getClass() ? "" : " (" + d.getClass().getName() + ")");
    }

    /** This registry plus {@code extra}; the same duplicate check applies. */
    public TaskRegistry with(Collection<? extends TaskDefinition> extra) {
        Map<String, TaskDefinition> m = new LinkedHashMap<>(tasks);
        for (TaskDefinition d : extra) {
            add(m, d);
        }
        return new TaskRegistry(m);
    }

    /** This registry with every definition replaced by {@code f}'s result (same names). */
    public TaskRegistry map(java.util.function.UnaryOperator<TaskDefinition> f) {
        Map<String, TaskDefinition> m = new LinkedHashMap<>();
        tasks.forEach((k, v) -> m.put(k, f.apply(v)));
        return new TaskRegistry(m);
    }

    /** The task named {@code name}; empty when not registered. */
    public Optional<TaskDefinition> get(String name) {
        return Optional.ofNullable(tasks.get(name));
    }

    /** Names in sorted order. */
    public List<String> names() {
        return new ArrayList<>(new TreeMap<>(tasks).keySet());
    }

    /** All definitions. */
    public Collection<TaskDefinition> definitions() {
        return tasks.values();
    }

    public int size() {
        return tasks.size();
    }
}
