package org.celeriac.spi;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The effective configuration, read-only, keyed by Celery's lowercase setting names
 * ({@code broker_url}, {@code result_expires}, {@code broker_transport_options}, …). Values are what
 * the sources gave (strings from properties and the environment; numbers, lists and maps from YAML
 * or the builder); the typed getters convert. Implementations are immutable and thread-safe.
 */
public interface Settings {

    /** The raw value of {@code key}; empty when not set. */
    Optional<Object> raw(String key);

    /** All settings (unmodifiable), lowercase names. Values may hold secrets: never log them whole. */
    Map<String, Object> asMap();

    /** The value as a string; empty when not set. */
    default Optional<String> string(String key) {
        return raw(key).map(String::valueOf);
    }

    /** The value as a string, or {@code def}. */
    default String string(String key, String def) {
        return string(key).orElse(def);
    }

    /**
     * The value as an int, or {@code def} when not set.
     *
     * @throws IllegalArgumentException naming the key when the value is not an integer
     */
    default int integer(String key, int def) {
        return raw(key).map(v -> {
            if (v instanceof Number n) {
                return n.intValue();
            }
            try {
                return Integer.parseInt(String.valueOf(v).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("setting " + key + ": '" + v + "' is not an integer");
            }
        }).orElse(def);
    }

    /**
     * The value as a boolean ({@code true/false/yes/no/1/0/on/off}), or {@code def}.
     *
     * @throws IllegalArgumentException naming the key when the value is none of those
     */
    default boolean bool(String key, boolean def) {
        return raw(key).map(v -> {
            if (v instanceof Boolean b) {
                return b;
            }
            return switch (String.valueOf(v).trim().toLowerCase(java.util.Locale.ROOT)) {
                case "true", "yes", "1", "on" -> true;
                case "false", "no", "0", "off", "none", "" -> false;
                default -> throw new IllegalArgumentException("setting " + key + ": '" + v
                        + "' is not a boolean; use true or false");
            };
        }).orElse(def);
    }

    /**
     * The value as a duration (a plain number is seconds, as in Celery; {@code "30s"}, {@code "5m"}
     * work too), or {@code def}. Null or "None" gives null.
     *
     * @throws IllegalArgumentException naming the key when the value is not a duration
     */
    default Duration duration(String key, Duration def) {
        Optional<Object> v = raw(key);
        if (v.isEmpty()) {
            return def;
        }
        Object o = v.get();
        if (o instanceof Number n) {
            return org.celeriac.api.Durations.ofSeconds(n.doubleValue());
        }
        String s = String.valueOf(o).trim();
        if (s.isEmpty() || s.equalsIgnoreCase("none") || s.equalsIgnoreCase("null")) {
            return null;
        }
        return org.celeriac.api.Durations.parse("setting " + key, s);
    }

    /** The value as a list of strings: a list, or a comma-separated string. Empty when not set. */
    default List<String> list(String key) {
        return raw(key).map(v -> {
            if (v instanceof List<?> l) {
                return l.stream().map(String::valueOf).toList();
            }
            String s = String.valueOf(v).trim();
            if (s.startsWith("[") && s.endsWith("]")) {
                s = s.substring(1, s.length() - 1);
            }
            return java.util.Arrays.stream(s.split(","))
                    .map(x -> x.trim().replaceAll("^['\"]|['\"]$", ""))
                    .filter(x -> !x.isEmpty()).toList();
        }).orElse(List.of());
    }

    /** The value as a map (for {@code broker_transport_options} and the like); empty when not set or not a map. */
    @SuppressWarnings("unchecked")
    default Map<String, Object> map(String key) {
        return raw(key).filter(Map.class::isInstance).map(m -> (Map<String, Object>) m).orElse(Map.of());
    }

    /** Settings made from a map; keys as given. */
    static Settings of(Map<String, ?> values) {
        Map<String, Object> copy = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        return new Settings() {
            @Override
            public Optional<Object> raw(String key) {
                return Optional.ofNullable(copy.get(key));
            }

            @Override
            public Map<String, Object> asMap() {
                return copy;
            }

            @Override
            public String toString() {
                return "Settings" + copy.keySet();
            }
        };
    }
}
