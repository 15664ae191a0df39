package org.celeriac.spi;

import org.celeriac.api.CeleriacException;

/**
 * No provider, or more than one, serves a scheme or content type; or a provider cannot be created
 * from its URL and settings. The message names what was asked, what is available and what to add.
 */
public class ProviderException extends CeleriacException {
    private static final long serialVersionUID = 1L;

    public ProviderException(String message) {
        super(message);
    }

    public ProviderException(String message, Throwable cause) {
        super(message, cause);
    }
}
