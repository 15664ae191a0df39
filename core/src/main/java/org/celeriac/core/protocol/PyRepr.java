package org.celeriac.core.protocol;

import org.celeriac.spi.serializer.PythonFloats;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code repr()} of wire values, for the {@code argsrepr}/{@code kwargsrepr} headers and log
 * lines ({@code celery/utils/saferepr.py}), truncated like Celery to a maximum length. Stateless.
 */
public final class PyRepr {
    /** Celery's default {@code arg_maxlength} for argsrepr/kwargsrepr. */
    public static final int MAX_LENGTH = 1024;

    private PyRepr() {
    }

    /** {@code repr(tuple(args))}: {@code (2, 2)}, {@code (3,)}, {@code ()}. */
    public static String argsRepr(List<?> args, int maxLength) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < args.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            append(sb, args.get(i), 0);
            if (sb.length() > maxLength) {
                break;
            }
        }
        if (args.size() == 1) {
            sb.append(',');
        }
        sb.append(')');
        return truncate(sb, maxLength);
    }

    /** {@code repr(value)}, truncated to {@code maxLength} characters. */
    public static String repr(Object value, int maxLength) {
        StringBuilder sb = new StringBuilder();
        append(sb, value, 0);
        return truncate(sb, maxLength);
    }

    private static String truncate(StringBuilder sb, int maxLength) {
        return sb.length() <= maxLength ? sb.toString() : sb.substring(0, Math.max(0, maxLength - 3)) + "...";
    }

    private static void append(StringBuilder sb, Object v, int depth) {
        if (depth > 50 || sb.length() > 64 * 1024) {
            sb.append("...");
            return;
        }
        if (v == null) {
            sb.append("None");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "True" : "False");
        } else if (v instanceof Double || v instanceof Float) {
            sb.append(PythonFloats.repr(((Number) v).doubleValue()));
        } else if (v instanceof BigDecimal d) {
            sb.append("Decimal('").append(d).append("')");
        } else if (v instanceof Number || v instanceof BigInteger) {
            sb.append(v);
        } else if (v instanceof CharSequence s) {
            string(sb, s.toString());
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                append(sb, e.getKey(), depth + 1);
                sb.append(": ");
                append(sb, e.getValue(), depth + 1);
            }
            sb.append('}');
        } else if (v instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object o : c) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                append(sb, o, depth + 1);
            }
            sb.append(']');
        } else if (v instanceof byte[] bytes) {
            sb.append("b'<").append(bytes.length).append(" bytes>'");
        } else {
            string(sb, String.valueOf(v));
        }
    }

    /** Python 3 string repr: single quotes unless the text has ' and no ", escapes for non-printables. */
    static void string(StringBuilder sb, String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        sb.append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == quote || c == '\\') {
                sb.append('\\').append(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append(quote);
    }
}
