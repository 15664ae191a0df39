package org.celeriac.spi.backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An exception as Celery encodes it for non-pickle serializers ({@code celery/backends/base.py
 * prepare_exception}): {@code {"exc_type": "ValueError", "exc_message": ["bad"], "exc_module": "builtins"}}.
 * Immutable.
 *
 * @param excType the class's qualified name without module ({@code ValueError}, {@code NotRegistered})
 * @param excMessage the exception's args, as a list
 * @param excModule the module ({@code builtins}, {@code celery.exceptions}, or a Java package); nullable
 */
public record ExceptionInfo(String excType, List<Object> excMessage, String excModule) {

    public ExceptionInfo {
        excMessage = excMessage == null ? List.of() : java.util.Collections.unmodifiableList(new ArrayList<>(excMessage));
    }

    /** Celery's {@code NotRegistered(name)}. */
    public static ExceptionInfo notRegistered(String taskName) {
        return new ExceptionInfo("NotRegistered", List.of(taskName), "celery.exceptions");
    }

    /** Celery's {@code TaskRevokedError(reason)}: {@code revoked}, {@code expired}, {@code terminated}. */
    public static ExceptionInfo revoked(String reason) {
        return new ExceptionInfo("TaskRevokedError", List.of(reason), "celery.exceptions");
    }

    /** The Celery map form, keys in Celery's order. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exc_type", excType);
        m.put("exc_message", excMessage);
        m.put("exc_module", excModule);
        return m;
    }

    /**
     * Reads the map form; accepts an {@code exc_message} that is a plain string (older data) or missing.
     *
     * @return empty when {@code value} is not an exception map
     */
    public static java.util.Optional<ExceptionInfo> fromValue(Object value) {
        if (!(value instanceof Map<?, ?> m) || !(m.get("exc_type") instanceof String type)) {
            return java.util.Optional.empty();
        }
        Object msg = m.get("exc_message");
        List<Object> args;
        if (msg instanceof List<?> l) {
            args = new ArrayList<>(l);
        } else if (msg == null) {
            args = List.of();
        } else {
            args = new ArrayList<>(List.of(msg));
        }
        Object module = m.get("exc_module");
        return java.util.Optional.of(new ExceptionInfo(type, args, module == null ? null : String.valueOf(module)));
    }

    /** The message: the single arg, or the args as a list. */
    public String message() {
        return excMessage.isEmpty() ? "" : excMessage.size() == 1 ? String.valueOf(excMessage.get(0)) : excMessage.toString();
    }
}
