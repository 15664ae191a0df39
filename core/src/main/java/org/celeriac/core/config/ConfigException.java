package org.celeriac.core.config;

import org.celeriac.api.CeleriacException;

/**
 * The configuration cannot be read: a file is missing or malformed, or a value has the wrong type.
 * The message names the source (file and line, environment variable, system property) and what to
 * fix; it never contains a password.
 */
public class ConfigException extends CeleriacException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
