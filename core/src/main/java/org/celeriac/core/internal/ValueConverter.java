package org.celeriac.core.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import org.celeriac.api.CeleriacException;

/**
 * Converts decoded wire values (the serializer value model) to the result type a caller asked for
 * ({@code app.task("tasks.add", Long.class)}). Stateless.
 */
public final class ValueConverter {
    private ValueConverter() {
    }

    /**
     * @throws CeleriacException when the value cannot be represented as {@code type}
     */
    public static <T> T convert(Object value, Class<T> type) {
        if (value == null || type == Object.class || type.isInstance(value)) {
            return type.cast(value);
        }
        Object out = null;
        if (value instanceof Number n) {
            if (type == Long.class || type == long.class) {
                out = n instanceof BigInteger b ? b.longValueExact() : exactLong(n);
            } else if (type == Integer.class || type == int.class) {
                out = Math.toIntExact(exactLong(n));
            } else if (type == Double.class || type == double.class) {
                out = n.doubleValue();
            } else if (type == BigInteger.class) {
                out = n instanceof BigInteger b ? b : BigInteger.valueOf(exactLong(n));
            } else if (type == BigDecimal.class) {
                out = new BigDecimal(n.toString());
            } else if (type == String.class) {
                out = n.toString();
            }
        } else if (type == String.class) {
            out = String.valueOf(value);
        }
        if (out == null) {
            throw new CeleriacException("the result " + abbreviate(value) + " (" + value.getClass().getSimpleName()
                    + ") cannot be read as " + type.getName() + "; ask for Object.class to get the decoded value");
        }
        @SuppressWarnings("unchecked")
        T t = (T) out;
        return t;
    }

    private static long exactLong(Number n) {
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (d != Math.rint(d) || Double.isInfinite(d)) {
                throw new ArithmeticException(d + " is not an integer");
            }
            return (long) d;
        }
        return n.longValue();
    }

    private static String abbreviate(Object v) {
        String s = String.valueOf(v);
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
