package org.celeriac.serializer.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.serializer.Serializer;

/**
 * The {@code kryo} serializer ({@code application/x-kryo}, binary): compact messages for Java-to-Java deployments.
 * Python peers cannot read it. Registration-only by default: a payload can only name classes registered here —
 * the value model (null, Boolean, Long, Double, String, BigInteger, byte[], list, map with string keys), the
 * JDK value types {@link BigDecimal}, {@link UUID}, {@link Instant}, {@link LocalDate}, {@link LocalTime},
 * {@link LocalDateTime}, {@link OffsetDateTime}, {@link ZonedDateTime}, {@link Duration}, {@link Period}, and the
 * classes of {@code kryo_registrations} and {@link KryoRegistrar}s, numbered in that order (so every peer needs
 * the same list, in the same order). Decoding never loads or instantiates anything else, and checks every length
 * against the bytes left. Lists, sets and arrays are written as lists, maps as insertion-ordered maps, smaller
 * integers as Long, Float as Double; an unregistered record as a map of its components and an unregistered enum as
 * its name (as the JSON serializer does).
 *
 * <p>Kryo instances are not thread-safe: each call borrows one from a pool. This class is immutable and
 * thread-safe; both methods are CPU-only.
 */
public final class KryoSerializer implements Serializer {
    /** kombu-style name. */
    public static final String NAME = "kryo";
    /** The content type written on messages. */
    public static final String CONTENT_TYPE = "application/x-kryo";
    /** The first registration number of configured classes. */
    static final int FIRST_USER_ID = 100;
    private static final int MAX_DEPTH = 1024;

    private final List<Class<?>> registrations;
    private final boolean registrationRequired;
    private final Pool<Kryo> pool;

    /**
     * @param registrations extra classes to allow, in the order that numbers them
     * @param registrationRequired false lets payloads name any class (trusted networks only)
     * @param poolSize how many idle Kryo instances are kept
     */
    KryoSerializer(List<Class<?>> registrations, boolean registrationRequired, int poolSize) {
        this.registrations = List.copyOf(registrations);
        this.registrationRequired = registrationRequired;
        this.pool = new Pool<>(true, false, Math.max(1, poolSize)) {
            @Override
            protected Kryo create() {
                return newKryo();
            }
        };
        pool.free(pool.obtain()); // fail now, not on the first message, when a registration is impossible
    }

