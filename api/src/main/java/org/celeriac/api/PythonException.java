package org.celeriac.api;

import java.util.List;

/**
 * An exception that Python peers see as the Python exception type it names: stored as
 * {@code {"exc_type": type, "exc_message": args, "exc_module": module}}, so a Python client calling a
 * Java task gets a real {@code ValueError} from {@code result.get()}. Other Java exceptions are stored
 * with their simple class name as {@code exc_type} and their package as {@code exc_module}.
 */
public class PythonException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String excModule;
    private final String excType;
    private final transient List<Object> excArgs;

    /**
     * @param excModule the Python module, e.g. {@code builtins}
     * @param excType the Python type name, e.g. {@code ValueError}
     * @param args the exception's arguments ({@code exc_message}); values of the serializer's value model
     */
    public PythonException(String excModule, String excType, List<Object> args) {
        super(args == null || args.isEmpty() ? excType : args.size() == 1 ? String.valueOf(args.get(0)) : String.valueOf(args));
        this.excModule = excModule;
        this.excType = excType;
        this.excArgs = args == null ? List.of() : List.copyOf(args);
    }

    /** Python's {@code ValueError(message)}. */
    public static PythonException valueError(String message) {
        return new PythonException("builtins", "ValueError", List.of(message));
    }

    /** Python's {@code TypeError(message)}. */
    public static PythonException typeError(String message) {
        return new PythonException("builtins", "TypeError", List.of(message));
    }

    /** The Python module ({@code exc_module}). */
    public String excModule() {
        return excModule;
    }

    /** The Python type name ({@code exc_type}). */
    public String excType() {
        return excType;
    }

    /** The arguments ({@code exc_message}). */
    public List<Object> excArgs() {
        return excArgs;
    }
}
