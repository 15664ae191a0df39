package org.celeriac.api;

import java.util.List;

/**
 * A task failed (or was revoked) and {@code get()} propagates it, as Celery re-raises the remote
 * exception. Carries the remote exception's Celery encoding: {@code exc_type}, {@code exc_message}
 * (the exception's args), {@code exc_module}, and the remote traceback text.
 */
public class TaskFailedException extends CeleriacException {
    private static final long serialVersionUID = 1L;
    private final String taskId;
    private final String state;
    private final String excType;
    private final String excModule;
    private final transient List<Object> excArgs;
    private final String remoteTraceback;

    /**
     * @param taskId the failed task's id
     * @param state the state, FAILURE or REVOKED
     * @param excType remote exception type name, e.g. {@code ValueError}; nullable
     * @param excModule remote exception module, e.g. {@code builtins}; nullable
     * @param excArgs the remote exception's arguments ({@code exc_message}); nullable
     * @param remoteTraceback the remote traceback text; nullable
     */
    public TaskFailedException(String taskId, String state, String excType, String excModule,
                               List<Object> excArgs, String remoteTraceback) {
        super(describe(taskId, state, excType, excArgs));
        this.taskId = taskId;
        this.state = state;
        this.excType = excType;
        this.excModule = excModule;
        this.excArgs = excArgs == null ? List.of() : excArgs;
        this.remoteTraceback = remoteTraceback;
    }

    private static String describe(String taskId, String state, String excType, List<Object> args) {
        String msg = args == null || args.isEmpty() ? "" : args.size() == 1 ? String.valueOf(args.get(0)) : String.valueOf(args);
        return "task " + taskId + " " + state + ": " + (excType == null ? "Exception" : excType)
                + (msg.isEmpty() ? "" : ": " + msg);
    }

    public String taskId() {
        return taskId;
    }

    /** FAILURE or REVOKED. */
    public String state() {
        return state;
    }

    /** Remote exception type ({@code exc_type}), e.g. {@code ValueError}; nullable. */
    public String excType() {
        return excType;
    }

    /** Remote exception module ({@code exc_module}); nullable. */
    public String excModule() {
        return excModule;
    }

    /** The remote exception's args ({@code exc_message}); never null. */
    public List<Object> excArgs() {
        return excArgs;
    }

    /** The remote exception's message: its single argument, or its args joined. */
    public String excMessage() {
        if (excArgs.isEmpty()) {
            return "";
        }
        return excArgs.size() == 1 ? String.valueOf(excArgs.get(0)) : String.valueOf(excArgs);
    }

    /** The remote traceback text; nullable. */
    public String remoteTraceback() {
        return remoteTraceback;
    }
}
