package org.celeriac.spi;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A broker or result-backend URL parsed into typed parts, kombu style:
 * {@code scheme://user:password@host:port/path?key=value}, several hosts joined by {@code ;} or
 * {@code ,} ({@code redis://h1:6379,h2:6379/0}), each host may repeat the scheme with its own path as kombu and
 * Celery spell Sentinel ({@code sentinel://h1:26379;sentinel://h2:26379},
 * {@code sentinel://:pw@h1:26379/3;sentinel://:pw@h2:26379/3}: the first part that names a user or password, a
 * path or a query gives it), and opaque forms such as
 * {@code jdbc:h2:file:/x;AUTO_SERVER=TRUE} or {@code memory://}.
 *
 * <p>The password is sensitive: {@link #toString()} prints it as {@code ***}, and so do parse
 * errors. Query parameters named like a secret ({@code password}, {@code pwd}, {@code secret},
 * {@code token}, any case, also as {@code ;PASSWORD=} in JDBC URLs) are masked too. Only
 * {@link #unmasked()} returns the original text; never log it. Immutable and thread-safe.
 */
public final class ConnectionUrl {
    private static final Pattern SECRET_PARAM =
            Pattern.compile("(?i)([;?&](?:password|passwd|pwd|secret|token)=)([^;&]*)");
    private static final Pattern USERINFO_PASSWORD = Pattern.compile("(//[^/@:;,]*:)([^@/]*)(@)");

    private final String raw;
    private final String scheme;
    private final String user;
    private final String password;
    private final List<Host> hosts;
    private final String path;
    private final Map<String, String> query;
    private final String schemeSpecificPart;

    /** One host of a URL; {@code port} is -1 when the URL gives none. */
    public record Host(String host, int port) {
        @Override
        public String toString() {
            return port < 0 ? host : host + ":" + port;
        }
    }

    private ConnectionUrl(String raw, String scheme, String user, String password, List<Host> hosts,
                          String path, Map<String, String> query, String schemeSpecificPart) {
        this.raw = raw;
        this.scheme = scheme;
        this.user = user;
        this.password = password;
        this.hosts = hosts;
        this.path = path;
        this.query = query;
        this.schemeSpecificPart = schemeSpecificPart;
    }

    /**
     * Parses a URL.
     *
     * @param url the URL; must not be null or blank
     * @return the parsed URL
     * @throws IllegalArgumentException when there is no scheme or a port is not a number; the message
     *         shows the URL with its secrets masked
     */
    public static ConnectionUrl parse(String url) {
        Objects.requireNonNull(url, "url");
        String text = url.trim();
        int colon = text.indexOf(':');
        if (text.isEmpty() || colon <= 0 || !text.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.\\-]*")) {
            throw new IllegalArgumentException("'" + mask(text) + "' is not a URL: expected scheme://host/... "
                    + "(e.g. redis://localhost:6379/0, amqp://guest:***@localhost:5672//, jdbc:h2:file:/path, memory://)");
        }
        String scheme = text.substring(0, colon).toLowerCase(Locale.ROOT);
        String ssp = text.substring(colon + 1);
        if (!ssp.startsWith("//")) {
            // opaque form: jdbc:h2:..., jdbc:postgresql://... keeps its own syntax
            return new ConnectionUrl(text, scheme, null, null, List.of(), "", Map.of(), ssp);
        }
        // several hosts may each repeat the scheme, each with its own path: kombu's
        // sentinel://h1:26379;sentinel://h2:26379 and Celery's sentinel://h1:26379/3;sentinel://h2:26379/3.
        // Each part is read alone; the first part that names a user/password, a path or a query gives it.
        String user = null;
        String password = null;
        String path = "";
        String queryText = "";
        List<Host> hosts = new ArrayList<>();
        for (String part : ssp.substring(2).split("[;,]\\s*[A-Za-z][A-Za-z0-9+.\\-]*://")) {
            String rest = part;
            int q = rest.indexOf('?');
            if (q >= 0) {
                if (queryText.isEmpty()) {
                    queryText = rest.substring(q + 1);
                }
                rest = rest.substring(0, q);
            }
            int slash = rest.indexOf('/');
            String authority = slash >= 0 ? rest.substring(0, slash) : rest;
            if (slash >= 0 && path.isEmpty()) {
                path = rest.substring(slash + 1);
            }
            int at = authority.lastIndexOf('@');
            if (at >= 0) {
                String userinfo = authority.substring(0, at);
                authority = authority.substring(at + 1);
                int c = userinfo.indexOf(':');
                String u = decode(c >= 0 ? userinfo.substring(0, c) : userinfo);
                if (user == null && password == null) {
                    user = u.isEmpty() ? null : u;
                    password = c >= 0 ? decode(userinfo.substring(c + 1)) : null;
                }
            }
            for (String h : authority.split("[;,]")) {
                Host host = host(text, h.trim());
                if (host != null) {
                    hosts.add(host);
                }
            }
        }
        Map<String, String> query = new LinkedHashMap<>();
        if (!queryText.isEmpty()) {
            for (String kv : queryText.split("&")) {
                int e = kv.indexOf('=');
                query.put(decode(e >= 0 ? kv.substring(0, e) : kv), e >= 0 ? decode(kv.substring(e + 1)) : "");
            }
        }
        return new ConnectionUrl(text, scheme, user, password, List.copyOf(hosts), decode(path),
                Collections.unmodifiableMap(query), ssp);
    }

    /** One {@code host[:port]}; null when empty. */
    private static Host host(String text, String hp) {
        if (hp.isEmpty()) {
            return null;
        }
        int port = -1;
        String host = hp;
        int pc = hp.lastIndexOf(':');
        if (pc >= 0 && !hp.endsWith("]")) {
            host = hp.substring(0, pc);
            try {
                port = Integer.parseInt(hp.substring(pc + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + mask(text) + "': port '" + hp.substring(pc + 1)
                        + "' is not a number");
            }
        }
        return new Host(host, port);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** Masks the secrets of any URL text (userinfo password, secret-like parameters). Null-safe. */
    public static String mask(String url) {
        if (url == null) {
            return null;
        }
        String m = USERINFO_PASSWORD.matcher(url).replaceAll(r -> Matcher.quoteReplacement(r.group(1) + "***" + r.group(3)));
        return SECRET_PARAM.matcher(m).replaceAll(r -> Matcher.quoteReplacement(r.group(1) + "***"));
    }

    /** The scheme in lower case, e.g. {@code redis}, {@code jdbc}, {@code sqla+postgresql}. */
    public String scheme() {
        return scheme;
    }

    /** The user name; empty when absent. */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    /** The password; empty when absent. Sensitive: never log it. */
    public Optional<String> password() {
        return Optional.ofNullable(password);
    }

    /** The hosts, in order; empty for opaque URLs and for {@code memory://}. */
    public List<Host> hosts() {
        return hosts;
    }

    /** The first host, or {@code defaultHost}:{@code defaultPort} when none (or its port) is given. */
    public Host host(String defaultHost, int defaultPort) {
        if (hosts.isEmpty()) {
            return new Host(defaultHost, defaultPort);
        }
        Host h = hosts.get(0);
        return new Host(h.host().isEmpty() ? defaultHost : h.host(), h.port() < 0 ? defaultPort : h.port());
    }

    /** The decoded path without its leading slash ({@code "0"} for {@code redis://h/0}, {@code "/"} for {@code amqp://h//}). */
    public String path() {
        return path;
    }

    /** Query parameters in order (unmodifiable); values decoded. */
    public Map<String, String> query() {
        return query;
    }

    /** Everything after {@code scheme:}, e.g. {@code h2:file:/x} for a JDBC URL. Sensitive like the whole URL. */
    public String schemeSpecificPart() {
        return schemeSpecificPart;
    }

    /** True when the URL has no {@code //} authority part ({@code jdbc:h2:...}). */
    public boolean isOpaque() {
        return !schemeSpecificPart.startsWith("//");
    }

    /** The URL exactly as given, secrets included. Never log or print it. */
    public String unmasked() {
        return raw;
    }

    /** The URL with secrets replaced by {@code ***}. */
    @Override
    public String toString() {
        return mask(raw);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConnectionUrl other && raw.equals(other.raw);
    }

    @Override
    public int hashCode() {
        return raw.hashCode();
    }
}
