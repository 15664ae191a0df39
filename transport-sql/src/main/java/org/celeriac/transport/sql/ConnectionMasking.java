package org.celeriac.transport.sql;

import org.celeriac.spi.ConnectionUrl;

/** Masks secrets that a driver may echo in an error message (H2 repeats the URL). Stateless. */
final class ConnectionMasking {
    private ConnectionMasking() {
    }

    static String mask(String text) {
        return text == null ? null : ConnectionUrl.mask(text);
    }
}
