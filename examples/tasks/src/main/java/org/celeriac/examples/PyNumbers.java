package org.celeriac.examples;

import java.math.BigInteger;
import java.util.List;
import org.celeriac.api.PythonException;

/**
 * Python's arithmetic on the wire value model: an {@code int} ({@link Long}, or {@link BigInteger}
 * beyond 64 bits; {@link Boolean} counts as 0/1 as in Python) with an {@code int} gives an exact
 * integer of any size; a {@code float} ({@link Double}) on either side gives a {@code float}.
 * Results that fit in a {@code long} are {@link Long}s. Anything else raises Python's
 * {@code TypeError: unsupported operand type(s) for +: 'int' and 'str'}. Stateless and thread-safe.
 */
public final class PyNumbers {
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private PyNumbers() {
    }

    /**
     * Python's {@code x + y} for numbers.
     *
     * @throws PythonException TypeError when an operand is not a number; OverflowError when an int
     *         too large for a float meets a float
     */
    public static Object add(Object x, Object y) {
        check("+", x, y);
        if (isFloat(x) || isFloat(y)) {
            return toDouble(x) + toDouble(y);
        }
        if (x instanceof BigInteger || y instanceof BigInteger) {
            return normalize(toBig(x).add(toBig(y)));
        }
        long a = toLong(x);
        long b = toLong(y);
        long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) {
            return BigInteger.valueOf(a).add(BigInteger.valueOf(b));
        }
        return r;
    }

    /**
     * Python's {@code x * y} for numbers (sequence repetition such as {@code 'ab' * 3} is not supported).
     *
     * @throws PythonException TypeError when an operand is not a number; OverflowError when an int
     *         too large for a float meets a float
     */
    public static Object mul(Object x, Object y) {
        check("*", x, y);
        if (isFloat(x) || isFloat(y)) {
            return toDouble(x) * toDouble(y);
        }
        if (x instanceof BigInteger || y instanceof BigInteger) {
            return normalize(toBig(x).multiply(toBig(y)));
        }
        long a = toLong(x);
        long b = toLong(y);
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        if ((hi == 0 && lo >= 0) || (hi == -1 && lo < 0)) {
            return lo;
        }
        return BigInteger.valueOf(a).multiply(BigInteger.valueOf(b));
    }

    /**
     * Python's {@code sum(numbers)}: 0 for an empty list. Like Celery's test task {@code xsum}, an
     * element that is itself a list is summed first.
     *
     * @throws PythonException TypeError when an element is not a number (or a list of numbers)
     */
    public static Object sum(List<?> numbers) {
        Object total = 0L;
        for (Object n : numbers) {
            total = add(total, n instanceof List<?> inner ? sum(inner) : n);
        }
        return total;
    }

    /** Python's type name of a wire value: {@code int}, {@code float}, {@code str}, {@code NoneType}, … */
    public static String typeName(Object v) {
        if (v == null) {
            return "NoneType";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger) {
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
        if (v instanceof java.util.Map) {
            return "dict";
        }
        return v.getClass().getSimpleName();
    }

    private static void check(String op, Object x, Object y) {
        if (!isNumber(x) || !isNumber(y)) {
            throw PythonException.typeError("unsupported operand type(s) for " + op + ": '" + typeName(x)
                    + "' and '" + typeName(y) + "'");
        }
    }

    private static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof BigInteger || v instanceof Double || v instanceof Boolean
                || v instanceof Integer || v instanceof Short || v instanceof Byte || v instanceof Float;
    }

    private static boolean isFloat(Object v) {
        return v instanceof Double || v instanceof Float;
    }

    private static long toLong(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).longValue();
    }

    private static BigInteger toBig(Object v) {
        return v instanceof BigInteger b ? b : BigInteger.valueOf(toLong(v));
    }

    private static double toDouble(Object v) {
        if (v instanceof BigInteger b) {
            double d = b.doubleValue();
            if (Double.isInfinite(d)) {
                throw new PythonException("builtins", "OverflowError", List.of("int too large to convert to float"));
            }
            return d;
        }
        return v instanceof Boolean b ? (b ? 1.0 : 0.0) : ((Number) v).doubleValue();
    }

    private static Object normalize(BigInteger b) {
        return b.compareTo(LONG_MIN) >= 0 && b.compareTo(LONG_MAX) <= 0 ? (Object) b.longValue() : b;
    }
}
