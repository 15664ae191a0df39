package org.celeriac.core.discovery;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which Celeriac module provides a well-known scheme or content type, for the "add this artifact"
 * diagnostic. Stateless and thread-safe.
 */
final class KnownModules {
    private static final String G = "org.celeriac:";

    private static final Map<String, String> BROKERS = Map.ofEntries(
            Map.entry("redis", G + "celeriac-transport-redis"),
            Map.entry("rediss", G + "celeriac-transport-redis"),
            Map.entry("sentinel", G + "celeriac-transport-redis"),
            Map.entry("amqp", G + "celeriac-transport-amqp"),
            Map.entry("amqps", G + "celeriac-transport-amqp"),
            Map.entry("pyamqp", G + "celeriac-transport-amqp"),
            Map.entry("jdbc", G + "celeriac-transport-sql"),
            Map.entry("memory", G + "celeriac-core"));

    private static final Map<String, String> BACKENDS = Map.ofEntries(
            Map.entry("redis", G + "celeriac-backend-redis"),
            Map.entry("rediss", G + "celeriac-backend-redis"),
            Map.entry("sentinel", G + "celeriac-backend-redis"),
            Map.entry("rpc", G + "celeriac-transport-amqp"),
            Map.entry("mongodb", G + "celeriac-backend-mongodb"),
            Map.entry("mongodb+srv", G + "celeriac-backend-mongodb"),
            Map.entry("jdbc", G + "celeriac-backend-jdbc"),
            Map.entry("memory", G + "celeriac-core"));

    private static final Map<String, String> SERIALIZERS = Map.ofEntries(
            Map.entry("json", G + "celeriac-serializer-json"),
            Map.entry("application/json", G + "celeriac-serializer-json"),
            Map.entry("kryo", G + "celeriac-serializer-kryo"),
            Map.entry("application/x-kryo", G + "celeriac-serializer-kryo"));

    private KnownModules() {
    }

    static Optional<String> brokerArtifact(String scheme) {
        String s = scheme.toLowerCase(Locale.ROOT);
        if (s.startsWith("sqla+") || s.startsWith("db+")) {
            return Optional.of(G + "celeriac-transport-sql");
        }
        return Optional.ofNullable(BROKERS.get(s));
    }

    static Optional<String> backendArtifact(String scheme) {
        String s = scheme.toLowerCase(Locale.ROOT);
        if (s.startsWith("sqla+") || s.startsWith("db+")) {
            return Optional.of(G + "celeriac-backend-jdbc");
        }
        return Optional.ofNullable(BACKENDS.get(s));
    }

    static Optional<String> serializerArtifact(String nameOrContentType) {
        return Optional.ofNullable(SERIALIZERS.get(nameOrContentType.toLowerCase(Locale.ROOT)));
    }
}
