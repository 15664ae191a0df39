package org.celeriac.core.discovery;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.celeriac.core.config.ContentTypes;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.backend.ResultBackendProvider;
import org.celeriac.spi.broker.BrokerProvider;
import org.celeriac.spi.serializer.SerializerProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker, result-backend and serializer providers found on a class path, loaded once through
 * {@link ServiceLoader}, and the rules that pick one (DESIGN.md, STYLE.md "None / one / many"):
 * <ul>
 *   <li>none serves the scheme or content type: {@link ProviderException} naming it, the ones that
 *       are available, and the Maven artifact to add;</li>
 *   <li>one: it is used;</li>
 *   <li>several: {@link ProviderException} naming them all, unless the setting {@code broker_provider},
 *       {@code result_backend_provider} or {@code serializer_provider} picks one by its
 *       {@code name()} or class name ({@code serializer_provider} may also be a map from serializer
 *       name or content type to the provider);</li>
 *   <li>a provider that failed to load (its constructor threw, a class is missing): every lookup of
 *       that kind fails with a {@link ProviderException} naming its class and the cause.</li>
 * </ul>
 * URLs in messages have their passwords masked. Immutable and thread-safe.
 */
public final class Providers {
    private static final Logger LOG = LoggerFactory.getLogger(Providers.class);

    private final Loaded<BrokerProvider> brokers;
    private final Loaded<ResultBackendProvider> backends;
    private final Loaded<SerializerProvider> serializers;

    /** Providers of one kind and the failures met while loading them. */
    private record Loaded<P>(List<P> providers, List<ProviderException> failures) {
    }

    private Providers(Loaded<BrokerProvider> brokers, Loaded<ResultBackendProvider> backends,
                      Loaded<SerializerProvider> serializers) {
        this.brokers = brokers;
        this.backends = backends;
        this.serializers = serializers;
    }

    /**
     * Loads every provider registered in {@code META-INF/services} of {@code classLoader}. Provider
     * constructors run here (they must be cheap); failures are kept and reported on lookup.
     */
    public static Providers load(ClassLoader classLoader) {
        Objects.requireNonNull(classLoader, "classLoader");
        return new Providers(loadAll(BrokerProvider.class, classLoader, "broker transport"),
                loadAll(ResultBackendProvider.class, classLoader, "result backend"),
                loadAll(SerializerProvider.class, classLoader, "serializer"));
    }

