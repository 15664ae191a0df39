package org.celeriac.core.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The effective configuration under Celery's lowercase setting names. Sources, later ones winning:
 * <ol>
 *   <li>built-in defaults (Celery 5.2's, with Celeriac's choices: {@code broker_url} and
 *       {@code result_backend} unset, meaning the {@link EmbeddedDefault}; {@code worker_pool} "threads");</li>
 *   <li>a config file: {@code .properties}, {@code .yaml}/{@code .yml}, or a Python
 *       {@code celeryconfig.py} subset (see {@link PythonConfigReader}); given by
 *       {@link Builder#configFile}, else by {@code CELERIAC_CONFIG} or {@code -Dceleriac.config};</li>
 *   <li>environment variables {@code CELERIAC_<NAME>} ({@code CELERIAC_BROKER_URL},
 *       {@code CELERIAC_WORKER_CONCURRENCY}; {@code CELERIAC_DATA_DIR} sets {@code celeriac_data_dir});</li>
 *   <li>system properties {@code celeriac.<name>} ({@code -Dceleriac.broker_url=...});</li>
 *   <li>values set on the {@link Builder}.</li>
 * </ol>
 * Celery's old uppercase names ({@code BROKER_URL}, {@code CELERYD_CONCURRENCY}, …, see
 * {@link SettingNames#aliases()}) are accepted in every source with a one-time WARN naming the new
 * name; within one source the new name wins over an old one. Unknown names are kept (DEBUG log).
 * String values that look like a list or dict ({@code [..]}, {@code {..}}) are parsed as Python/JSON
 * literals. {@link #toString()} masks passwords in every URL-looking value.
 *
 * <p>Immutable and thread-safe.
 */
public final class CeleriacConfig implements Settings {
    /** Setting naming the directory of the embedded default database (env {@code CELERIAC_DATA_DIR}). */
    public static final String DATA_DIR = "celeriac_data_dir";
    /** Environment variable / system property naming the config file. */
    public static final String CONFIG_ENV = "CELERIAC_CONFIG";
    public static final String CONFIG_PROPERTY = "celeriac.config";

    private static final Logger LOG = LoggerFactory.getLogger(CeleriacConfig.class);
    private static final Set<String> WARNED_ALIASES = ConcurrentHashMap.newKeySet();
    private static final String DEFAULT = "default";

    private final Map<String, Object> values;
    private final Map<String, String> origins;
    private final AtomicBoolean contentWarned = new AtomicBoolean();

    private CeleriacConfig(Map<String, Object> values, Map<String, String> origins) {
        this.values = Collections.unmodifiableMap(values);
        this.origins = Map.copyOf(origins);
    }

    /** A builder; by default it reads {@link System#getenv()} and {@link System#getProperties()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The built-in defaults only (no file, environment or system properties). */
    public static CeleriacConfig defaults() {
        return builder().environment(Map.of()).systemProperties(new Properties()).build();
    }

    /** Celery-style defaults with Celeriac's choices; a fresh mutable map in a stable order. */
    static Map<String, Object> defaultValues() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("broker_url", null);
        d.put("result_backend", null);
        d.put("task_serializer", "json");
        d.put("result_serializer", "json");
        d.put("accept_content", List.of("json"));
        d.put("result_accept_content", null);
        d.put("task_default_queue", "celery");
        d.put("task_default_exchange", "celery");
        d.put("task_default_exchange_type", "direct");
        d.put("task_default_routing_key", "celery");
        d.put("task_default_priority", null);
        d.put("task_default_delivery_mode", 2L);
        d.put("task_default_rate_limit", null);
        d.put("worker_concurrency", (long) Runtime.getRuntime().availableProcessors());
        d.put("worker_prefetch_multiplier", 4L);
        d.put("task_acks_late", false);
        d.put("task_reject_on_worker_lost", false);
        d.put("task_track_started", false);
        d.put("task_ignore_result", false);
        d.put("task_store_errors_even_if_ignored", false);
        d.put("result_expires", 86_400L);
        d.put("result_extended", false);
        d.put("task_always_eager", false);
        d.put("task_eager_propagates", false);
        d.put("task_time_limit", null);
        d.put("task_soft_time_limit", null);
        d.put("task_default_retry_delay", 180L);
        d.put("task_max_retries", 3L);
        d.put("task_protocol", 2L);
        d.put("task_compression", null);
        d.put("result_compression", null);
        d.put("task_create_missing_queues", true);
        d.put("task_routes", null);
        d.put("task_annotations", null);
        d.put("task_queues", null);
        d.put("broker_connection_retry", true);
        d.put("broker_connection_retry_on_startup", true);
        d.put("broker_connection_max_retries", 100L);
        d.put("broker_connection_timeout", 4.0d);
        d.put("broker_transport_options", Map.of());
        d.put("result_backend_transport_options", Map.of());
        d.put("worker_pool", "threads");
        d.put("worker_send_task_events", false);
        d.put("task_send_sent_event", false);
        d.put("worker_hijack_root_logger", true);
        d.put("worker_redirect_stdouts", true);
        d.put("worker_redirect_stdouts_level", "WARNING");
        d.put("worker_log_format", "[%(asctime)s: %(levelname)s/%(processName)s] %(message)s");
        d.put("worker_task_log_format",
                "[%(asctime)s: %(levelname)s/%(processName)s] %(task_name)s[%(task_id)s]: %(message)s");
        d.put("worker_disable_rate_limits", false);
        d.put("worker_enable_remote_control", true);
        d.put("worker_lost_wait", 10.0d);
        d.put("event_serializer", "json");
        d.put("event_queue_prefix", "celeryev");
        d.put("event_exchange", "celeryev");
        d.put("event_queue_ttl", 5.0d);
        d.put("event_queue_expires", 60.0d);
        d.put("control_exchange", "celery");
        d.put("control_queue_ttl", 300.0d);
        d.put("control_queue_expires", 10.0d);
        d.put("beat_schedule", Map.of());
        d.put("beat_max_loop_interval", 0L);
        d.put("timezone", "UTC");
        d.put("enable_utc", true);
        d.put(DATA_DIR, null);
        return d;
    }

    // ------------------------------------------------------------------ Settings

    @Override
    public Optional<Object> raw(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** All settings, including unset ones (null values), in a stable order. Values may hold secrets. */
    @Override
    public Map<String, Object> asMap() {
        return values;
    }

    /**
     * Where a setting's value comes from, e.g. {@code default}, {@code config file /etc/celeryconfig.py line 3},
     * {@code environment variable CELERIAC_BROKER_URL}, {@code system property celeriac.broker_url},
     * {@code builder}; {@code unset} when no source sets it.
     */
    public String origin(String key) {
        return origins.getOrDefault(key, "unset");
    }

    @Override
    public int integer(String key, int def) {
        try {
            return Settings.super.integer(key, def);
        } catch (IllegalArgumentException e) {
            throw sourced(key, e);
        }
    }

    @Override
    public boolean bool(String key, boolean def) {
        try {
            return Settings.super.bool(key, def);
        } catch (IllegalArgumentException e) {
            throw sourced(key, e);
        }
    }

    @Override
    public Duration duration(String key, Duration def) {
        try {
            return Settings.super.duration(key, def);
        } catch (IllegalArgumentException e) {
            throw sourced(key, e);
        }
    }

    private ConfigException sourced(String key, IllegalArgumentException e) {
        return new ConfigException(e.getMessage() + " (from " + origin(key) + "); fix or remove it", e);
    }

    // ------------------------------------------------------------------ typed accessors

    /** {@code broker_url}; empty means "use the embedded default". */
    public Optional<String> brokerUrl() {
        return string("broker_url").filter(s -> !s.isBlank());
    }

    /** {@code result_backend}; empty means "use the embedded default". */
    public Optional<String> resultBackend() {
        return string("result_backend").filter(s -> !s.isBlank());
    }

    /** {@code task_serializer} (a name such as {@code json}, or a content type). */
    public String taskSerializer() {
        return string("task_serializer", "json");
    }

    /** {@code result_serializer}. */
    public String resultSerializer() {
        return string("result_serializer", "json");
    }

    /** {@code accept_content} as given (serializer names or content types). */
    public List<String> acceptContent() {
        return list("accept_content");
    }

    /** {@code accept_content} mapped to content types ({@code json} → {@code application/json}), no duplicates. */
    public List<String> acceptContentTypes() {
        return toContentTypes(acceptContent());
    }

    /** {@code result_accept_content} mapped to content types; {@link #acceptContentTypes()} when unset. */
    public List<String> resultAcceptContentTypes() {
        return raw("result_accept_content").isPresent() ? toContentTypes(list("result_accept_content"))
                : acceptContentTypes();
    }

    private static List<String> toContentTypes(List<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String n : names) {
            out.add(ContentTypes.of(n));
        }
        return List.copyOf(out);
    }

    /**
     * The content types of {@code accept_content} and {@code result_accept_content} that no
     * serializer serves ({@code pickle}, {@code yaml}, {@code msgpack} from old Python configs).
     *
     * @param served tells whether a content type has a serializer on the class path
     */
    public List<String> unservedContentTypes(Predicate<String> served) {
        Set<String> all = new LinkedHashSet<>(acceptContentTypes());
        all.addAll(resultAcceptContentTypes());
        return all.stream().filter(ct -> !served.test(ct)).toList();
    }

    /**
     * Logs one WARN (the first time only, per configuration) naming the accepted content types that no
     * serializer serves; messages of those types will be refused. Never fails.
     *
     * @return the unserved content types (empty when all are served), on every call
     */
    public List<String> warnOnceAboutUnservedContentTypes(Predicate<String> served) {
        List<String> missing = unservedContentTypes(served);
        if (!missing.isEmpty() && contentWarned.compareAndSet(false, true)) {
            List<String> described = missing.stream().map(ct -> ct + " (" + ContentTypes.nameOf(ct) + ")").toList();
            LOG.warn("accept_content lists {} but no serializer on the class path reads {}; messages of {} "
                            + "will be refused. Python's pickle, yaml and msgpack have no Java serializer: send json "
                            + "from the Python side (task_serializer = 'json') and drop them from accept_content "
                            + "({}), or add the Celeriac module that provides the serializer.",
                    described, missing.size() == 1 ? "it" : "them", missing.size() == 1 ? "that type" : "those types",
                    origin("accept_content"));
        }
        return missing;
    }

    /** {@code worker_concurrency}; defaults to the number of processors. */
    public int concurrency() {
        int c = integer("worker_concurrency", Runtime.getRuntime().availableProcessors());
        return c > 0 ? c : Runtime.getRuntime().availableProcessors();
    }

    /** {@code worker_prefetch_multiplier}. */
    public int prefetchMultiplier() {
        return integer("worker_prefetch_multiplier", 4);
    }

    public String defaultQueue() {
        return string("task_default_queue", "celery");
    }

    /** {@code task_default_exchange}; Celery takes it from the default queue when unset. */
    public String defaultExchange() {
        return string("task_default_exchange").orElse(defaultQueue());
    }

    /** {@code task_default_routing_key}; Celery takes it from the default queue when unset. */
    public String defaultRoutingKey() {
        return string("task_default_routing_key").orElse(defaultQueue());
    }

    /** {@code task_default_priority}; empty when unset. */
    public Optional<Integer> defaultPriority() {
        return raw("task_default_priority").map(v -> integer("task_default_priority", 0));
    }

    public boolean acksLate() {
        return bool("task_acks_late", false);
    }

    public boolean rejectOnWorkerLost() {
        return bool("task_reject_on_worker_lost", false);
    }

    public boolean trackStarted() {
        return bool("task_track_started", false);
    }

    public boolean ignoreResult() {
        return bool("task_ignore_result", false);
    }

    public boolean storeErrorsEvenIfIgnored() {
        return bool("task_store_errors_even_if_ignored", false);
    }

    /** {@code result_expires}; empty when results never expire ({@code None} or 0). */
    public Optional<Duration> resultExpires() {
        Duration d = duration("result_expires", null);
        return d == null || d.isZero() ? Optional.empty() : Optional.of(d);
    }

    public boolean resultExtended() {
        return bool("result_extended", false);
    }

    public boolean alwaysEager() {
        return bool("task_always_eager", false);
    }

    public boolean eagerPropagates() {
        return bool("task_eager_propagates", false);
    }

    /** {@code task_time_limit}; empty when unset. */
    public Optional<Duration> timeLimit() {
        return Optional.ofNullable(duration("task_time_limit", null));
    }

    /** {@code task_soft_time_limit}; empty when unset. */
    public Optional<Duration> softTimeLimit() {
        return Optional.ofNullable(duration("task_soft_time_limit", null));
    }

    /** {@code task_default_retry_delay} (Celery's per-task {@code default_retry_delay}), 180 s by default. */
    public Duration defaultRetryDelay() {
        return Objects.requireNonNullElse(duration("task_default_retry_delay", null), Duration.ofSeconds(180));
    }

    /** {@code task_max_retries}; empty means no limit ({@code None}). */
    public Optional<Integer> maxRetries() {
        return raw("task_max_retries").filter(v -> !"none".equalsIgnoreCase(String.valueOf(v).trim()))
                .map(v -> integer("task_max_retries", 3));
    }

    public int taskProtocol() {
        return integer("task_protocol", 2);
    }

    public Optional<String> taskCompression() {
        return string("task_compression").filter(s -> !s.isBlank());
    }

    public Optional<String> resultCompression() {
        return string("result_compression").filter(s -> !s.isBlank());
    }

    public boolean createMissingQueues() {
        return bool("task_create_missing_queues", true);
    }

    public boolean connectionRetryOnStartup() {
        return bool("broker_connection_retry_on_startup", true);
    }

    public Map<String, Object> brokerTransportOptions() {
        return map("broker_transport_options");
    }

    /** {@code worker_pool}: {@code threads} (platform threads) or {@code virtual}. */
    public String workerPool() {
        return string("worker_pool", "threads");
    }

    public boolean sendTaskEvents() {
        return bool("worker_send_task_events", false);
    }

    public boolean sendSentEvent() {
        return bool("task_send_sent_event", false);
    }

    /**
     * {@code timezone}.
     *
     * @throws ConfigException naming the source when it is not a time-zone id
     */
    public ZoneId timezone() {
        String tz = string("timezone", "UTC");
        try {
            return ZoneId.of(tz);
        } catch (RuntimeException e) {
            throw new ConfigException("setting timezone: '" + tz + "' is not a time zone (from " + origin("timezone")
                    + "); use an IANA name such as UTC or Europe/Paris", e);
        }
    }

    public boolean enableUtc() {
        return bool("enable_utc", true);
    }

    /** {@code celeriac_data_dir}; empty when unset. */
    public Optional<Path> dataDir() {
        return string(DATA_DIR).filter(s -> !s.isBlank()).map(Path::of);
    }

    /** All settings with URL passwords and secret-named values masked, keys sorted. */
    @Override
    public String toString() {
        Map<String, Object> sorted = new TreeMap<>();
        values.forEach((k, v) -> sorted.put(k, masked(k, v)));
        return "CeleriacConfig" + sorted;
    }

    private static Object masked(String key, Object v) {
        if (v == null) {
            return null;
        }
        String k = key.toLowerCase(Locale.ROOT);
        if (k.contains("password") || k.contains("secret") || k.contains("token")) {
            return "***";
        }
        if (v instanceof String s) {
            return s.contains("://") || s.contains(":") && s.toLowerCase(Locale.ROOT).startsWith("jdbc:")
                    || s.contains("@") ? ConnectionUrl.mask(s) : s;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((mk, mv) -> out.put(String.valueOf(mk), masked(String.valueOf(mk), mv)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(masked("", x)));
            return out;
        }
        return v;
    }

    /** Forgets which deprecation warnings were logged (test support). */
    static void resetWarnings() {
        WARNED_ALIASES.clear();
    }

    // ------------------------------------------------------------------ builder

    /** Collects the sources and builds a {@link CeleriacConfig}. Not thread-safe. */
    public static final class Builder {
        private Path configFile;
        private Map<String, String> environment;
        private Properties systemProperties;
        private final Map<String, Object> explicit = new LinkedHashMap<>();

        private Builder() {
        }

        /** The config file ({@code --config FILE}); {@code .properties}, {@code .yaml}, {@code .yml} or {@code .py}. Nullable. */
        public Builder configFile(Path file) {
            this.configFile = file;
            return this;
        }

        /** Sets a value (highest precedence). The key may be an old uppercase name. The value is nullable. */
        public Builder set(String key, Object value) {
            explicit.put(Objects.requireNonNull(key, "key"), value);
            return this;
        }

        /** Sets several values, as {@link #set} does. */
        public Builder setAll(Map<String, ?> settings) {
            settings.forEach(this::set);
            return this;
        }

        /** The environment to read {@code CELERIAC_*} variables from; {@link System#getenv()} by default. */
        public Builder environment(Map<String, String> env) {
            this.environment = Map.copyOf(env);
            return this;
        }

        /** The system properties to read {@code celeriac.*} from; {@link System#getProperties()} by default. */
        public Builder systemProperties(Properties props) {
            Properties copy = new Properties();
            copy.putAll(props);
            this.systemProperties = copy;
            return this;
        }

        /**
         * Reads every source and merges them.
         *
         * @throws ConfigException when the config file is missing or malformed; the message names the
         *         file (and line) and what to fix
         */
        public CeleriacConfig build() {
            Map<String, String> env = environment != null ? environment : System.getenv();
            Properties props = systemProperties != null ? systemProperties : System.getProperties();
            Map<String, Object> values = defaultValues();
            Map<String, String> origins = new LinkedHashMap<>();
            values.keySet().forEach(k -> origins.put(k, DEFAULT));

            Path file = configFile;
            if (file == null && props.getProperty(CONFIG_PROPERTY) != null) {
                file = Path.of(props.getProperty(CONFIG_PROPERTY));
            } else if (file == null && env.get(CONFIG_ENV) != null && !env.get(CONFIG_ENV).isBlank()) {
                file = Path.of(env.get(CONFIG_ENV));
            }
            if (file != null) {
                Map<String, Integer> lines = new LinkedHashMap<>();
                Map<String, Object> fileValues = readFile(file, lines);
                Path shown = file;
                merge(values, origins, fileValues, k -> "config file " + shown
                        + (lines.containsKey(k) ? " line " + lines.get(k) : ""), true);
            }

            Map<String, Object> envValues = new LinkedHashMap<>();
            new TreeMap<>(env).forEach((name, value) -> {
                if (name.startsWith("CELERIAC_") && name.length() > "CELERIAC_".length() && !name.equals(CONFIG_ENV)) {
                    String key = name.equals("CELERIAC_DATA_DIR") ? DATA_DIR
                            : name.substring("CELERIAC_".length()).toLowerCase(Locale.ROOT);
                    envValues.put(key, value);
                }
            });
            merge(values, origins, envValues, k -> "environment variable " + envNameOf(k, env), true);

            Map<String, Object> propValues = new LinkedHashMap<>();
            for (String name : new java.util.TreeSet<>(props.stringPropertyNames())) {
                if (name.startsWith("celeriac.") && name.length() > "celeriac.".length() && !name.equals(CONFIG_PROPERTY)) {
                    propValues.put(name.substring("celeriac.".length()), props.getProperty(name));
                }
            }
            merge(values, origins, propValues, k -> "system property celeriac." + k, true);

            merge(values, origins, explicit, k -> "builder", false);
            return new CeleriacConfig(values, origins);
        }

        private static String envNameOf(String key, Map<String, String> env) {
            if (key.equals(DATA_DIR)) {
                return "CELERIAC_DATA_DIR";
            }
            return "CELERIAC_" + key.toUpperCase(Locale.ROOT);
        }
    }

    /**
     * Merges one source: old names first, then current names (so the current name wins within a
     * source). {@code originOf} receives the key as the source spelled it.
     */
    private static void merge(Map<String, Object> values, Map<String, String> origins, Map<String, Object> layer,
                              java.util.function.Function<String, String> originOf, boolean parseText) {
        Map<String, String> setByCurrentName = new LinkedHashMap<>();
        List<Map.Entry<String, Object>> aliased = new ArrayList<>();
        List<Map.Entry<String, Object>> current = new ArrayList<>();
        for (Map.Entry<String, Object> e : layer.entrySet()) {
            (SettingNames.currentNameOf(e.getKey()).isPresent() ? aliased : current).add(e);
        }
        for (Map.Entry<String, Object> e : current) {
            String key = e.getKey();
            if (!SettingNames.isKnown(key) && !values.containsKey(key)) {
                LOG.debug("Setting {} ({}) is not a Celery or Celeriac setting; kept as given", key, originOf.apply(key));
            }
            values.put(key, parseText ? literalOrText(e.getValue()) : e.getValue());
            origins.put(key, originOf.apply(key));
            setByCurrentName.put(key, key);
        }
        for (Map.Entry<String, Object> e : aliased) {
            String old = e.getKey();
            String now = SettingNames.currentNameOf(old).orElseThrow();
            String where = originOf.apply(old);
            if (WARNED_ALIASES.add(old)) {
                LOG.warn("Setting {} ({}) is Celery's old name for {}; it still works, but rename it to {}",
                        old, where, now, now);
            }
            if (setByCurrentName.containsKey(now)) {
                LOG.warn("{} and {} are both set by {}; using {}", old, now, where.replaceAll(" line \\d+$", ""), now);
                continue;
            }
            values.put(now, parseText ? literalOrText(e.getValue()) : e.getValue());
            origins.put(now, where);
        }
    }

    /** Text that looks like a list or dict literal is parsed; everything else is kept as given. */
    private static Object literalOrText(Object v) {
        if (v instanceof String s) {
            String t = s.strip();
            if (t.startsWith("[") && t.endsWith("]") || t.startsWith("{") && t.endsWith("}")
                    || t.startsWith("(") && t.endsWith(")")) {
                try {
                    return PythonConfigReader.parseLiteral(t);
                } catch (PythonConfigReader.NotLiteralException e) {
                    return s;
                }
            }
        }
        return v;
    }

    // ------------------------------------------------------------------ files

    private static Map<String, Object> readFile(Path file, Map<String, Integer> lines) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file.toAbsolutePath() + " does not exist; check the path given "
                    + "with --config (or CELERIAC_CONFIG / -Dceleriac.config)", e);
        } catch (IOException e) {
            throw new ConfigException("config file " + file.toAbsolutePath() + " cannot be read: " + e
                    + "; check that it is a readable UTF-8 text file", e);
        }
        if (name.endsWith(".py")) {
            return PythonConfigReader.read(file, text, lines);
        }
        if (name.endsWith(".yaml") || name.endsWith(".yml")) {
            return readYaml(file, text);
        }
        if (name.endsWith(".properties")) {
            return readProperties(file, text, lines);
        }
        throw new ConfigException("config file " + file + ": unknown file type; use a .properties, .yaml, .yml "
                + "or .py (celeryconfig.py) file");
    }

    private static Map<String, Object> readYaml(Path file, String text) {
        Object doc;
        try {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            throw new ConfigException("config file " + file + (m != null ? " line " + (m.getLine() + 1) : "")
                    + ": not valid YAML: " + e.getProblem() + "; fix the syntax there", e);
        } catch (YAMLException e) {
            throw new ConfigException("config file " + file + ": not valid YAML: " + e.getMessage(), e);
        }
        if (doc == null) {
            return Map.of();
        }
        if (!(doc instanceof Map<?, ?> m)) {
            throw new ConfigException("config file " + file + ": expected a mapping of setting names to values "
                    + "(e.g. 'broker_url: redis://localhost:6379/0'), found a " + doc.getClass().getSimpleName());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(String.valueOf(k), normalizeYaml(v)));
        return out;
    }

    private static Object normalizeYaml(Object v) {
        if (v instanceof Integer i) {
            return i.longValue();
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), normalizeYaml(x)));
            return Collections.unmodifiableMap(out);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(normalizeYaml(x)));
            return Collections.unmodifiableList(out);
        }
        return v;
    }

    private static Map<String, Object> readProperties(Path file, String text, Map<String, Integer> lines) {
        Properties p = new Properties();
        try (Reader r = new java.io.StringReader(text)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("config file " + file + ": not a valid .properties file: " + e.getMessage()
                    + "; check for a malformed \\uXXXX escape", e);
        }
        String[] fileLines = text.split("\r?\n", -1);
        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : new java.util.TreeSet<>(p.stringPropertyNames())) {
            String key = k.startsWith("celeriac.") ? k.substring("celeriac.".length()) : k;
            out.put(key, p.getProperty(k));
            for (int i = 0; i < fileLines.length; i++) {
                String l = fileLines[i].stripLeading();
                if (l.startsWith(k) && l.substring(k.length()).matches("\\s*[=:\\s].*|\\s*")) {
                    lines.put(key, i + 1);
                }
            }
        }
        return out;
    }
}
