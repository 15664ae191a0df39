package org.celeriac.api.internal;

import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Converters from the wire value model (null, Boolean, Long, BigInteger, Double, String, List, Map)
 * to the Java parameter types a task method declares. A converter is built once per parameter
 * (reflection happens here, never per call) and is immutable and thread-safe.
 *
 * <p>Supported targets: primitives and their boxes (integers are range-checked; a Double converts
 * to an integer type only when it has no fractional part), {@link BigInteger}, {@link BigDecimal}
 * (also from a string, as kombu's JSON encoder writes {@code Decimal}), {@link Number},
 * {@link Object} (unchanged), {@link String}, {@link CharSequence}, {@code char}, enums (by constant
 * name), {@link UUID}, {@link Instant}, {@link OffsetDateTime}, {@link LocalDateTime} (ISO-8601
 * strings, naive ones read as UTC, or epoch seconds), {@link LocalDate}, {@link Duration} (seconds
 * or a duration string), {@link List}/{@link Collection}/{@link Iterable}/{@link java.util.Set}
 * and their common implementations, arrays, {@link Map} (keys converted like values), and records
 * (from a dict, by component name, recursively).
 */
final class ValueConverters {
    private ValueConverters() {
    }

    /** Converts one wire value; throws {@link Mismatch} when the value does not fit. */
    @FunctionalInterface
    interface Converter {
        Object convert(Object value);
    }

    /**
     * A value does not fit its target type. Cheap (no stack trace); the path to the offending
     * element is prepended while the failure unwinds through containers.
     */
    static final class Mismatch extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final StringBuilder path = new StringBuilder();
        private final String detail;

        Mismatch(String detail) {
            super(detail, null, false, false);
            this.detail = detail;
        }

        Mismatch at(String segment) {
            path.insert(0, segment);
            return this;
        }

        String path() {
            return path.toString();
        }

        String detail() {
            return detail;
        }
    }

    static final Converter IDENTITY = v -> v;

    /**
     * The converter for {@code type}.
     *
     * @throws IllegalArgumentException when Celeriac cannot bind values of that type
     */
    static Converter forType(Type type) {
        if (type instanceof Class<?> c) {
            return forClass(c, null);
        }
        if (type instanceof ParameterizedType p) {
            return forClass((Class<?>) p.getRawType(), p.getActualTypeArguments());
        }
        if (type instanceof GenericArrayType g) {
            return array(g.getGenericComponentType());
        }
        if (type instanceof WildcardType w) {
            return forType(w.getUpperBounds().length == 0 ? Object.class : w.getUpperBounds()[0]);
        }
        if (type instanceof TypeVariable<?> v) {
            return forType(v.getBounds().length == 0 ? Object.class : v.getBounds()[0]);
        }
        throw unsupported(type);
    }

    private static IllegalArgumentException unsupported(Type type) {
        return new IllegalArgumentException("parameter type " + type.getTypeName() + " cannot be bound from a"
                + " JSON-like value; use Object, a number, boolean or String type, BigInteger, BigDecimal, an enum,"
                + " UUID, Instant, OffsetDateTime, LocalDateTime, LocalDate, Duration, a List/Set/array, a"
                + " Map or a record of those");
    }

    private static Converter forClass(Class<?> c, Type[] typeArgs) {
        if (c == Object.class) {
            return IDENTITY;
        }
        if (c.isPrimitive()) {
            return primitive(c);
        }
        if (c == Long.class) {
            return nullable(v -> integral(v, Long.MIN_VALUE, Long.MAX_VALUE, "int (long)"));
        }
        if (c == Integer.class) {
            return nullable(v -> (int) integral(v, Integer.MIN_VALUE, Integer.MAX_VALUE, "int (32-bit)"));
        }
        if (c == Short.class) {
            return nullable(v -> (short) integral(v, Short.MIN_VALUE, Short.MAX_VALUE, "int (16-bit)"));
        }
        if (c == Byte.class) {
            return nullable(v -> (byte) integral(v, Byte.MIN_VALUE, Byte.MAX_VALUE, "int (8-bit)"));
        }
        if (c == Double.class) {
            return nullable(ValueConverters::toDouble);
        }
        if (c == Float.class) {
            return nullable(ValueConverters::toFloat);
        }
        if (c == Boolean.class) {
            return nullable(ValueConverters::toBoolean);
        }
        if (c == Character.class) {
            return nullable(ValueConverters::toChar);
        }
        if (c == String.class || c == CharSequence.class) {
            return v -> {
                if (v == null || v instanceof String) {
                    return v;
                }
                throw mismatch("str", v);
            };
        }
        if (c == BigInteger.class) {
            return nullable(ValueConverters::toBigInteger);
        }
        if (c == BigDecimal.class) {
            return nullable(ValueConverters::toBigDecimal);
        }
        if (c == Number.class) {
            return v -> {
                if (v == null || v instanceof Number) {
                    return v;
                }
                throw mismatch("a number", v);
            };
        }
        if (c.isEnum()) {
            return enumConverter(c);
        }
        if (c == UUID.class) {
            return nullable(v -> {
                String s = string(v, "a UUID string");
                try {
                    return UUID.fromString(s);
                } catch (IllegalArgumentException e) {
                    throw mismatch("a UUID string", v);
                }
            });
        }
        if (c == Instant.class) {
            return nullable(v -> toOffsetDateTime(v, "an ISO-8601 date-time or epoch seconds").toInstant());
        }
        if (c == OffsetDateTime.class) {
            return nullable(v -> toOffsetDateTime(v, "an ISO-8601 date-time or epoch seconds"));
        }
        if (c == LocalDateTime.class) {
            return nullable(ValueConverters::toLocalDateTime);
        }
        if (c == LocalDate.class) {
            return nullable(v -> {
                String s = string(v, "an ISO-8601 date (yyyy-mm-dd)");
                try {
                    return LocalDate.parse(s);
                } catch (DateTimeException e) {
                    throw mismatch("an ISO-8601 date (yyyy-mm-dd)", v);
                }
            });
        }
        if (c == Duration.class) {
            return nullable(ValueConverters::toDuration);
        }
        if (c.isArray()) {
            return array(c.getComponentType());
        }
        if (c.isRecord()) {
            return record(c);
        }
        Type arg0 = typeArgs == null || typeArgs.length < 1 ? Object.class : typeArgs[0];
        if (c.isAssignableFrom(ArrayList.class)) {
            return collection(arg0, ArrayList::new, "list");
        }
        if (c.isAssignableFrom(LinkedHashSet.class)) {
            return collection(arg0, LinkedHashSet::new, "list");
        }
        if (c == SortedSet.class || c == NavigableSet.class || c == TreeSet.class) {
            return collection(arg0, TreeSet::new, "list");
        }
        if (c.isAssignableFrom(LinkedHashMap.class) || c == HashMap.class) {
            Type arg1 = typeArgs == null || typeArgs.length < 2 ? Object.class : typeArgs[1];
            return map(arg0, arg1, LinkedHashMap::new);
        }
        if (c == SortedMap.class || c == NavigableMap.class || c == TreeMap.class) {
            Type arg1 = typeArgs == null || typeArgs.length < 2 ? Object.class : typeArgs[1];
            return map(arg0, arg1, TreeMap::new);
        }
        throw unsupported(c);
    }

    private static Converter nullable(Converter inner) {
        return v -> v == null ? null : inner.convert(v);
    }

    private static Converter primitive(Class<?> c) {
        Converter inner;
        String name = c.getName();
        if (c == long.class) {
            inner = v -> integral(v, Long.MIN_VALUE, Long.MAX_VALUE, "int (long)");
        } else if (c == int.class) {
            inner = v -> (int) integral(v, Integer.MIN_VALUE, Integer.MAX_VALUE, "int (32-bit)");
        } else if (c == short.class) {
            inner = v -> (short) integral(v, Short.MIN_VALUE, Short.MAX_VALUE, "int (16-bit)");
        } else if (c == byte.class) {
            inner = v -> (byte) integral(v, Byte.MIN_VALUE, Byte.MAX_VALUE, "int (8-bit)");
        } else if (c == double.class) {
            inner = ValueConverters::toDouble;
        } else if (c == float.class) {
            inner = ValueConverters::toFloat;
        } else if (c == boolean.class) {
            inner = ValueConverters::toBoolean;
        } else if (c == char.class) {
            inner = ValueConverters::toChar;
        } else {
            throw unsupported(c);
        }
        return v -> {
            if (v == null) {
                throw new Mismatch("must be " + name + ", not None (a primitive cannot be null)");
            }
            return inner.convert(v);
        };
    }

    // ---- scalars -------------------------------------------------------------------------------

    static Mismatch mismatch(String expected, Object v) {
        return new Mismatch("must be " + expected + ", not " + describe(v));
    }

    /** Python's type name of a wire value, with the value for scalars: {@code str 'abc'}, {@code float 1.5}. */
    static String describe(Object v) {
        String type = pythonType(v);
        if (v == null || v instanceof List || v instanceof Map || v instanceof Collection) {
            return type;
        }
        String s = v instanceof String str ? "'" + str + "'" : String.valueOf(v);
        if (s.length() > 40) {
            s = s.substring(0, 37) + "...";
        }
        return type + " " + s;
    }

    /** Python's name of the type of a wire value ({@code NoneType}, {@code bool}, {@code int}, …). */
    static String pythonType(Object v) {
        if (v == null) {
            return "NoneType";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Long || v instanceof BigInteger || v instanceof Integer || v instanceof Short
                || v instanceof Byte) {
            return "int";
        }
        if (v instanceof Double || v instanceof Float) {
            return "float";
        }
        if (v instanceof String) {
            return "str";
        }
        if (v instanceof List) {
            return "list";
        }
        if (v instanceof Map) {
            return "dict";
        }
        return v.getClass().getSimpleName();
    }

    private static long integral(Object v, long min, long max, String expected) {
        long x;
        if (v instanceof Long l) {
            x = l;
        } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            x = ((Number) v).longValue();
        } else if (v instanceof BigInteger b) {
            if (b.bitLength() > 63) {
                throw new Mismatch("must be " + expected + ", not " + describe(v) + " (out of range)");
            }
            x = b.longValue();
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d) || d != Math.rint(d)) {
                throw new Mismatch("must be " + expected + ", not " + describe(v) + " (not an integral value)");
            }
            if (d < -0x1p63 || d >= 0x1p63) {
                throw new Mismatch("must be " + expected + ", not " + describe(v) + " (out of range)");
            }
            x = (long) d;
        } else {
            throw mismatch(expected, v);
        }
        if (x < min || x > max) {
            throw new Mismatch("must be " + expected + ", not " + describe(v) + " (out of range)");
        }
        return x;
    }

    private static Object toDouble(Object v) {
        if (v instanceof Double) {
            return v;
        }
        if (v instanceof Number n && !(v instanceof BigDecimal)) {
            double d = n.doubleValue();
            if (Double.isInfinite(d)) {
                throw new Mismatch("must be float, not " + describe(v) + " (too large to convert to float)");
            }
            return d;
        }
        throw mismatch("float", v);
    }

    private static Object toFloat(Object v) {
        double d = (Double) toDouble(v);
        if (!Double.isInfinite(d) && Math.abs(d) > Float.MAX_VALUE) {
            throw new Mismatch("must be float (32-bit), not " + describe(v) + " (out of range)");
        }
        return (float) d;
    }

    private static Object toBoolean(Object v) {
        if (v instanceof Boolean) {
            return v;
        }
        throw mismatch("bool", v);
    }

    private static Object toChar(Object v) {
        if (v instanceof String s && s.length() == 1) {
            return s.charAt(0);
        }
        throw mismatch("a str of length 1", v);
    }

    private static Object toBigInteger(Object v) {
        if (v instanceof BigInteger) {
            return v;
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return BigInteger.valueOf(((Number) v).longValue());
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d) || d != Math.rint(d)) {
                throw new Mismatch("must be int (BigInteger), not " + describe(v) + " (not an integral value)");
            }
            return new BigDecimal(d).toBigIntegerExact();
        }
        throw mismatch("int (BigInteger)", v);
    }

    private static Object toBigDecimal(Object v) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return BigDecimal.valueOf(((Number) v).longValue());
        }
        if (v instanceof BigInteger b) {
            return new BigDecimal(b);
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new Mismatch("must be a finite number (BigDecimal), not " + describe(v));
            }
            return BigDecimal.valueOf(d);
        }
        if (v instanceof BigDecimal) {
            return v;
        }
        if (v instanceof String s) {
            try {
                return new BigDecimal(s.strip());
            } catch (NumberFormatException e) {
                throw mismatch("a number or decimal string (BigDecimal)", v);
            }
        }
        throw mismatch("a number or decimal string (BigDecimal)", v);
    }

    private static String string(Object v, String expected) {
        if (v instanceof String s) {
            return s;
        }
        throw mismatch(expected, v);
    }

    private static OffsetDateTime toOffsetDateTime(Object v, String expected) {
        if (v instanceof Number n && !(v instanceof BigDecimal)) {
            return OffsetDateTime.ofInstant(epochSeconds(n, v, expected), ZoneOffset.UTC);
        }
        String s = string(v, expected).strip();
        try {
            return OffsetDateTime.parse(s);
        } catch (DateTimeException e) {
            try {
                // Celery: naive ISO date-times are UTC.
                return LocalDateTime.parse(s).atOffset(ZoneOffset.UTC);
            } catch (DateTimeException e2) {
                throw mismatch(expected, v);
            }
        }
    }

    private static Instant epochSeconds(Number n, Object v, String expected) {
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw mismatch(expected, v);
            }
            long secs = (long) Math.floor(d);
            long nanos = Math.round((d - secs) * 1e9);
            return Instant.ofEpochSecond(secs, nanos);
        }
        if (n instanceof BigInteger b && b.bitLength() > 63) {
            throw mismatch(expected, v);
        }
        try {
            return Instant.ofEpochSecond(n.longValue());
        } catch (DateTimeException e) {
            throw mismatch(expected, v);
        }
    }

    private static Object toLocalDateTime(Object v) {
        String expected = "an ISO-8601 date-time or epoch seconds";
        if (v instanceof String s) {
            try {
                return LocalDateTime.parse(s.strip());
            } catch (DateTimeException e) {
                // an offset date-time: its UTC wall time
            }
        }
        return toOffsetDateTime(v, expected).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
    }

    private static Object toDuration(Object v) {
        String expected = "seconds or a duration string (Duration)";
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return Duration.ofSeconds(((Number) v).longValue());
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d) || Math.abs(d) > 9.2e9) {
                throw mismatch(expected, v);
            }
            return Duration.ofNanos(Math.round(d * 1e9));
        }
        if (v instanceof String s) {
            try {
                return org.celeriac.api.Durations.parse("duration", s);
            } catch (IllegalArgumentException e) {
                throw mismatch(expected, v);
            }
        }
        throw mismatch(expected, v);
    }

    // ---- enums ---------------------------------------------------------------------------------

    private static Converter enumConverter(Class<?> c) {
        Object[] constants = c.getEnumConstants();
        Map<String, Object> byName = new HashMap<>();
        StringBuilder names = new StringBuilder();
        for (Object k : constants) {
            String n = ((Enum<?>) k).name();
            byName.put(n, k);
            names.append(names.isEmpty() ? "" : ", ").append(n);
        }
        String expected = "one of " + c.getSimpleName() + " (" + names + ")";
        return nullable(v -> {
            Object k = v instanceof String s ? byName.get(s) : null;
            if (k == null) {
                throw mismatch(expected, v);
            }
            return k;
        });
    }

    // ---- containers ----------------------------------------------------------------------------

    private static Converter collection(Type elementType, Supplier<Collection<Object>> factory, String expected) {
        Converter element = forType(elementType);
        return nullable(v -> {
            if (!(v instanceof Collection<?> in)) {
                throw mismatch(expected, v);
            }
            Collection<Object> out = factory.get();
            int i = 0;
            for (Object e : in) {
                try {
                    out.add(element.convert(e));
                } catch (Mismatch m) {
                    throw m.at("[" + i + "]");
                } catch (ClassCastException | NullPointerException x) {
                    // a TreeSet of non-comparable or null elements
                    throw new Mismatch("must be a list of mutually comparable, non-null values").at("[" + i + "]");
                }
                i++;
            }
            return out;
        });
    }

    /** Converts a collection to an array of {@code componentType}; also used for Python's {@code *args}. */
    static Converter array(Type componentType) {
        Converter element = forType(componentType);
        Class<?> raw = rawClass(componentType);
        return nullable(v -> {
            if (!(v instanceof Collection<?> in)) {
                throw mismatch("list", v);
            }
            Object out = Array.newInstance(raw, in.size());
            int i = 0;
            Object[] objects = raw.isPrimitive() ? null : (Object[]) out;
            for (Object e : in) {
                Object converted;
                try {
                    converted = element.convert(e);
                } catch (Mismatch m) {
                    throw m.at("[" + i + "]");
                }
                if (objects != null) {
                    objects[i] = converted;
                } else {
                    Array.set(out, i, converted);
                }
                i++;
            }
            return out;
        });
    }

    static Class<?> rawClass(Type t) {
        if (t instanceof Class<?> c) {
            return c;
        }
        if (t instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        if (t instanceof GenericArrayType g) {
            return rawClass(g.getGenericComponentType()).arrayType();
        }
        if (t instanceof WildcardType w) {
            return w.getUpperBounds().length == 0 ? Object.class : rawClass(w.getUpperBounds()[0]);
        }
        if (t instanceof TypeVariable<?> v) {
            return v.getBounds().length == 0 ? Object.class : rawClass(v.getBounds()[0]);
        }
        return Object.class;
    }

    private static Converter map(Type keyType, Type valueType, Supplier<Map<Object, Object>> factory) {
        Converter key = forType(keyType);
        Converter value = forType(valueType);
        return nullable(v -> {
            if (!(v instanceof Map<?, ?> in)) {
                throw mismatch("dict", v);
            }
            Map<Object, Object> out = factory.get();
            for (Map.Entry<?, ?> e : in.entrySet()) {
                Object k;
                try {
                    k = key.convert(e.getKey());
                } catch (Mismatch m) {
                    throw new Mismatch("has a key that " + m.detail()).at(m.path());
                }
                try {
                    out.put(k, value.convert(e.getValue()));
                } catch (Mismatch m) {
                    throw m.at("['" + e.getKey() + "']");
                } catch (ClassCastException | NullPointerException x) {
                    throw new Mismatch("must be a dict with mutually comparable, non-null keys");
                }
            }
            return out;
        });
    }

    // ---- records -------------------------------------------------------------------------------

    private static Converter record(Class<?> c) {
        RecordComponent[] components = c.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        String[] names = new String[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            names[i] = components[i].getName();
        }
        Constructor<?> ctor;
        try {
            ctor = c.getDeclaredConstructor(types);
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("record " + c.getName() + " has no canonical constructor", e);
        }
        ctor.trySetAccessible();
        // Component converters are built on first use, so a record may contain itself (a tree).
        RecordBinding binding = new RecordBinding(c, ctor, components, names);
        return nullable(binding::convert);
    }

    private static final class RecordBinding {
        private final Class<?> type;
        private final Constructor<?> ctor;
        private final RecordComponent[] components;
        private final String[] names;
        private volatile Converter[] converters;

        RecordBinding(Class<?> type, Constructor<?> ctor, RecordComponent[] components, String[] names) {
            this.type = type;
            this.ctor = ctor;
            this.components = components;
            this.names = names;
        }

        private Converter[] converters() {
            Converter[] cs = converters;
            if (cs == null) {
                cs = new Converter[components.length];
                for (int i = 0; i < cs.length; i++) {
                    cs[i] = forType(components[i].getGenericType());
                }
                converters = cs;
            }
            return cs;
        }

        Object convert(Object v) {
            if (!(v instanceof Map<?, ?> in)) {
                throw mismatch("a dict with the fields of " + type.getSimpleName(), v);
            }
            Converter[] cs = converters();
            Object[] values = new Object[cs.length];
            int found = 0;
            for (int i = 0; i < cs.length; i++) {
                Object raw = in.get(names[i]);
                if (raw != null || in.containsKey(names[i])) {
                    found++;
                } else if (components[i].getType().isPrimitive()) {
                    throw new Mismatch("is missing field '" + names[i] + "' of " + type.getSimpleName());
                }
                try {
                    values[i] = cs[i].convert(raw);
                } catch (Mismatch m) {
                    throw m.at("['" + names[i] + "']");
                }
            }
            if (found != in.size()) {
                for (Iterator<?> it = in.keySet().iterator(); it.hasNext();) {
                    Object k = it.next();
                    if (!List.of(names).contains(k)) {
                        throw new Mismatch("has unexpected field '" + k + "' for " + type.getSimpleName()
                                + " (fields: " + String.join(", ", names) + ")");
                    }
                }
            }
            try {
                return ctor.newInstance(values);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                throw new Mismatch("was rejected by " + type.getSimpleName() + ": " + cause);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot construct record " + type.getName()
                        + "; make it public (or its package open) so Celeriac can call its constructor", e);
            }
        }
    }
}
