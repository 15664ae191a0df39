package org.celeriac.backend.mongodb;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.celeriac.spi.backend.TaskMetaCodec;

/**
 * Converts between the serializer value model and the native BSON values of the fields Celery stores unencoded
 * ({@code children}, extended {@code args}/{@code kwargs}), as pymongo would write Python values. Stateless.
 */
final class BsonValues {
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private BsonValues() {
    }

    /**
     * A value of the model as BSON: maps become documents, collections and arrays lists, integers Int64.
     *
     * @param what the field, for the error message
     * @throws IllegalArgumentException naming the Java type and the path when a value has no BSON form (an
     *         integer beyond 64 bits: pymongo refuses those too)
     */
    static Object toBson(Object v, String what) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof BigInteger b) {
            if (b.compareTo(LONG_MIN) >= 0 && b.compareTo(LONG_MAX) <= 0) {
                return b.longValue();
            }
            throw new IllegalArgumentException(what + ": the integer " + b + " does not fit in 64 bits, and MongoDB "
                    + "stores at most 8-byte integers natively (pymongo refuses it too); pass it as a string");
        }
        if (v instanceof BigDecimal d) {
            return d.toPlainString(); // kombu's JSON writes Decimal as a string
        }
        if (v instanceof UUID || v instanceof Enum<?> || v instanceof CharSequence) {
            return v.toString();
        }
        if (v instanceof java.time.Instant i) {
            return TaskMetaCodec.formatDateTime(i);
        }
        if (v instanceof java.time.temporal.TemporalAccessor t) {
            return t.toString();
        }
        if (v instanceof byte[] b) {
            return new Binary(b);
        }
        if (v instanceof Map<?, ?> m) {
            Document d = new Document();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String k = String.valueOf(e.getKey());
                d.put(k, toBson(e.getValue(), what + "." + k));
            }
            return d;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            int i = 0;
            for (Object o : c) {
                out.add(toBson(o, what + "[" + i++ + "]"));
            }
            return out;
        }
        if (v.getClass().isArray()) {
            int n = Array.getLength(v);
            List<Object> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(toBson(Array.get(v, i), what + "[" + i + "]"));
            }
            return out;
        }
        if (v instanceof Record r) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (var c : r.getClass().getRecordComponents()) {
                try {
                    m.put(c.getName(), c.getAccessor().invoke(r));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalArgumentException(what + ": cannot read record component " + c.getName()
                            + " of " + r.getClass().getName(), e);
                }
            }
            return toBson(m, what);
        }
        throw new IllegalArgumentException(what + ": a " + v.getClass().getName() + " has no BSON form; pass "
                + "values of the serializer value model (null, Boolean, Long, Double, String, List, Map)");
    }

    /**
     * A BSON value read back as the value model: documents become maps, Int32 Long, dates ISO strings (what JSON
     * would give), ObjectIds hex strings, Decimal128 exact integers or strings, Binary {@code byte[]}.
     */
    static Object fromBson(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) {
            return v;
        }
        if (v instanceof Integer i) {
            return i.longValue();
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), fromBson(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(fromBson(x)));
            return out;
        }
        if (v instanceof java.util.Date d) {
            return TaskMetaCodec.formatDateTime(d.toInstant());
        }
        if (v instanceof ObjectId o) {
            return o.toHexString();
        }
        if (v instanceof Decimal128 d) {
            try {
                BigDecimal b = d.bigDecimalValue();
                return b.stripTrailingZeros().scale() <= 0 ? b.toBigIntegerExact() : b.toPlainString();
            } catch (ArithmeticException e) {
                return d.toString();
            }
        }
        if (v instanceof Binary b) {
            return b.getData();
        }
        return String.valueOf(v);
    }
}