    /** {@link #load(ClassLoader)} with the thread's context class loader (or this class's loader). */
    public static Providers load() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return load(cl != null ? cl : Providers.class.getClassLoader());
    }

    /** Providers given directly (tests, embedding without a class path scan). */
    public static Providers of(List<? extends BrokerProvider> brokers, List<? extends ResultBackendProvider> backends,
                               List<? extends SerializerProvider> serializers) {
        return new Providers(new Loaded<>(List.copyOf(brokers), List.of()),
                new Loaded<>(List.copyOf(backends), List.of()), new Loaded<>(List.copyOf(serializers), List.of()));
    }

    private static <P> Loaded<P> loadAll(Class<P> type, ClassLoader cl, String what) {
        List<P> found = new ArrayList<>();
        List<ProviderException> failures = new ArrayList<>();
        Iterator<ServiceLoader.Provider<P>> it = ServiceLoader.load(type, cl).stream().iterator();
        while (true) {
            ServiceLoader.Provider<P> p;
            try {
                if (!it.hasNext()) {
                    break;
                }
                p = it.next();
            } catch (ServiceConfigurationError e) {
                failures.add(new ProviderException("A " + what + " provider registered in META-INF/services/"
                        + type.getName() + " could not be loaded: " + e.getMessage() + ". Fix the entry or remove "
                        + "its module from the class path.", e));
                continue;
            }
            String className = safeTypeName(p);
            try {
                found.add(p.get());
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                Throwable cause = e instanceof ServiceConfigurationError && e.getCause() != null ? e.getCause() : e;
                failures.add(new ProviderException("The " + what + " provider " + className
                        + " could not be created: " + cause + ". Fix it or remove its module from the class path (it "
                        + "is registered in META-INF/services/" + type.getName() + ").", e));
            }
        }
        failures.forEach(f -> LOG.warn(f.getMessage()));
        return new Loaded<>(List.copyOf(found), List.copyOf(failures));
    }

    private static String safeTypeName(ServiceLoader.Provider<?> p) {
        try {
            return p.type().getName();
        } catch (RuntimeException | LinkageError e) {
            return "<unknown class: " + e + ">";
        }
    }

    /** The broker providers found, in class-path order (unmodifiable). */
    public List<BrokerProvider> brokerProviders() {
        return brokers.providers();
    }

    /** The result-backend providers found, in class-path order (unmodifiable). */
    public List<ResultBackendProvider> resultBackendProviders() {
        return backends.providers();
    }

    /** The serializer providers found, in class-path order (unmodifiable). */
    public List<SerializerProvider> serializerProviders() {
        return serializers.providers();
    }

    /** The URL schemes some broker provider serves, sorted. */
    public Set<String> brokerSchemes() {
        Set<String> s = new TreeSet<>();
        brokers.providers().forEach(p -> s.addAll(p.schemes()));
        return s;
    }

    /** The URL schemes some result-backend provider serves, sorted. */
    public Set<String> resultBackendSchemes() {
        Set<String> s = new TreeSet<>();
        backends.providers().forEach(p -> s.addAll(p.schemes()));
        return s;
    }

    /** The content types some serializer provider reads, sorted. */
    public Set<String> serializerContentTypes() {
        Set<String> s = new TreeSet<>();
        serializers.providers().forEach(p -> p.contentTypes().forEach(ct -> s.add(ct.toLowerCase(Locale.ROOT))));
        return s;
    }

    /** True when exactly one or more serializer providers serve the name or content type (never throws). */
    public boolean hasSerializer(String nameOrContentType) {
        return !serializerCandidates(nameOrContentType).isEmpty();
    }

    /**
     * The broker provider for {@code url}'s scheme.
     *
     * @param settings read for {@code broker_provider}
     * @throws ProviderException when none, or several and no choice, serve the scheme, or a broker
     *         provider failed to load
     */
    public BrokerProvider broker(ConnectionUrl url, Settings settings) {
        failIfBroken(brokers);
        String scheme = url.scheme();
        List<BrokerProvider> candidates = brokers.providers().stream()
                .filter(p -> lower(p.schemes()).contains(scheme)).toList();
        if (candidates.isEmpty()) {
            throw new ProviderException("No broker transport serves scheme '" + scheme + "' (broker_url " + url
                    + "). Transports on the class path serve: " + listOrNone(brokerSchemes()) + ". "
                    + addArtifact(KnownModules.brokerArtifact(scheme), scheme, BrokerProvider.class));
        }
        return pick(candidates, "broker transports", "scheme '" + scheme + "'", settings.string("broker_provider"),
                "broker_provider", BrokerProvider::name, BrokerProvider::artifact);
    }

    /**
     * The result-backend provider for {@code url}'s scheme.
     *
     * @param settings read for {@code result_backend_provider}
     * @throws ProviderException when none, or several and no choice, serve the scheme, or a result
     *         backend provider failed to load
     */
    public ResultBackendProvider resultBackend(ConnectionUrl url, Settings settings) {
        failIfBroken(backends);
        String scheme = url.scheme();
        List<ResultBackendProvider> candidates = backends.providers().stream()
                .filter(p -> lower(p.schemes()).contains(scheme)).toList();
        if (candidates.isEmpty()) {
            throw new ProviderException("No result backend serves scheme '" + scheme + "' (result_backend " + url
                    + "). Result backends on the class path serve: " + listOrNone(resultBackendSchemes()) + ". "
                    + addArtifact(KnownModules.backendArtifact(scheme), scheme, ResultBackendProvider.class));
        }
        return pick(candidates, "result backends", "scheme '" + scheme + "'",
                settings.string("result_backend_provider"), "result_backend_provider", ResultBackendProvider::name,
                ResultBackendProvider::artifact);
    }

    /**
     * The serializer provider for a serializer name ({@code json}) or content type
     * ({@code application/json}).
     *
     * @param settings read for {@code serializer_provider}
     * @throws ProviderException when none, or several and no choice, serve it, or a serializer
     *         provider failed to load
     */
    public SerializerProvider serializer(String nameOrContentType, Settings settings) {
        failIfBroken(serializers);
        String wanted = nameOrContentType.trim().toLowerCase(Locale.ROOT);
        List<SerializerProvider> candidates = serializerCandidates(wanted);
        if (candidates.isEmpty()) {
            String ct = ContentTypes.of(wanted);
            Optional<String> artifact = KnownModules.serializerArtifact(wanted).or(() -> KnownModules.serializerArtifact(ct));
            String advice = artifact.isPresent() ? addArtifact(artifact, wanted, SerializerProvider.class)
                    : ct.equals("application/x-python-serialize") || ct.equals("application/x-yaml")
                    || ct.equals("application/x-msgpack")
                    ? "Java has no " + ContentTypes.nameOf(ct) + " serializer: have the Python side send json "
                    + "(task_serializer = 'json', result_serializer = 'json')."
                    : addArtifact(Optional.empty(), wanted, SerializerProvider.class);
            throw new ProviderException("No serializer serves '" + wanted + "'" + (ct.equals(wanted) ? "" : " (" + ct + ")")
                    + ". Serializers on the class path serve: " + listOrNone(serializerContentTypes()) + ". " + advice);
        }
        Optional<String> choice = serializerChoice(settings, wanted);
        return pick(candidates, "serializers", "'" + wanted + "'", choice, "serializer_provider",
                SerializerProvider::name, SerializerProvider::artifact);
    }

    private List<SerializerProvider> serializerCandidates(String nameOrContentType) {
        String wanted = nameOrContentType.trim().toLowerCase(Locale.ROOT);
        String ct = ContentTypes.of(wanted);
        return serializers.providers().stream()
                .filter(p -> p.name().equalsIgnoreCase(wanted) || lower(p.contentTypes()).contains(ct))
                .toList();
    }

    private static Optional<String> serializerChoice(Settings settings, String wanted) {
        Optional<Object> raw = settings.raw("serializer_provider");
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        if (raw.get() instanceof Map<?, ?> m) {
            for (String key : List.of(wanted, ContentTypes.of(wanted), ContentTypes.nameOf(wanted))) {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (String.valueOf(e.getKey()).equalsIgnoreCase(key) && e.getValue() != null) {
                        return Optional.of(String.valueOf(e.getValue()));
                    }
                }
            }
            return Optional.empty();
        }
        return Optional.of(String.valueOf(raw.get()));
    }

    private static <P> P pick(List<P> candidates, String what, String serving, Optional<String> choice,
                              String setting, Function<P, String> name, Function<P, String> artifact) {
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        if (choice.isPresent() && !choice.get().isBlank()) {
            String c = choice.get().trim();
            List<P> chosen = candidates.stream()
                    .filter(p -> name.apply(p).equals(c) || p.getClass().getName().equals(c)).toList();
            if (chosen.size() == 1) {
                return chosen.get(0);
            }
            throw new ProviderException("The setting " + setting + " = '" + c + "' picks "
                    + (chosen.isEmpty() ? "none" : chosen.size() + "") + " of the " + what + " serving " + serving
                    + ": " + describe(candidates, name, artifact) + ". Set " + setting
                    + " to one provider's name or class name.");
        }
        String example = name.apply(candidates.get(0));
        throw new ProviderException("Several " + what + " serve " + serving + ": " + describe(candidates, name, artifact)
                + ". Choose one with the setting " + setting + " (e.g. " + setting + "=" + example
                + "), or remove the others from the class path.");
    }

    private static <P> String describe(List<P> providers, Function<P, String> name, Function<P, String> artifact) {
        List<String> parts = providers.stream().map(p -> p.getClass().getName() + " (name '" + name.apply(p)
                + "', artifact " + artifact.apply(p) + ")").toList();
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return String.join(", ", parts.subList(0, parts.size() - 1)) + " and " + parts.get(parts.size() - 1);
    }

    private static void failIfBroken(Loaded<?> loaded) {
        if (!loaded.failures().isEmpty()) {
            ProviderException first = loaded.failures().get(0);
            throw new ProviderException(first.getMessage(), first.getCause());
        }
    }

    private static String addArtifact(Optional<String> artifact, String key, Class<?> spi) {
        return artifact.map(a -> "Add the Maven artifact " + a + " to the class path.")
                .orElse("No Celeriac module is known to serve '" + key + "': check the spelling, or add a module that "
                        + "registers a " + spi.getName() + " for it.");
    }

    private static Set<String> lower(Set<String> values) {
        Set<String> out = new TreeSet<>();
        values.forEach(v -> out.add(v.toLowerCase(Locale.ROOT)));
        return out;
    }

    private static String listOrNone(Set<String> values) {
        return values.isEmpty() ? "none" : String.join(", ", values);
    }
}
