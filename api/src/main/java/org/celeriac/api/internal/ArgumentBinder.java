package org.celeriac.api.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.celeriac.api.TaskArgumentException;

/**
 * Binds a call's {@code args} and {@code kwargs} to a Java method's parameters the way CPython binds
 * them to a function's ({@code Python/ceval.c initialize_locals}): positional arguments first, then
 * keyword arguments by parameter name, then {@link org.celeriac.api.DefaultValue @DefaultValue}
 * defaults; a varargs parameter collects extra positional arguments (Python's {@code *args}). Errors
 * are {@link TaskArgumentException}s carrying CPython's {@code TypeError} wording, e.g.
 * {@code add() takes 2 positional arguments but 3 were given}. Values are then converted from the
 * wire value model to the declared (generic) parameter types; see {@link ValueConverters}.
 *
 * <p>Everything that needs reflection (generic types, converters, parsed defaults) is prepared in
 * the constructor; {@link #bind} only walks arrays. Immutable and thread-safe.
 */
public final class ArgumentBinder {
    private static final Object NO_DEFAULT = new Object();

    private final String function;
    private final String[] names;
    private final ValueConverters.Converter[] converters;
    private final Object[] defaults;
    private final int positional;
    private final boolean varArgs;
    private final int offset;

    /**
     * @param function the name used in error messages, as Python uses the function's name ({@code "add"})
     * @param names the names of the bindable parameters, in order
     * @param types their generic types; with {@code varArgs} the last one is an array type
     * @param defaultLiterals per parameter a JSON literal default or null; same length as {@code names}
     * @param varArgs true when the last parameter collects extra positional arguments
     * @param offset how many leading slots {@link #bind} leaves free (1 for a {@code TaskContext})
     * @throws IllegalArgumentException when a parameter type cannot be bound, a default is not a JSON
     *         literal or does not fit its parameter, or the arrays disagree in length
     */
    public ArgumentBinder(String function, String[] names, Type[] types, String[] defaultLiterals,
            boolean varArgs, int offset) {
        if (names.length != types.length || names.length != defaultLiterals.length) {
            throw new IllegalArgumentException("names, types and defaults differ in length: "
                    + names.length + ", " + types.length + ", " + defaultLiterals.length);
        }
        if (varArgs && names.length == 0) {
            throw new IllegalArgumentException("varArgs needs a last parameter");
        }
        this.function = function;
        this.names = names.clone();
        this.varArgs = varArgs;
        this.offset = offset;
        this.positional = varArgs ? names.length - 1 : names.length;
        this.converters = new ValueConverters.Converter[names.length];
        this.defaults = new Object[names.length];
        for (int i = 0; i < names.length; i++) {
            Type type = types[i];
            if (varArgs && i == names.length - 1) {
                Class<?> raw = ValueConverters.rawClass(type);
                if (!raw.isArray()) {
                    throw new IllegalArgumentException(function + "(): the varargs parameter '" + names[i]
                            + "' must have an array type, not " + type.getTypeName());
                }
                type = type instanceof java.lang.reflect.GenericArrayType g ? g.getGenericComponentType()
                        : raw.getComponentType();
                converters[i] = ValueConverters.array(type);
            } else {
                try {
                    converters[i] = ValueConverters.forType(type);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(function + "(): parameter '" + names[i] + "': "
                            + e.getMessage(), e);
                }
            }
            defaults[i] = NO_DEFAULT;
            if (defaultLiterals[i] != null) {
                if (varArgs && i == names.length - 1) {
                    throw new IllegalArgumentException(function + "(): the varargs parameter '" + names[i]
                            + "' cannot have a @DefaultValue; it is empty when no extra arguments are given");
                }
                try {
                    defaults[i] = converters[i].convert(JsonLiteral.parse(defaultLiterals[i]));
                } catch (ValueConverters.Mismatch m) {
                    throw new IllegalArgumentException(function + "(): @DefaultValue(" + quote(defaultLiterals[i])
                            + ") of parameter '" + names[i] + "'" + m.path() + " " + m.detail());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(function + "(): @DefaultValue of parameter '" + names[i]
                            + "': " + e.getMessage(), e);
                }
            }
        }
    }

    /**
     * A binder for a task method.
     *
     * @param method the method; its generic parameter types are read once, here
     * @param names the names of all its parameters (from the source)
     * @param defaultLiterals per parameter a JSON literal default or null
     * @param takesContext true when parameter 0 is the {@code TaskContext}; it is skipped and its slot
     *        left free in the bound array
     */
    public static ArgumentBinder forMethod(Method method, String[] names, String[] defaultLiterals,
            boolean takesContext) {
        Type[] types = method.getGenericParameterTypes();
        if (types.length != names.length || types.length != defaultLiterals.length) {
            throw new IllegalArgumentException(method + " has " + types.length + " parameters but "
                    + names.length + " names and " + defaultLiterals.length + " defaults were given");
        }
        int skip = takesContext ? 1 : 0;
        return new ArgumentBinder(method.getName(),
                Arrays.copyOfRange(names, skip, names.length),
                Arrays.copyOfRange(types, skip, types.length),
                Arrays.copyOfRange(defaultLiterals, skip, defaultLiterals.length),
                method.isVarArgs(), skip);
    }

