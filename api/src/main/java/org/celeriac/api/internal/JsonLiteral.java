package org.celeriac.api.internal;

import java.math.BigInteger;

/**
 * Reads the JSON scalar literals of {@link org.celeriac.api.DefaultValue @DefaultValue}: a number,
 * a string in double quotes (JSON escapes), {@code true}, {@code false} or {@code null}. Numbers
 * follow the wire value model: an integer is a {@link Long}, or a {@link BigInteger} when it does
 * not fit; a number with a fraction or an exponent is a {@link Double} (Python's {@code json}
 * module reads them the same way). Stateless and thread-safe.
 */
public final class JsonLiteral {
    private JsonLiteral() {
    }

    /**
     * Parses one literal; surrounding whitespace is allowed.
     *
     * @param text the literal, e.g. {@code 0.5}, {@code "abc"}, {@code null}; not null
     * @return the value: null, Boolean, Long, BigInteger, Double or String
     * @throws IllegalArgumentException when {@code text} is not one JSON scalar literal; the message
     *         quotes the text and lists the accepted forms
     */
    public static Object parse(String text) {
        String t = text.strip();
        try {
            switch (t) {
                case "null":
                    return null;
                case "true":
                    return Boolean.TRUE;
                case "false":
                    return Boolean.FALSE;
                default:
                    break;
            }
            if (t.length() >= 2 && t.charAt(0) == '"' && t.charAt(t.length() - 1) == '"') {
                return unquote(t);
            }
            return number(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a JSON literal; use a number (0, -1.5, 1e3),"
                    + " a string in double quotes (\"text\"), true, false or null"
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"), e);
        }
    }

    private static Object number(String t) {
        // JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        int i = 0;
        int n = t.length();
        if (i < n && t.charAt(i) == '-') {
            i++;
        }
        int intStart = i;
        while (i < n && isDigit(t.charAt(i))) {
            i++;
        }
        if (i == intStart || (t.charAt(intStart) == '0' && i - intStart > 1)) {
            throw new IllegalArgumentException((String) null);
        }
        boolean integral = true;
        if (i < n && t.charAt(i) == '.') {
            integral = false;
            int fracStart = ++i;
            while (i < n && isDigit(t.charAt(i))) {
                i++;
            }
            if (i == fracStart) {
                throw new IllegalArgumentException("digits expected after '.'");
            }
        }
        if (i < n && (t.charAt(i) == 'e' || t.charAt(i) == 'E')) {
            integral = false;
            i++;
            if (i < n && (t.charAt(i) == '+' || t.charAt(i) == '-')) {
                i++;
            }
            int expStart = i;
            while (i < n && isDigit(t.charAt(i))) {
                i++;
            }
            if (i == expStart) {
                throw new IllegalArgumentException("digits expected in the exponent");
            }
        }
        if (i != n) {
            throw new IllegalArgumentException((String) null);
        }
        if (!integral) {
            return Double.parseDouble(t);
        }
        if (n - intStart <= 18) {
            return Long.parseLong(t);
        }
        BigInteger big = new BigInteger(t);
        return big.bitLength() <= 63 ? (Object) big.longValue() : big;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String unquote(String t) {
        StringBuilder sb = new StringBuilder(t.length());
        int end = t.length() - 1;
        for (int i = 1; i < end; i++) {
            char c = t.charAt(i);
            if (c == '"') {
                throw new IllegalArgumentException("unescaped '\"' inside the string");
            }
            if (c < 0x20) {
                throw new IllegalArgumentException("control character inside the string; escape it");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (++i >= end) {
                throw new IllegalArgumentException("dangling '\\' at the end of the string");
            }
            char e = t.charAt(i);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (i + 4 >= end) {
                        throw new IllegalArgumentException("\\u needs four hex digits");
                    }
                    int code = 0;
                    for (int k = 1; k <= 4; k++) {
                        int d = Character.digit(t.charAt(i + k), 16);
                        if (d < 0) {
                            throw new IllegalArgumentException("\\u needs four hex digits");
                        }
                        code = code * 16 + d;
                    }
                    sb.append((char) code);
                    i += 4;
                }
                default -> throw new IllegalArgumentException("unknown escape '\\" + e + "'");
            }
        }
        return sb.toString();
    }
}
