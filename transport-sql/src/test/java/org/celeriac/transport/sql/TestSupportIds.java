package org.celeriac.transport.sql;

import org.celeriac.spi.broker.Delivery;

/** The {@code id} header the tests put on every message. */
final class TestSupportIds {
    private TestSupportIds() {
    }

    static String id(Delivery d) {
        return (String) d.message().headers().get("id");
    }
}
