package org.celeriac.core.config;

import java.util.Locale;
import java.util.Map;

/**
 * kombu's serializer names and their content types ({@code kombu/serialization.py} registry, plus
 * Celeriac's {@code kryo}). Stateless and thread-safe.
 */
public final class ContentTypes {
    private static final Map<String, String> BY_NAME = Map.of(
            "json", "application/json",
            "pickle", "application/x-python-serialize",
            "yaml", "application/x-yaml",
            "msgpack", "application/x-msgpack",
            "kryo", "application/x-kryo");

    private ContentTypes() {
    }

    /**
     * The content type for a serializer name ({@code json} gives {@code application/json}); a value
     * containing {@code /} is taken as a content type already and returned in lower case without
     * parameters. Unknown names are returned as given (lower case).
     */
    public static String of(String nameOrContentType) {
        String v = nameOrContentType.trim().toLowerCase(Locale.ROOT);
        int semi = v.indexOf(';');
        if (semi >= 0) {
            v = v.substring(0, semi).trim();
        }
        return v.contains("/") ? v : BY_NAME.getOrDefault(v, v);
    }

    /** The serializer name for a content type, or the value itself when it is no known content type. */
    public static String nameOf(String nameOrContentType) {
        String ct = of(nameOrContentType);
        for (Map.Entry<String, String> e : BY_NAME.entrySet()) {
            if (e.getValue().equals(ct)) {
                return e.getKey();
            }
        }
        return ct;
    }
}
