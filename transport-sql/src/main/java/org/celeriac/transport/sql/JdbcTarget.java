package org.celeriac.transport.sql;

import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicBoolean;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the SQL transport connects: a JDBC URL plus the user and password for the pool, converted
 * from a {@code jdbc:} URL (used as is) or from one of Celery's SQLAlchemy forms
 * ({@code sqla+postgresql://user:pw@host:5432/db}), which are accepted as syntax only.
 * Immutable and thread-safe; {@link #toString()} masks the password.
 *
 * @param jdbcUrl the JDBC URL (may carry secrets, e.g. H2's {@code ;PASSWORD=}); never log it unmasked
 * @param user the user for the pool; nullable (then the URL's own settings apply)
 * @param password the password for the pool; nullable; sensitive
 * @param vendor the database vendor: {@code h2}, {@code postgresql}, {@code mariadb}, {@code mysql},
 *        {@code sqlite} or another JDBC sub-protocol
 */
record JdbcTarget(String jdbcUrl, String user, String password, String vendor) {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcTarget.class);
    private static final AtomicBoolean SQLA_WARNED = new AtomicBoolean();

    /**
     * Converts a broker URL.
     *
     * @throws ProviderException when the scheme is not one this transport reads; the message masks secrets
     */
    static JdbcTarget from(ConnectionUrl url) {
        String scheme = url.scheme();
        if (scheme.equals("jdbc")) {
            String ssp = url.schemeSpecificPart();
            int colon = ssp.indexOf(':');
            if (colon <= 0) {
                throw new ProviderException("'" + url + "' is not a JDBC URL: expected jdbc:<vendor>:..., e.g. "
                        + "jdbc:h2:file:/abs/path/celeriac;AUTO_SERVER=TRUE or jdbc:postgresql://host:5432/db");
            }
            return new JdbcTarget(url.unmasked().trim(), null, null, ssp.substring(0, colon).toLowerCase(Locale.ROOT));
        }
        if (!scheme.startsWith("sqla+")) {
            throw new ProviderException("celeriac-transport-sql does not read '" + scheme + "' URLs ('" + url
                    + "'); use jdbc:... or sqla+postgresql://, sqla+mysql://, sqla+mariadb://, sqla+sqlite://");
        }
        String dialect = scheme.substring("sqla+".length());
        int plus = dialect.indexOf('+'); // sqla+postgresql+psycopg2: drop SQLAlchemy's DBAPI driver name
        if (plus >= 0) {
            dialect = dialect.substring(0, plus);
        }
        JdbcTarget target = switch (dialect) {
            case "postgresql", "postgres" -> network(url, "postgresql");
            case "mysql" -> network(url, "mysql");
            case "mariadb" -> network(url, "mariadb");
            case "sqlite" -> new JdbcTarget(url.hosts().isEmpty() && url.path().isEmpty()
                    ? "jdbc:sqlite::memory:" : "jdbc:sqlite:" + url.path(), null, null, "sqlite");
            default -> throw new ProviderException("'" + url + "': the SQLAlchemy dialect '" + dialect
                    + "' has no JDBC equivalent here; use sqla+postgresql, sqla+mysql, sqla+mariadb, sqla+sqlite "
                    + "or a jdbc: URL");
        };
        if (SQLA_WARNED.compareAndSet(false, true)) {
            LOG.warn("Broker URL '{}' is read as {}: these are Celeriac's own celeriac_* tables, not kombu's SQL "
                    + "transport (kombu_message/kombu_queue); Python Celery peers cannot share this broker", url,
                    target);
        }
        return target;
    }

    private static JdbcTarget network(ConnectionUrl url, String vendor) {
        StringBuilder sb = new StringBuilder("jdbc:").append(vendor).append("://");
        StringJoiner hosts = new StringJoiner(",");
        url.hosts().forEach(h -> hosts.add(h.toString()));
        sb.append(hosts.toString().isEmpty() ? "localhost" : hosts.toString()).append('/').append(url.path());
        if (!url.query().isEmpty()) {
            StringJoiner q = new StringJoiner("&", "?", "");
            for (Map.Entry<String, String> e : url.query().entrySet()) {
                q.add(e.getKey() + "=" + e.getValue());
            }
            sb.append(q);
        }
        return new JdbcTarget(sb.toString(), url.user().orElse(null), url.password().orElse(null), vendor);
    }

    /**
     * The URL handed to the driver: as given, except {@code jdbc:mysql:} which becomes {@code jdbc:mariadb:}
     * when MySQL Connector/J is not on the class path (MariaDB Connector/J 3 refuses the {@code mysql}
     * scheme unless told {@code permitMysqlScheme}; it talks to MySQL servers as well).
     */
    String driverUrl() {
        if (vendor.equals("mysql") && jdbcUrl.regionMatches(true, 0, "jdbc:mysql:", 0, 11) && !mysqlDriverPresent()) {
            return "jdbc:mariadb:" + jdbcUrl.substring(11);
        }
        return jdbcUrl;
    }

    private static boolean mysqlDriverPresent() {
        try {
            Class.forName("com.mysql.cj.jdbc.Driver", false, JdbcTarget.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** True for H2 URLs. */
    boolean isH2() {
        return vendor.equals("h2");
    }

    /** The JDBC URL with secrets masked, for logs and errors. */
    String maskedUrl() {
        return ConnectionUrl.mask(jdbcUrl);
    }

    @Override
    public String toString() {
        return "JdbcTarget[" + maskedUrl() + (user == null ? "" : ", user=" + user)
                + (password == null ? "" : ", password=***") + "]";
    }
}
