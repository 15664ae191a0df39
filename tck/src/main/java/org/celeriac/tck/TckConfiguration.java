package org.celeriac.tck;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * What the URL-driven suites ({@link UrlBrokerTck}, {@link UrlResultBackendTck}, {@link UrlSerializerTck})
 * run against: a broker URL, a result-backend URL, a serializer name, extra settings and the class
 * path of the implementation. Each part is optional; a suite whose part is missing is not run by
 * {@link TckRunner} and is skipped (with a message naming the property) when JUnit runs it directly.
 * Immutable and thread-safe.
 *
 * <p>System properties read by {@link #fromSystemProperties()}:
 * <ul>
 *   <li>{@value #BROKER_URL} — e.g. {@code memory://}, {@code jdbc:h2:file:/tmp/x}, {@code filesystem:///tmp/q};</li>
 *   <li>{@value #RESULT_BACKEND_URL} — e.g. {@code memory://};</li>
 *   <li>{@value #SERIALIZER} — a serializer name or content type, e.g. {@code json};</li>
 *   <li>{@value #SETTING_PREFIX}{@code <name>} — a Celery setting handed to the providers; a dotted name
 *       nests into a map ({@code celeriac.tck.setting.broker_transport_options.visibility_timeout=2});</li>
 *   <li>{@value #SECOND_PROCESS} — {@code true}/{@code false}: whether the cross-process rules launch a
 *       second JVM (default: only when the backend reports itself persistent);</li>
 *   <li>{@value #CLASSPATH} — the implementation's jars, separated by the platform path separator
 *       (the second process gets them too).</li>
 * </ul>
 *
 * @param brokerUrl the broker URL; nullable (no broker rules)
 * @param resultBackendUrl the result-backend URL; nullable (no result-backend rules)
 * @param serializer the serializer name or content type; nullable (no serializer rules)
 * @param settings Celery settings for the providers ({@code broker_transport_options}, {@code result_expires}, …); unmodifiable
 * @param classpath extra class-path entries of the implementation under test; unmodifiable
 * @param secondProcess whether to launch a second JVM for the cross-process rules; null: when the backend is persistent
 */
public record TckConfiguration(String brokerUrl, String resultBackendUrl, String serializer, Map<String, Object> settings,
                               List<Path> classpath, Boolean secondProcess) {

    /** System property: the broker URL. */
    public static final String BROKER_URL = "celeriac.tck.broker-url";
    /** System property: the result-backend URL. */
    public static final String RESULT_BACKEND_URL = "celeriac.tck.result-backend-url";
    /** System property: the serializer name or content type. */
    public static final String SERIALIZER = "celeriac.tck.serializer";
    /** System property prefix: one Celery setting each. */
    public static final String SETTING_PREFIX = "celeriac.tck.setting.";
    /** System property: launch a second JVM for the cross-process rules ({@code true}/{@code false}). */
    public static final String SECOND_PROCESS = "celeriac.tck.second-process";
    /** System property: the implementation's class path. */
    public static final String CLASSPATH = "celeriac.tck.classpath";

    public TckConfiguration {
        brokerUrl = blankToNull(brokerUrl);
        resultBackendUrl = blankToNull(resultBackendUrl);
        serializer = blankToNull(serializer);
        settings = settings == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        classpath = classpath == null ? List.of() : List.copyOf(classpath);
    }

    /** A configuration with nothing set; add parts with the {@code with…} methods. */
    public static TckConfiguration empty() {
        return new TckConfiguration(null, null, null, Map.of(), List.of(), null);
    }

    /** This configuration with the broker URL {@code url} (nullable). */
    public TckConfiguration withBroker(String url) {
        return new TckConfiguration(url, resultBackendUrl, serializer, settings, classpath, secondProcess);
    }

    /** This configuration with the result-backend URL {@code url} (nullable). */
    public TckConfiguration withResultBackend(String url) {
        return new TckConfiguration(brokerUrl, url, serializer, settings, classpath, secondProcess);
    }

    /** This configuration with the serializer {@code nameOrContentType} (nullable). */
    public TckConfiguration withSerializer(String nameOrContentType) {
        return new TckConfiguration(brokerUrl, resultBackendUrl, nameOrContentType, settings, classpath, secondProcess);
    }

    /** This configuration with one more setting; a dotted name nests into a map. */
    public TckConfiguration withSetting(String name, Object value) {
        Map<String, Object> s = deepCopy(settings);
        put(s, name, value);
        return new TckConfiguration(brokerUrl, resultBackendUrl, serializer, s, classpath, secondProcess);
    }

    /** This configuration with the implementation's class path (jars or directories). */
    public TckConfiguration withClasspath(List<Path> entries) {
        return new TckConfiguration(brokerUrl, resultBackendUrl, serializer, settings, entries, secondProcess);
    }

    /** This configuration with the cross-process rules switched on or off (null: automatic). */
    public TckConfiguration withSecondProcess(Boolean enabled) {
        return new TckConfiguration(brokerUrl, resultBackendUrl, serializer, settings, classpath, enabled);
    }

    /**
     * Reads the configuration from system properties (see the class comment).
     *
     * @return the configuration; parts not given are null/empty
     */
    public static TckConfiguration fromSystemProperties() {
        return fromProperties(System.getProperties());
    }

    /** Reads the configuration from {@code properties} (see the class comment). */
    public static TckConfiguration fromProperties(Properties properties) {
        Objects.requireNonNull(properties, "properties");
        TckConfiguration c = new TckConfiguration(properties.getProperty(BROKER_URL),
                properties.getProperty(RESULT_BACKEND_URL), properties.getProperty(SERIALIZER), Map.of(),
                parsePath(properties.getProperty(CLASSPATH)), parseBoolean(properties.getProperty(SECOND_PROCESS)));
        for (String name : properties.stringPropertyNames()) {
            if (name.startsWith(SETTING_PREFIX) && name.length() > SETTING_PREFIX.length()) {
                c = c.withSetting(name.substring(SETTING_PREFIX.length()), properties.getProperty(name));
            }
        }
        return c;
    }

    /**
     * The system properties that reproduce this configuration in another JVM ({@code -Dk=v} each).
     * Settings are flattened to dotted names; values are strings.
     */
    public Map<String, String> toSystemProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        if (brokerUrl != null) {
            p.put(BROKER_URL, brokerUrl);
        }
        if (resultBackendUrl != null) {
            p.put(RESULT_BACKEND_URL, resultBackendUrl);
        }
        if (serializer != null) {
            p.put(SERIALIZER, serializer);
        }
        flatten("", settings, p);
        if (!classpath.isEmpty()) {
            p.put(CLASSPATH, String.join(File.pathSeparator, classpath.stream().map(Path::toString).toList()));
        }
        if (secondProcess != null) {
            p.put(SECOND_PROCESS, secondProcess.toString());
        }
        return p;
    }

    private static void flatten(String prefix, Map<String, Object> m, Map<String, String> out) {
        m.forEach((k, v) -> {
            if (v instanceof Map<?, ?> nested) {
                @SuppressWarnings("unchecked")
                Map<String, Object> n = (Map<String, Object>) nested;
                flatten(prefix + k + ".", n, out);
            } else {
                out.put(SETTING_PREFIX + prefix + k, String.valueOf(v));
            }
        });
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static Boolean parseBoolean(String s) {
        if (s == null || s.isBlank() || s.equalsIgnoreCase("auto")) {
            return null;
        }
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> Boolean.TRUE;
            case "false", "no", "0", "off" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException(SECOND_PROCESS + ": '" + s + "' is not true, false or auto");
        };
    }

    private static List<Path> parsePath(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        for (String e : s.split(File.pathSeparator)) {
            if (!e.isBlank()) {
                out.add(Path.of(e.trim()));
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v instanceof Map<?, ?> n ? deepCopy((Map<String, Object>) n) : v));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void put(Map<String, Object> m, String dotted, Object value) {
        int dot = dotted.indexOf('.');
        if (dot < 0) {
            m.put(dotted, value);
            return;
        }
        Object child = m.get(dotted.substring(0, dot));
        Map<String, Object> nested;
        if (child instanceof Map<?, ?> c) {
            nested = (Map<String, Object>) c;
        } else {
            nested = new LinkedHashMap<>();
            m.put(dotted.substring(0, dot), nested);
        }
        put(nested, dotted.substring(dot + 1), value);
    }

    /** The URLs and serializer, never the settings' values (they may hold secrets); URLs are masked. */
    @Override
    public String toString() {
        return "TckConfiguration[broker=" + org.celeriac.spi.ConnectionUrl.mask(brokerUrl) + ", resultBackend="
                + org.celeriac.spi.ConnectionUrl.mask(resultBackendUrl) + ", serializer=" + serializer + ", settings="
                + settings.keySet() + ", classpath=" + classpath.size() + " entries, secondProcess=" + secondProcess + "]";
    }
}
