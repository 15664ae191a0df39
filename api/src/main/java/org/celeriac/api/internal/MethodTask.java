package org.celeriac.api.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.celeriac.api.TaskContext;
import org.celeriac.api.TaskDefinition;
import org.celeriac.api.TaskOptions;

/**
 * The base of the {@link TaskDefinition}s that Celeriac's annotation processor generates from
 * {@link org.celeriac.api.Task @Task} methods. Internal: only generated code extends it.
 *
 * <p>{@link #run} binds {@code args}/{@code kwargs} like a Python call ({@link ArgumentBinder}) and
 * hands the converted values to {@link #invoke}, which the generated subclass implements with a
 * direct call of the method — no {@code Method.invoke} on the hot path. Reflection is used once,
 * in the constructor, to read the method's generic parameter types. Instance methods run on
 * {@link TaskContext#taskInstance(Class) ctx.taskInstance(declaringClass())}.
 *
 * <p>Immutable and thread-safe.
 */
public abstract class MethodTask implements TaskDefinition {
    private final String name;
    private final TaskOptions options;
    private final Class<?> declaringClass;
    private final Method method;
    private final List<String> parameterNames;
    private final boolean takesContext;
    private final ArgumentBinder binder;
    private final org.celeriac.api.RetryPolicy retryPolicy;

    /**
     * @param name the task name ({@code "tasks.add"})
     * @param options the options declared by {@code @Task}
     * @param declaringClass the class declaring the method
     * @param methodName the method's name
     * @param parameterTypes the erased types of all its parameters (including a leading {@code TaskContext})
     * @param parameterNames the names of all its parameters, from the source
     * @param defaultValues per parameter the {@code @DefaultValue} JSON literal, or null
     * @param takesContext true when the first parameter is the {@link TaskContext}
     * @param isStatic true for a static method
     * @throws IllegalStateException when the method no longer matches the generated code (the class
     *         changed after it was generated: rebuild), or a parameter type or default cannot be bound
     */
    protected MethodTask(String name, TaskOptions options, Class<?> declaringClass, String methodName,
            Class<?>[] parameterTypes, String[] parameterNames, String[] defaultValues,
            boolean takesContext, boolean isStatic) {
        this.name = Objects.requireNonNull(name, "name");
        this.options = Objects.requireNonNull(options, "options");
        this.declaringClass = Objects.requireNonNull(declaringClass, "declaringClass");
        this.takesContext = takesContext;
        try {
            this.method = declaringClass.getDeclaredMethod(methodName, parameterTypes);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("task " + name + ": " + declaringClass.getName() + "." + methodName
                    + Arrays.toString(parameterTypes) + " does not exist; the class changed after its task"
                    + " definition was generated: rebuild it (mvn clean compile)", e);
        }
        if (Modifier.isStatic(method.getModifiers()) != isStatic) {
            throw new IllegalStateException("task " + name + ": " + method + " is " + (isStatic ? "not " : "")
                    + "static, unlike when its task definition was generated; rebuild it");
        }
        if (takesContext && (parameterTypes.length == 0 || parameterTypes[0] != TaskContext.class)) {
            throw new IllegalStateException("task " + name + ": the first parameter of " + method
                    + " is not a TaskContext");
        }
        org.celeriac.api.Task annotation = method.getAnnotation(org.celeriac.api.Task.class);
        try {
            this.retryPolicy = annotation == null ? org.celeriac.api.RetryPolicy.NONE
                    : org.celeriac.api.RetryPolicy.of(annotation);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("task " + name + " (" + method + "): " + e.getMessage(), e);
        }
        this.parameterNames = List.of(parameterNames);
        try {
            this.binder = ArgumentBinder.forMethod(method, parameterNames, defaultValues, takesContext);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("task " + name + " (" + method + "): " + e.getMessage(), e);
        }
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final TaskOptions options() {
        return options;
    }

    /** The automatic retry options the method's {@code @Task} declares. */
    @Override
    public final org.celeriac.api.RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    /** The class holding the {@code @Task} method; instance methods run on an instance of it. */
    @Override
    public final Class<?> declaringClass() {
        return declaringClass;
    }

    /** The {@code @Task} method (for diagnostics and tooling; it is never invoked reflectively). */
    public final Method method() {
        return method;
    }

    /** The names of all the method's parameters, from the source, including a leading context. */
    public final List<String> parameterNames() {
        return parameterNames;
    }

    /** True when the method's first parameter is the {@link TaskContext}. */
    public final boolean takesContext() {
        return takesContext;
    }

    /**
     * Binds the arguments like a Python call and runs the method.
     *
     * @throws org.celeriac.api.TaskArgumentException with Python's TypeError wording when the
     *         arguments do not fit the parameters
     */
    @Override
    public final Object run(TaskContext context, List<Object> args, Map<String, Object> kwargs) throws Exception {
        Object[] params = binder.bind(args, kwargs);
        if (takesContext) {
            params[0] = context;
        }
        return invoke(context, params);
    }

    /**
     * Calls the method directly. Generated; not for hand-written code.
     *
     * @param ctx the running request (used for the context parameter and for instance methods)
     * @param params one converted value per method parameter; {@code params[0]} is {@code ctx}
     *        when the method takes the context
     * @return the method's return value; null for a void method
     */
    protected abstract Object invoke(TaskContext ctx, Object[] params) throws Exception;

    @Override
    public String toString() {
        return name + " -> " + method.toGenericString();
    }
}
