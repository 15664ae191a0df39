package org.celeriac.cli;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.spi.serializer.SerializerProvider;

/**
 * The JSON serializer the CLI reads {@code --args}/{@code --kwargs} with and prints results with: the
 * {@code json} {@link SerializerProvider} on the class path (celeriac-serializer-json), so what
 * {@code celeriac result} prints is exactly what Python's {@code json.loads} reads. Thread-safe.
 */
final class JsonCodec {
    private final Serializer serializer;

    private JsonCodec(Serializer serializer) {
        this.serializer = serializer;
    }

    /**
     * @throws ProviderException when no provider on the class path serves {@code application/json}
     */
    static JsonCodec load(ClassLoader loader) {
        for (SerializerProvider p : ServiceLoader.load(SerializerProvider.class, loader)) {
            if (p.name().equals("json") || p.contentTypes().contains("application/json")) {
                return new JsonCodec(p.create(Settings.of(Map.of())));
            }
        }
        throw new ProviderException("no JSON serializer on the class path; add org.celeriac:celeriac-serializer-json");
    }

    /** Decodes JSON text into the value model; throws {@link IllegalArgumentException} when it is not JSON. */
    Object parse(String json) {
        try {
            return serializer.decode(json.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** A JSON array, for {@code --args}. */
    List<?> parseList(String option, String json) {
        Object v = parseOrExplain(option, json);
        if (v instanceof List<?> l) {
            return l;
        }
        throw new IllegalArgumentException(option + " must be a JSON array such as '[4, 4]', got: " + json);
    }

    /** A JSON object, for {@code --kwargs}. */
    @SuppressWarnings("unchecked")
    Map<String, Object> parseMap(String option, String json) {
        Object v = parseOrExplain(option, json);
        if (v instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalArgumentException(option + " must be a JSON object such as '{\"x\": 1}', got: " + json);
    }

    private Object parseOrExplain(String option, String json) {
        try {
            return parse(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " is not valid JSON (" + e.getMessage() + "): " + json, e);
        }
    }

    /** One line of JSON (line breaks inside strings are escaped by JSON itself). */
    String format(Object value) {
        return new String(serializer.encode(value), StandardCharsets.UTF_8).strip();
    }
}
