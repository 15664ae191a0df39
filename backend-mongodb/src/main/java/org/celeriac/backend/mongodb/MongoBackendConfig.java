package org.celeriac.backend.mongodb;

import com.mongodb.ConnectionString;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;

/**
 * Where and how the MongoDB backend stores results, resolved the way Celery's {@code MongoBackend.__init__}
 * ({@code celery/backends/mongodb.py}, 5.2.6) does: the URL gives hosts, credentials, database (path, default
 * {@code celery}) and options; {@code mongodb_backend_settings} ({@code host}, {@code port}, {@code mongo_host},
 * {@code user}, {@code password}, {@code database}, {@code taskmeta_collection}, {@code groupmeta_collection},
 * {@code options}, and any other key as a client option) overrides them. Immutable; holds the password: never
 * print {@link #connectionString()}.
 *
 * @param connectionString what the driver connects with (secrets included)
 * @param display the URL for messages, password masked
 * @param database the database name
 * @param taskCollection the task meta collection ({@code celery_taskmeta})
 * @param groupCollection the group meta collection ({@code celery_groupmeta})
 * @param chordCollection Celeriac's chord counter collection ({@code celeriac_chord_counters})
 * @param expires {@code result_expires}; {@link Duration#ZERO} when results never expire
 * @param dateDoneAsDate write {@code date_done} as a BSON date (Celery &ge; 5.3.4) instead of an ISO string (5.2.6)
 * @param cleanupInterval how often the backend deletes expired results by itself; zero: never
 */