    private Kryo newKryo() {
        Kryo k = new Kryo();
        k.setRegistrationRequired(registrationRequired);
        k.setReferences(false);
        k.setMaxDepth(MAX_DEPTH);
        k.setClassLoader(KryoSerializer.class.getClassLoader());
        k.register(String.class, new ValueSerializers.Text(), 1);
        k.register(ArrayList.class, new ValueSerializers.ListOf(), 20);
        k.register(LinkedHashMap.class, new ValueSerializers.MapOf(), 21);
        k.register(BigInteger.class, new ValueSerializers.BigInt(), 22);
        k.register(byte[].class, new ValueSerializers.Bytes(), 23);
        k.register(BigDecimal.class, new IsoText<>(BigDecimal::new), 24);
        k.register(UUID.class, new IsoText<>(UUID::fromString), 25);
        k.register(Instant.class, new IsoText<>(Instant::parse), 26);
        k.register(LocalDate.class, new IsoText<>(LocalDate::parse), 27);
        k.register(LocalTime.class, new IsoText<>(LocalTime::parse), 28);
        k.register(LocalDateTime.class, new IsoText<>(LocalDateTime::parse), 29);
        k.register(OffsetDateTime.class, new IsoText<>(OffsetDateTime::parse), 30);
        k.register(ZonedDateTime.class, new IsoText<>(ZonedDateTime::parse), 31);
        k.register(Duration.class, new IsoText<>(Duration::parse), 32);
        k.register(Period.class, new IsoText<>(Period::parse), 33);
        for (int i = 0; i < registrations.size(); i++) {
            k.register(registrations.get(i), FIRST_USER_ID + i);
        }
        return k;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public String contentEncoding() {
        return "binary";
    }

    /** The configured classes, in registration order. */
    List<Class<?>> registrations() {
        return registrations;
    }

    @Override
    public byte[] encode(Object value) {
        Kryo k = pool.obtain();
        try {
            Object v = normalize(k, value, "value");
            Output out = new Output(256, -1);
            k.writeClassAndObject(out, v);
            return out.toBytes();
        } catch (SerializationException e) {
            throw e;
        } catch (RuntimeException e) {
            String m = String.valueOf(e.getMessage());
            if (m.startsWith("Class is not registered: ")) {
                String cls = m.substring("Class is not registered: ".length()).split("\\s")[0];
                throw new SerializationException("cannot encode a " + cls + " with Kryo: the class is not registered; "
                        + "add " + cls + " to the setting kryo_registrations (the same list, in the same order, on every "
                        + "peer)", e);
            }
            throw new SerializationException("cannot encode a " + (value == null ? "null" : value.getClass().getName())
                    + " with Kryo: " + shorten(m), e);
        } finally {
            pool.free(k);
        }
    }

    /** The value with containers turned into ArrayList / LinkedHashMap and small numbers widened. */
    private Object normalize(Kryo k, Object v, String path) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double
                || v instanceof BigInteger || v instanceof byte[]) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof Character || v instanceof CharSequence) {
            return v.toString();
        }
        if (v instanceof Map<?, ?> m) {
            LinkedHashMap<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                out.put(key, normalize(k, e.getValue(), path + "." + key));
            }
            return out;
        }
        if (v instanceof Collection<?> c) {
            ArrayList<Object> out = new ArrayList<>(c.size());
            int i = 0;
            for (Object o : c) {
                out.add(normalize(k, o, path + "[" + i++ + "]"));
            }
            return out;
        }
        if (v.getClass().isArray()) {
            int n = Array.getLength(v);
            ArrayList<Object> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(normalize(k, Array.get(v, i), path + "[" + i + "]"));
            }
            return out;
        }
        Class<?> type = v.getClass();
        if (registered(k, type)) {
            return v;
        }
        if (v instanceof Record r) {
            LinkedHashMap<String, Object> out = new LinkedHashMap<>();
            for (var c : type.getRecordComponents()) {
                try {
                    out.put(c.getName(), normalize(k, c.getAccessor().invoke(r), path + "." + c.getName()));
                } catch (ReflectiveOperationException e) {
                    throw new SerializationException("cannot read component " + c.getName() + " of the record "
                            + type.getName() + " at " + path + ": " + e.getMessage(), e);
                }
            }
            return out;
        }
        if (v instanceof Enum<?> e) {
            return e.name();
        }
        if (!registrationRequired) {
            return v;
        }
        throw new SerializationException("cannot encode a " + type.getName() + " at " + path + " with Kryo: the class "
                + "is not registered; add " + type.getName() + " to the setting kryo_registrations (the same list, in "
                + "the same order, on every peer), or pass values of the value model");
    }

    private static boolean registered(Kryo k, Class<?> type) {
        Class<?> t = type.isEnum() || type.getSuperclass() == null || !type.getSuperclass().isEnum()
                ? type : type.getSuperclass(); // enum constants with bodies are subclasses
        return k.getClassResolver().getRegistration(t) != null;
    }

    @Override
    public Object decode(byte[] data) {
        if (data == null) {
            throw new SerializationException("cannot decode a null body as " + CONTENT_TYPE);
        }
        Kryo k = pool.obtain();
        try {
            Input in = new Input(data);
            Object v = k.readClassAndObject(in);
            if (in.position() != data.length) {
                throw new SerializationException("cannot decode " + CONTENT_TYPE + ": " + (data.length - in.position())
                        + " bytes left over after the value at offset " + in.position() + " of " + data.length
                        + "; the body is corrupt or not Kryo");
            }
            return v;
        } catch (SerializationException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            String m = shorten(String.valueOf(e.getMessage()));
            String hint = m.contains("unregistered class ID")
                    ? "; the writer registered a class this reader does not allow: compare kryo_registrations on both sides"
                    : "; the body is corrupt, truncated or not Kryo";
            throw new SerializationException("cannot decode " + data.length + " bytes as " + CONTENT_TYPE + ": " + m + hint, e);
        } finally {
            pool.free(k);
        }
    }

    private static String shorten(String m) {
        String one = m.replaceAll("\\s+", " ");
        return one.length() > 300 ? one.substring(0, 300) + "..." : one;
    }

    @Override
    public String toString() {
        return "KryoSerializer[registrationRequired=" + registrationRequired + ", registrations=" + registrations.size() + "]";
    }
}
