package org.celeriac.core.internal;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.celeriac.api.MaxRetriesExceededException;
import org.celeriac.api.PythonException;
import org.celeriac.api.TaskArgumentException;
import org.celeriac.spi.backend.ExceptionInfo;

/**
 * Turns Java exceptions into Celery's exception encoding and traceback text. Stateless.
 */
public final class Exceptions {
    private Exceptions() {
    }

    /**
     * The Celery encoding of {@code t}: {@link PythonException}s keep their Python type and module;
     * {@link TaskArgumentException} is Python's {@code TypeError}; others use the simple class name
     * and the package as module, with the message as the single argument.
     */
    public static ExceptionInfo info(Throwable t) {
        if (t instanceof PythonException p) {
            return new ExceptionInfo(p.excType(), p.excArgs(), p.excModule());
        }
        if (t instanceof TaskArgumentException) {
            return new ExceptionInfo("TypeError", List.of(String.valueOf(t.getMessage())), "builtins");
        }
        if (t instanceof org.celeriac.api.SoftTimeLimitExceededException) {
            return new ExceptionInfo("SoftTimeLimitExceeded", List.of(), "celery.exceptions");
        }
        if (t instanceof org.celeriac.api.TimeLimitExceededException e) {
            return new ExceptionInfo("TimeLimitExceeded", List.of(e.seconds()), "celery.exceptions");
        }
        if (t instanceof MaxRetriesExceededException) {
            return new ExceptionInfo("MaxRetriesExceededError", List.of(String.valueOf(t.getMessage())), "celery.exceptions");
        }
        List<Object> args = new ArrayList<>(1);
        if (t.getMessage() != null) {
            args.add(t.getMessage());
        }
        Package p = t.getClass().getPackage();
        String type = t.getClass().getName();
        if (p != null && !p.getName().isEmpty()) {
            type = type.substring(p.getName().length() + 1).replace('$', '.');
        }
        return new ExceptionInfo(type, args, p == null ? "" : p.getName());
    }

    /** The Java stack trace text, stored as the {@code traceback}. */
    public static String traceback(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** Python-style short form for logs: {@code ValueError('boom')}. */
    public static String shortRepr(ExceptionInfo info) {
        StringBuilder sb = new StringBuilder(info.excType()).append('(');
        for (int i = 0; i < info.excMessage().size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(org.celeriac.core.protocol.PyRepr.repr(info.excMessage().get(i), 200));
        }
        return sb.append(')').toString();
    }
}