    /** The names of the bindable parameters, in order. */
    public List<String> parameterNames() {
        return List.of(names);
    }

    /**
     * Binds one call.
     *
     * @param args positional arguments (wire value model); null means none
     * @param kwargs keyword arguments; null means none. Processed in iteration order, so the first
     *        offending keyword is reported, as in Python
     * @return a new array: {@code offset} free slots, then one converted value per parameter (the
     *         varargs parameter as an array)
     * @throws TaskArgumentException with Python's TypeError message when the arguments do not fit
     */
    public Object[] bind(List<?> args, Map<String, ?> kwargs) {
        int argc = args == null ? 0 : args.size();
        int n = names.length;
        Object[] out = new Object[offset + n];
        boolean[] set = new boolean[n];
        int direct = Math.min(argc, positional);
        for (int i = 0; i < direct; i++) {
            out[offset + i] = args.get(i);
            set[i] = true;
        }
        if (kwargs != null && !kwargs.isEmpty()) {
            for (Map.Entry<String, ?> e : kwargs.entrySet()) {
                int j = indexOf(e.getKey());
                if (j < 0) {
                    throw new TaskArgumentException(function + "() got an unexpected keyword argument '"
                            + e.getKey() + "'");
                }
                if (set[j]) {
                    throw new TaskArgumentException(function + "() got multiple values for argument '"
                            + e.getKey() + "'");
                }
                out[offset + j] = e.getValue();
                set[j] = true;
            }
        }
        if (argc > positional) {
            if (!varArgs) {
                throw new TaskArgumentException(tooManyPositional(argc));
            }
            out[offset + n - 1] = args.subList(positional, argc);
        } else if (varArgs) {
            out[offset + n - 1] = List.of();
        }
        List<String> missing = null;
        for (int i = 0; i < positional; i++) {
            if (!set[i]) {
                if (defaults[i] != NO_DEFAULT) {
                    continue;
                }
                if (missing == null) {
                    missing = new ArrayList<>(2);
                }
                missing.add(names[i]);
            }
        }
        if (missing != null) {
            throw new TaskArgumentException(missingArguments(missing));
        }
        for (int i = 0; i < n; i++) {
            if (!set[i] && i < positional) {
                out[offset + i] = defaults[i];
                continue;
            }
            try {
                out[offset + i] = converters[i].convert(out[offset + i]);
            } catch (ValueConverters.Mismatch m) {
                String where = varArgs && i == n - 1 ? "*" + names[i] : "'" + names[i] + "'";
                String path = m.path();
                if (varArgs && i == n - 1 && path.startsWith("[")) {
                    // report the position in the call's args, as the caller sees it
                    int close = path.indexOf(']');
                    int k = Integer.parseInt(path.substring(1, close));
                    where = "args[" + (positional + k) + "] (" + where + ")";
                    path = path.substring(close + 1);
                }
                throw new TaskArgumentException(function + "() argument " + where + path + " " + m.detail());
            }
        }
        return out;
    }

    private int indexOf(String name) {
        for (int j = 0; j < positional; j++) {
            if (names[j].equals(name)) {
                return j;
            }
        }
        return -1;
    }

    // CPython too_many_positional()
    private String tooManyPositional(int given) {
        String sig;
        boolean plural;
        int positionalDefaults = 0;
        for (int i = 0; i < positional; i++) {
            if (defaults[i] != NO_DEFAULT) {
                positionalDefaults++;
            }
        }
        if (positionalDefaults > 0) {
            sig = "from " + (positional - positionalDefaults) + " to " + positional;
            plural = true;
        } else {
            sig = Integer.toString(positional);
            plural = positional != 1;
        }
        return function + "() takes " + sig + " positional argument" + (plural ? "s" : "") + " but " + given
                + " " + (given == 1 ? "was" : "were") + " given";
    }

    // CPython missing_arguments() / format_missing()
    private String missingArguments(List<String> missing) {
        int len = missing.size();
        String names;
        if (len == 1) {
            names = "'" + missing.get(0) + "'";
        } else if (len == 2) {
            names = "'" + missing.get(0) + "' and '" + missing.get(1) + "'";
        } else {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < len - 2; i++) {
                sb.append(i == 0 ? "" : ", ").append('\'').append(missing.get(i)).append('\'');
            }
            sb.append(", '").append(missing.get(len - 2)).append("', and '").append(missing.get(len - 1)).append('\'');
            names = sb.toString();
        }
        return function + "() missing " + len + " required positional argument" + (len == 1 ? "" : "s") + ": "
                + names;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
