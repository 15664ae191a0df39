package org.celeriac.backend.jdbc;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;

/**
 * Where the backend connects: a JDBC URL plus the credentials handed to the pool, derived from a
 * {@code jdbc:...} URL (used as is) or from Celery's SQLAlchemy-style {@code db+dialect[+driver]://...}
 * URL (syntax only; see the README). Immutable; {@link #toString()} never shows a password.
 *
 * @param jdbcUrl the JDBC URL, secrets included (never log it; use {@link #masked()})
 * @param user the user for the pool; null when the JDBC URL carries it ({@code ;USER=} in H2 URLs)
 * @param password the password for the pool; null when the JDBC URL carries it
 * @param vendor the database vendor
 * @param celeryScheme true when converted from a Celery {@code db+} URL
 */
record DatabaseTarget(String jdbcUrl, String user, String password, Vendor vendor, boolean celeryScheme) {

    /**
     * @throws ProviderException when the scheme is not one of this backend's, or the URL has no database
     */
    static DatabaseTarget of(ConnectionUrl url) {
        String scheme = url.scheme();
        if (scheme.equals("jdbc")) {
            String ssp = url.schemeSpecificPart();
            if (ssp.indexOf(':') <= 0) {
                throw new ProviderException("'" + url + "' is not a JDBC URL: expected jdbc:<driver>:<database>, e.g. "
                        + "jdbc:h2:file:/path/celeriac;AUTO_SERVER=TRUE or jdbc:postgresql://localhost:5432/celeriac");
            }
            String jdbc = url.unmasked();
            return new DatabaseTarget(jdbc, null, null, Vendor.ofJdbcUrl(jdbc), false);
        }
        if (!scheme.startsWith("db+")) {
            throw new ProviderException("the JDBC result backend does not serve scheme '" + scheme + "' ('" + url
                    + "'); use jdbc:..., or Celery's db+postgresql://, db+mysql://, db+mariadb://, db+sqlite:///");
        }
        String dialectAndDriver = scheme.substring(3);
        int plus = dialectAndDriver.indexOf('+');
        String dialect = plus < 0 ? dialectAndDriver : dialectAndDriver.substring(0, plus);
        String user = url.user().orElse(null);
        String password = url.password().orElse(null);
        String jdbc = switch (dialect) {
            case "postgresql", "postgres" -> "jdbc:postgresql://" + hosts(url, 5432) + "/" + database(url) + query(url);
            case "mysql" -> "jdbc:mysql://" + hosts(url, 3306) + "/" + database(url) + query(url);
            case "mariadb" -> "jdbc:mariadb://" + hosts(url, 3306) + "/" + database(url) + query(url);
            case "sqlite" -> "jdbc:sqlite:" + (url.path().isEmpty() ? ":memory:" : url.path());
            default -> throw new ProviderException("'" + url + "': SQLAlchemy dialect '" + dialect
                    + "' is not supported by the JDBC result backend; use db+postgresql://, db+mysql://, "
                    + "db+mariadb://, db+sqlite:/// or a jdbc: URL");
        };
        return new DatabaseTarget(jdbc, user, password, Vendor.ofJdbcUrl(jdbc), true);
    }

    private static String hosts(ConnectionUrl url, int defaultPort) {
        if (url.hosts().isEmpty()) {
            return "localhost:" + defaultPort;
        }
        return url.hosts().stream()
                .map(h -> (h.host().isEmpty() ? "localhost" : h.host()) + ":" + (h.port() < 0 ? defaultPort : h.port()))
                .collect(Collectors.joining(","));
    }

    private static String database(ConnectionUrl url) {
        String db = url.path();
        if (db.isEmpty() || db.contains("/")) {
            throw new ProviderException("'" + url + "' names no database: expected db+dialect://user:***@host:port/database");
        }
        return URLEncoder.encode(db, StandardCharsets.UTF_8);
    }

    private static String query(ConnectionUrl url) {
        Map<String, String> q = url.query();
        if (q.isEmpty()) {
            return "";
        }
        return q.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&", "?", ""));
    }

    /** The JDBC URL with its secrets masked, plus the pool user when there is one. */
    String masked() {
        return ConnectionUrl.mask(jdbcUrl) + (user == null ? "" : " (user " + user + ")");
    }

    /** True for an H2 URL in AUTO_SERVER mode (several processes share one file). */
    boolean h2AutoServer() {
        return vendor == Vendor.H2 && jdbcUrl.toUpperCase(Locale.ROOT).contains(";AUTO_SERVER=TRUE");
    }

    /**
     * The URL handed to the driver: {@link #jdbcUrl} as given, except {@code jdbc:mysql:} which becomes
     * {@code jdbc:mariadb:} when MySQL Connector/J is not on the class path (MariaDB Connector/J 3, bundled,
     * refuses the {@code mysql} scheme unless told {@code permitMysqlScheme}; it talks to MySQL servers too).
     */
    String driverUrl() {
        if (jdbcUrl.regionMatches(true, 0, "jdbc:mysql:", 0, 11) && !classPresent("com.mysql.cj.jdbc.Driver")) {
            return "jdbc:mariadb:" + jdbcUrl.substring(11);
        }
        return jdbcUrl;
    }

    private static boolean classPresent(String name) {
        try {
            Class.forName(name, false, DatabaseTarget.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /**
     * {@code text} with every secret of this target replaced by {@code ***}: the pool password, the
     * {@code ;PASSWORD=} / {@code password=} values of the JDBC URL, and any URL-shaped secret
     * ({@link ConnectionUrl#mask}). Driver and pool messages may quote the JDBC URL; pass them through
     * this before they reach a message or a log. Null-safe.
     */
    String scrub(String text) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String secret : secrets()) {
            out = out.replace(secret, "***");
        }
        return ConnectionUrl.mask(out);
    }

    private java.util.List<String> secrets() {
        java.util.List<String> secrets = new java.util.ArrayList<>();
        if (password != null && !password.isEmpty()) {
            secrets.add(password);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("(?i)[;?&](?:password|passwd|pwd|secret|token)=([^;&]+)").matcher(jdbcUrl);
        while (m.find()) {
            secrets.add(m.group(1));
        }
        return secrets;
    }

    /**
     * {@code t} itself when no message in its cause chain shows a secret; otherwise a copy of the chain
     * with scrubbed messages (same stack traces), so that logging the exception cannot leak the password.
     */
    Throwable scrub(Throwable t) {
        if (t == null || !leaks(t)) {
            return t;
        }
        Throwable copy = new ScrubbedException(t.getClass().getName() + ": " + scrub(t.getMessage()),
                t.getCause() == t ? null : scrub(t.getCause()));
        copy.setStackTrace(t.getStackTrace());
        return copy;
    }

    private boolean leaks(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
            String msg = x.getMessage();
            if (msg != null && !msg.equals(scrub(msg))) {
                return true;
            }
        }
        return false;
    }

    /** A stand-in for an exception whose message showed a secret; its message names the original class. */
    static final class ScrubbedException extends Exception {
        private static final long serialVersionUID = 1L;

        ScrubbedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Override
    public String toString() {
        return masked();
    }
}
