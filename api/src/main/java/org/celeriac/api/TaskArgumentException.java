package org.celeriac.api;

/**
 * The arguments of a call do not fit the task's parameters: wrong count, unknown keyword, a value
 * of the wrong type. Stored as Python's {@code TypeError} ({@code exc_module} "builtins"), as a Python
 * worker would; it fails the task, never the worker.
 */
public class TaskArgumentException extends CeleriacException {
    private static final long serialVersionUID = 1L;

    public TaskArgumentException(String message) {
        super(message);
    }

    public TaskArgumentException(String message, Throwable cause) {
        super(message, cause);
    }
}
