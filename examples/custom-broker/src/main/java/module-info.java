// tag::module[]
/**
 * A directory-of-files broker for Celeriac ({@code filesystem:///path}), written against the SPI only.
 * {@code celeriac.spi} and {@code celeriac.api} are automatic modules (named after their jars).
 */
module org.celeriac.examples.filebroker {
    requires celeriac.spi;
    requires celeriac.api;

    provides org.celeriac.spi.broker.BrokerProvider with org.celeriac.examples.filebroker.FileBrokerProvider;
}
// end::module[]
