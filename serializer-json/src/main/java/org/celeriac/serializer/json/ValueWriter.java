package org.celeriac.serializer.json;

import org.celeriac.spi.serializer.PythonFloats;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.RandomAccess;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAccumulator;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Walks a Java value and writes it to a {@link JsonGenerator} as kombu 5.2.4's {@code json.dumps}
 * would write the equivalent Python value (see {@link JsonSerializer} for the mapping). Stateless;
 * recursion depth is bounded by {@link JsonSerializer#MAX_DEPTH}. On failure it throws
 * {@link Failure}, which collects the path while unwinding so that the happy path pays nothing for it.
 */
final class ValueWriter {

    static final String BYTES_ADVICE = "bytes are not JSON serializable by Python Celery 5.2.6 "
            + "(kombu EncodeError); send a base64 string";

    private static final ClassValue<Method[]> RECORD_ACCESSORS = new ClassValue<>() {
        @Override
        protected Method[] computeValue(Class<?> type) {
            RecordComponent[] components = type.getRecordComponents();
            Method[] accessors = new Method[components.length];
            for (int i = 0; i < components.length; i++) {
                Method m = components[i].getAccessor();
                m.setAccessible(true); // records nested in non-public classes
                accessors[i] = m;
            }
            return accessors;
        }
    };

    private ValueWriter() {
    }

    /** Writes one value (and everything inside it). */
    static void write(JsonGenerator g, Object value, int depth) throws IOException {
        if (value == null) {
            g.writeNull();
        } else if (value instanceof String s) {
            g.writeString(s);
        } else if (value instanceof Map<?, ?> map) {
            writeMap(g, map, depth);
        } else if (value instanceof List<?> list && value instanceof RandomAccess) {
            writeRandomAccessList(g, list, depth);
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            g.writeNumber(((Number) value).longValue());
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (value instanceof Double d) {
            g.writeNumber(PythonFloats.json(d));
        } else if (value instanceof Iterable<?> iterable) {
            writeIterable(g, iterable, depth);
        } else if (value instanceof Number n) {
            writeOtherNumber(g, n);
        } else if (value instanceof CharSequence || value instanceof Character) {
            g.writeString(value.toString());
        } else if (value instanceof Enum<?> e) {
            g.writeString(e.name());
        } else if (value instanceof UUID u) {
            g.writeString(u.toString());
        } else if (value instanceof Object[] array) {
            writeIterable(g, java.util.Arrays.asList(array), depth);
        } else if (value.getClass().isArray()) {
            writePrimitiveArray(g, value);
        } else if (value instanceof Optional<?> o) {
            write(g, o.orElse(null), depth);
        } else if (value instanceof OptionalInt o) {
            write(g, o.isPresent() ? (Object) o.getAsInt() : null, depth);
        } else if (value instanceof OptionalLong o) {
            write(g, o.isPresent() ? (Object) o.getAsLong() : null, depth);
        } else if (value instanceof OptionalDouble o) {
            write(g, o.isPresent() ? (Object) o.getAsDouble() : null, depth);
        } else if (value instanceof Record r) {
            writeRecord(g, r, depth);
        } else {
            g.writeString(temporal(value));
        }
    }

    private static void writeMap(JsonGenerator g, Map<?, ?> map, int depth) throws IOException {
        enter(depth);
        g.writeStartObject();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = key(e.getKey());
            g.writeFieldName(key);
            try {
                write(g, e.getValue(), depth + 1);
            } catch (Failure f) {
                throw f.at(key);
            }
        }
        g.writeEndObject();
    }

    private static void writeRandomAccessList(JsonGenerator g, List<?> list, int depth) throws IOException {
        enter(depth);
        g.writeStartArray();
        for (int i = 0, n = list.size(); i < n; i++) {
            try {
                write(g, list.get(i), depth + 1);
            } catch (Failure f) {
                throw f.at(i);
            }
        }
        g.writeEndArray();
    }

    private static void writeIterable(JsonGenerator g, Iterable<?> iterable, int depth) throws IOException {
        enter(depth);
        g.writeStartArray();
        int i = 0;
        for (Object item : iterable) {
            try {
                write(g, item, depth + 1);
            } catch (Failure f) {
                throw f.at(i);
            }
            i++;
        }
        g.writeEndArray();
    }

    private static void writeRecord(JsonGenerator g, Record record, int depth) throws IOException {
        enter(depth);
        Method[] accessors = RECORD_ACCESSORS.get(record.getClass());
        g.writeStartObject();
        for (Method accessor : accessors) {
            String name = accessor.getName();
            Object component;
            try {
                component = accessor.invoke(record);
            } catch (IllegalAccessException | InvocationTargetException e) {
                Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
                throw new Failure("cannot read component '" + name + "' of record "
                        + record.getClass().getName(), "its accessor threw " + cause, cause).at(name);
            }
            g.writeFieldName(name);
            try {
                write(g, component, depth + 1);
            } catch (Failure f) {
                throw f.at(name);
            }
        }
        g.writeEndObject();
    }

    private static void writeOtherNumber(JsonGenerator g, Number n) throws IOException {
        if (n instanceof Float f) {
            // the shortest decimal of the float (0.1f -> 0.1), not its binary expansion as a double
            g.writeNumber(PythonFloats.json(Double.parseDouble(Float.toString(f))));
        } else if (n instanceof BigInteger b) {
            g.writeNumber(b);
        } else if (n instanceof BigDecimal b) {
            g.writeString(b.toString()); // str(Decimal): kombu 5.2.4 writes Decimal as text
        } else if (n instanceof AtomicInteger || n instanceof AtomicLong || n instanceof LongAdder
                || n instanceof LongAccumulator) {
            g.writeNumber(n.longValue());
        } else if (n instanceof DoubleAdder || n instanceof DoubleAccumulator) {
            g.writeNumber(PythonFloats.json(n.doubleValue()));
        } else {
            throw unsupported(n);
        }
    }

    private static void writePrimitiveArray(JsonGenerator g, Object array) throws IOException {
        switch (array) {
            case byte[] ignored -> throw new Failure("cannot encode byte[]", BYTES_ADVICE, null);
            case int[] a -> {
                g.writeStartArray();
                for (int v : a) {
                    g.writeNumber(v);
                }
                g.writeEndArray();
            }
            case long[] a -> {
                g.writeStartArray();
                for (long v : a) {
                    g.writeNumber(v);
                }
                g.writeEndArray();
            }
            case short[] a -> {
                g.writeStartArray();
                for (short v : a) {
                    g.writeNumber(v);
                }
                g.writeEndArray();
            }
            case double[] a -> {
                g.writeStartArray();
                for (double v : a) {
                    g.writeNumber(PythonFloats.json(v));
                }
                g.writeEndArray();
            }
            case float[] a -> {
                g.writeStartArray();
                for (float v : a) {
                    g.writeNumber(PythonFloats.json(Double.parseDouble(Float.toString(v))));
                }
                g.writeEndArray();
            }
            case boolean[] a -> {
                g.writeStartArray();
                for (boolean v : a) {
                    g.writeBoolean(v);
                }
                g.writeEndArray();
            }
            case char[] a -> g.writeString(a, 0, a.length); // like Jackson: a char[] is text
            default -> throw unsupported(array);
        }
    }

    /** java.time values (and java.util.Date) as kombu 5.2.4 writes datetime/date/time; else unsupported. */
    private static String temporal(Object value) {
        try {
            return switch (value) {
                case Instant i -> PythonIsoFormat.dateTime(i);
                case OffsetDateTime o -> PythonIsoFormat.dateTime(o);
                case ZonedDateTime z -> PythonIsoFormat.dateTime(z);
                case LocalDateTime l -> PythonIsoFormat.dateTime(l, null);
                case LocalDate d -> PythonIsoFormat.date(d);
                case LocalTime t -> PythonIsoFormat.time(t);
                case OffsetTime t -> PythonIsoFormat.time(t);
                case Date d -> PythonIsoFormat.dateTime(Instant.ofEpochMilli(d.getTime()));
                case ByteBuffer ignored -> throw new Failure("cannot encode " + value.getClass().getName(),
                        BYTES_ADVICE, null);
                default -> throw unsupported(value);
            };
        } catch (IllegalArgumentException e) {
            throw new Failure("cannot encode " + value.getClass().getName() + " " + value, e.getMessage(), e);
        }
    }

    /** Python's json turns None/bool/int/float keys into text; Java keys go through the same rules. */
    private static String key(Object key) {
        if (key instanceof String s) {
            return s;
        }
        if (key instanceof Double || key instanceof Float) {
            return PythonFloats.json(Double.parseDouble(key.toString()));
        }
        if (key instanceof Enum<?> e) {
            return e.name();
        }
        return String.valueOf(key); // null -> "null", true -> "true", 1 -> "1", like Python
    }

    private static void enter(int depth) {
        if (depth >= JsonSerializer.MAX_DEPTH) {
            throw new Failure("cannot encode a value nested deeper than " + JsonSerializer.MAX_DEPTH + " levels",
                    "is there a circular reference? (Python: ValueError: Circular reference detected)", null);
        }
    }

    private static Failure unsupported(Object value) {
        return new Failure("cannot encode Java type " + value.getClass().getName(),
                "JSON (kombu 5.2.4) takes null, Boolean, numbers, String, Map, Iterable, arrays, Optional, "
                        + "Enum, java.time values, UUID and records; convert it to one of these", null);
    }

    /**
     * An encoding failure travelling up the value; each container adds its key or index on the way.
     * No stack trace: it never escapes {@link JsonSerializer}, which turns it into a
     * {@link org.celeriac.spi.SerializationException}.
     */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private final String problem;
        private final String advice;
        private final transient List<Object> reversedPath = new ArrayList<>();

        Failure(String problem, String advice, Throwable cause) {
            super(problem, cause, false, false);
            this.problem = problem;
            this.advice = advice;
        }

        Failure at(Object segment) {
            reversedPath.add(segment);
            return this;
        }

        String describe() {
            List<Object> path = new ArrayList<>(reversedPath);
            Collections.reverse(path);
            return problem + " at " + JsonPath.render(path) + ": " + advice;
        }
    }
}