record MongoBackendConfig(ConnectionString connectionString, String display, String database, String taskCollection,
                          String groupCollection, String chordCollection, Duration expires, boolean dateDoneAsDate,
                          Duration cleanupInterval) {

    /** The settings key Celery reads ({@code CELERY_MONGODB_BACKEND_SETTINGS} in old configurations). */
    static final String SETTINGS_KEY = "mongodb_backend_settings";
    /** {@code string} (default, as Python Celery 5.2.6 writes) or {@code date} (as Celery 5.3.4+ writes). */
    static final String DATE_DONE_KEY = "celeriac_mongodb_date_done";
    /** How often expired results are deleted by the backend itself (default 1 hour; 0 disables). */
    static final String CLEANUP_INTERVAL_KEY = "celeriac_mongodb_cleanup_interval";
    /** The collection of chord counters (default {@code celeriac_chord_counters}). */
    static final String CHORD_COLLECTION_KEY = "celeriac_mongodb_chord_collection";

    @Override
    public String toString() {
        return "MongoBackendConfig[" + display + ", database=" + database + ", " + taskCollection + ", "
                + groupCollection + "]";
    }

    /**
     * Resolves the configuration.
     *
     * @throws ProviderException when the URL or the settings are invalid; the message masks the password
     */
    static MongoBackendConfig from(ConnectionUrl url, Settings settings) {
        String scheme = url.scheme();
        if (!scheme.equals("mongodb") && !scheme.equals("mongodb+srv")) {
            throw new ProviderException("result_backend " + url + ": scheme '" + scheme
                    + "' is not served by " + MongoResultBackendProvider.ARTIFACT + " (mongodb, mongodb+srv)");
        }
        Map<String, Object> cfg = new LinkedHashMap<>();
        Object raw = settings.raw(SETTINGS_KEY).orElse(null);
        if (raw != null) {
            if (!(raw instanceof Map<?, ?> m)) {
                throw new ProviderException("setting " + SETTINGS_KEY + " must be a dict, e.g. {\"database\": \"mydb\", "
                        + "\"taskmeta_collection\": \"my_taskmeta\"}; it is a " + raw.getClass().getSimpleName());
            }
            m.forEach((k, v) -> cfg.put(String.valueOf(k), v));
        }
        Duration expires;
        Duration cleanup;
        try {
            expires = settings.duration("result_expires", Duration.ofDays(1));
            cleanup = settings.duration(CLEANUP_INTERVAL_KEY, Duration.ofHours(1));
        } catch (IllegalArgumentException e) {
            throw new ProviderException("result_backend " + url + ": " + e.getMessage(), e);
        }
        expires = expires == null || expires.isNegative() ? Duration.ZERO : expires;
        cleanup = cleanup == null || cleanup.isNegative() ? Duration.ZERO : cleanup;
        String dateDone = settings.string(DATE_DONE_KEY, "string").trim().toLowerCase(Locale.ROOT);
        if (!dateDone.equals("string") && !dateDone.equals("date")) {
            throw new ProviderException("setting " + DATE_DONE_KEY + ": '" + dateDone + "' is neither 'string' "
                    + "(ISO text, as Python Celery 5.2.6 writes) nor 'date' (BSON date, as Celery 5.3.4+ writes)");
        }

        // The base: the URL, or mongodb_backend_settings.host when that is itself a mongodb:// URI.
        String user = url.user().orElse(null);
        String password = url.password().orElse(null);
        List<String> hosts = new ArrayList<>();
        for (ConnectionUrl.Host h : url.hosts()) {
            if (!h.host().isEmpty()) {
                hosts.add(h.toString());
            }
        }
        String uriDatabase = url.path().replace("/", "").trim();
        Map<String, String> options = new LinkedHashMap<>(url.query());

        Object host = cfg.remove("host");
        Object port = cfg.remove("port");
        Object mongoHost = cfg.remove("mongo_host");
        if (host instanceof String s && (s.startsWith("mongodb://") || s.startsWith("mongodb+srv://"))) {
            ConnectionUrl hostUrl;
            try {
                hostUrl = ConnectionUrl.parse(s);
            } catch (IllegalArgumentException e) {
                throw new ProviderException("setting " + SETTINGS_KEY + ".host: " + e.getMessage(), e);
            }
            scheme = hostUrl.scheme();
            hosts.clear();
            hostUrl.hosts().forEach(h -> hosts.add(h.toString()));
            user = hostUrl.user().orElse(user);
            password = hostUrl.password().orElse(password);
            if (!hostUrl.path().isBlank()) {
                uriDatabase = hostUrl.path().replace("/", "").trim();
            }
            options.putAll(hostUrl.query());
        } else if (host != null || port != null) {
            // Celery: "these should take over uri conf"
            hosts.clear();
            hosts.add((host == null ? "localhost" : String.valueOf(host)) + ":" + portOf(port));
        }
        if (mongoHost != null) {
            hosts.clear();
            if (mongoHost instanceof List<?> l) {
                l.forEach(h -> hosts.add(String.valueOf(h)));
            } else {
                hosts.add(String.valueOf(mongoHost));
            }
        }
        if (hosts.isEmpty()) {
            hosts.add(scheme.equals("mongodb+srv") ? "localhost" : "localhost:27017");
        }
        if (cfg.containsKey("user")) {
            user = stringOrNull(cfg.remove("user"));
        }
        if (cfg.containsKey("password")) {
            password = stringOrNull(cfg.remove("password"));
        }
        String database = stringOrNull(cfg.remove("database"));
        if (database == null || database.isBlank()) {
            database = uriDatabase.isEmpty() ? "celery" : uriDatabase;
        }
        String taskCollection = String.valueOf(cfg.getOrDefault("taskmeta_collection", "celery_taskmeta"));
        String groupCollection = String.valueOf(cfg.getOrDefault("groupmeta_collection", "celery_groupmeta"));
        cfg.remove("taskmeta_collection");
        cfg.remove("groupmeta_collection");
        Object extra = cfg.remove("options");
        if (extra instanceof Map<?, ?> m) {
            m.forEach((k, v) -> options.put(String.valueOf(k), optionValue(v)));
        } else if (extra != null) {
            throw new ProviderException("setting " + SETTINGS_KEY + ".options must be a dict of MongoClient options");
        }
        cfg.forEach((k, v) -> options.put(k, optionValue(v)));
        // Celery's default pool size (MongoBackend.max_pool_size)
        if (options.keySet().stream().noneMatch(k -> k.equalsIgnoreCase("maxPoolSize"))) {
            options.put("maxPoolSize", "10");
        }

        StringBuilder text = new StringBuilder(scheme).append("://");
        if (user != null) {
            text.append(enc(user));
            if (password != null) {
                text.append(':').append(enc(password));
            }
            text.append('@');
        }
        text.append(String.join(",", hosts)).append('/');
        if (!uriDatabase.isEmpty()) {
            text.append(enc(uriDatabase));
        }
        if (!options.isEmpty()) {
            text.append('?');
            List<String> kv = new ArrayList<>();
            options.forEach((k, v) -> kv.add(enc(k) + "=" + enc(v)));
            text.append(String.join("&", kv));
        }
        String display = ConnectionUrl.mask(text.toString());
        ConnectionString cs;
        try {
            cs = new ConnectionString(text.toString());
        } catch (IllegalArgumentException e) {
            throw new ProviderException("result_backend " + url + " (resolved to " + display + "): "
                    + ConnectionUrl.mask(String.valueOf(e.getMessage()))
                    + "; see https://www.mongodb.com/docs/manual/reference/connection-string/", e);
        }
        return new MongoBackendConfig(cs, display, database, taskCollection, groupCollection,
                settings.string(CHORD_COLLECTION_KEY, "celeriac_chord_counters"), expires, dateDone.equals("date"),
                cleanup);
    }

    private static int portOf(Object port) {
        if (port == null) {
            return 27017;
        }
        if (port instanceof Number n) {
            return n.intValue();
        }
        try {
            return Integer.parseInt(String.valueOf(port).trim());
        } catch (NumberFormatException e) {
            throw new ProviderException("setting " + SETTINGS_KEY + ".port: '" + port + "' is not a port number");
        }
    }

    private static String stringOrNull(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    private static String optionValue(Object v) {
        if (v instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) {
            return String.valueOf(d.longValue());
        }
        return String.valueOf(v);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
