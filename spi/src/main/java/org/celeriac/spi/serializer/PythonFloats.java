package org.celeriac.spi.serializer;

import java.math.BigDecimal;

/**
 * Formats a {@code double} exactly as Python's {@code repr(float)} (and therefore {@code json.dumps})
 * does: the shortest digit string that reads back to the same double (David Gay's {@code dtoa} mode 0,
 * {@code float_repr_style = 'short'}), laid out as {@code "3.0"}, {@code "0.0001"}, {@code "1e-05"},
 * {@code "1.5e+16"}, {@code "-0.0"}; exponent form when the decimal exponent is below -4 or at least 16.
 * Non-finite values are written as Python's {@code json} module writes them: {@code NaN},
 * {@code Infinity}, {@code -Infinity}.
 *
 * <p>The digits come from {@link Double#toString(double)}, which since JDK 19 returns the shortest
 * round-tripping decimal, except that it prefers a closer two-digit decimal over a one-digit one
 * ({@code 4.9E-324} where Python writes {@code 5e-324}); that case is corrected here.
 *
 * <p>Part of the wire contract: a serializer that writes JSON for Python peers writes floats this way,
 * and Celeriac's {@code argsrepr} headers use {@link #repr}. Stateless and thread-safe.
 */
public final class PythonFloats {

    private PythonFloats() {
    }

    /**
     * Python's {@code repr(float)}: like {@link #json} but non-finite values are {@code nan}, {@code inf},
     * {@code -inf}.
     *
     * @param value any double
     * @return the text; never null
     */
    public static String repr(double value) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        return json(value);
    }

    /**
     * Python's {@code json.dumps(float)}.
     *
     * @param value any double
     * @return Python's JSON text for it; never null
     */
    public static String json(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        if (value == 0.0) {
            return Double.doubleToRawLongBits(value) == 0L ? "0.0" : "-0.0";
        }
        boolean negative = value < 0;
        double abs = Math.abs(value);
        // Fast path: integral values below 2^53 print as "<integer>.0" in both languages.
        if (abs < 1e15 && abs == Math.rint(abs)) {
            String s = Long.toString((long) abs) + ".0";
            return negative ? "-" + s : s;
        }
        String java = Double.toString(abs);
        int e = java.indexOf('E');
        String mantissa = e < 0 ? java : java.substring(0, e);
        int exponent = e < 0 ? 0 : Integer.parseInt(java, e + 1, java.length(), 10);
        int dot = mantissa.indexOf('.');
        StringBuilder digits = new StringBuilder(mantissa.length());
        digits.append(mantissa, 0, dot).append(mantissa, dot + 1, mantissa.length());
        // value = 0.<digits> * 10^decpt (Gay's convention)
        int decpt = dot + exponent;
        int lead = 0;
        while (lead < digits.length() - 1 && digits.charAt(lead) == '0') {
            lead++;
        }
        if (lead > 0) {
            digits.delete(0, lead);
            decpt -= lead;
        }
        int end = digits.length();
        while (end > 1 && digits.charAt(end - 1) == '0') {
            end--;
        }
        digits.setLength(end);
        if (digits.length() == 2) {
            decpt = shortenToOneDigit(abs, digits, decpt);
        }
        StringBuilder out = new StringBuilder(24);
        if (negative) {
            out.append('-');
        }
        layout(out, digits, decpt);
        return out.toString();
    }

    /**
     * Python picks the shortest round-tripping digits even when a longer string is closer; Java's
     * {@code Double.toString} may return two digits where one suffices. Tries both one-digit
     * neighbours and keeps the closest that reads back to {@code abs}.
     *
     * @return the (possibly changed) decimal point position; {@code digits} is updated in place
     */
    private static int shortenToOneDigit(double abs, StringBuilder digits, int decpt) {
        int first = digits.charAt(0) - '0';
        // candidate "first" at decpt, and "first + 1" (carrying to "1" at decpt + 1)
        double down = Double.parseDouble(first + "E" + (decpt - 1));
        boolean downOk = down == abs;
        int upDigit = first + 1;
        int upDecpt = decpt;
        if (upDigit == 10) {
            upDigit = 1;
            upDecpt = decpt + 1;
        }
        double up = Double.parseDouble(upDigit + "E" + (upDecpt - 1));
        boolean upOk = up == abs;
        if (!downOk && !upOk) {
            return decpt;
        }
        boolean useUp;
        if (downOk && upOk) {
            BigDecimal exact = new BigDecimal(abs);
            BigDecimal dDown = exact.subtract(new BigDecimal(first + "E" + (decpt - 1))).abs();
            BigDecimal dUp = new BigDecimal(upDigit + "E" + (upDecpt - 1)).subtract(exact).abs();
            int cmp = dUp.compareTo(dDown);
            useUp = cmp < 0 || (cmp == 0 && first % 2 == 1);
        } else {
            useUp = upOk;
        }
        digits.setLength(0);
        if (useUp) {
            digits.append((char) ('0' + upDigit));
            return upDecpt;
        }
        digits.append((char) ('0' + first));
        return decpt;
    }

    /** Python's {@code format_float_short} layout for {@code repr}. */
    private static void layout(StringBuilder out, CharSequence digits, int decpt) {
        int n = digits.length();
        if (decpt <= -4 || decpt > 16) {
            out.append(digits.charAt(0));
            if (n > 1) {
                out.append('.').append(digits, 1, n);
            }
            int exp = decpt - 1;
            out.append('e').append(exp < 0 ? '-' : '+');
            int a = Math.abs(exp);
            if (a < 10) {
                out.append('0');
            }
            out.append(a);
        } else if (decpt <= 0) {
            out.append("0.");
            for (int i = decpt; i < 0; i++) {
                out.append('0');
            }
            out.append(digits);
        } else if (decpt >= n) {
            out.append(digits);
            for (int i = n; i < decpt; i++) {
                out.append('0');
            }
            out.append(".0");
        } else {
            out.append(digits, 0, decpt).append('.').append(digits, decpt, n);
        }
    }
}
