package org.celeriac.core.config;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the subset of a Python {@code celeryconfig.py} that is plain data: top-level statements
 * {@code NAME = <literal>} where the literal is a {@code str} (quotes of any kind, adjacent strings
 * concatenated), {@code int}, {@code float}, {@code True}/{@code False}/{@code None}, a list, tuple or
 * set (all read as {@link List}), a dict (read as {@link Map} with string keys), or
 * {@code timedelta(...)} (read as seconds, a {@link Double}), {@code crontab(...)} (read as
 * {@code {"crontab": {field: value}}}), or {@code re.compile('...')} (read as the
 * text {@code re:...}, the form {@code task_routes} keys take for regular expressions); JSON's {@code true}/{@code false}/{@code null}
 * are accepted too, so the same parser reads list/dict values given as text in the environment or
 * system properties. Integers are {@link Long} (or {@link BigInteger} when larger). Imports, comments, compound statements
 * and anything else are ignored with a DEBUG log; an assignment whose value is not such a literal is
 * ignored with a WARN log naming the line. Stateless and thread-safe.
 */
final class PythonConfigReader {
    private static final Logger LOG = LoggerFactory.getLogger(PythonConfigReader.class);
    private static final Pattern ASSIGNMENT = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*=(?!=)\\s*(.*)", Pattern.DOTALL);
    private static final Set<String> TIMEDELTA_UNITS = Set.of("weeks", "days", "hours", "minutes", "seconds",
            "milliseconds", "microseconds");

    private PythonConfigReader() {
    }

    /** A statement and the 1-based line it starts on. */
    private record Statement(String text, int line, boolean indented) {
    }

    /** Raised for a value that is valid Python but not a plain literal. */
    static final class NotLiteralException extends Exception {
        private static final long serialVersionUID = 1L;

        NotLiteralException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Reads the file's text.
     *
     * @param file the file, for messages
     * @param text its content
     * @param lines receives, per setting name, the line it was assigned on
     * @return the settings in file order (later assignments win)
     * @throws ConfigException naming the file and line on a syntax error (unterminated string or bracket)
     */
    static Map<String, Object> read(Path file, String text, Map<String, Integer> lines) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Statement st : split(file, text)) {
            String s = st.text().strip();
            if (s.isEmpty()) {
                continue;
            }
            Matcher m = ASSIGNMENT.matcher(s);
            if (st.indented() || !m.matches()) {
                LOG.debug("{} line {}: not a top-level NAME = value statement; ignored: {}", file, st.line(),
                        abbreviate(s));
                continue;
            }
            String name = m.group(1);
            try {
                Object value = parseLiteral(m.group(2));
                values.put(name, value);
                lines.put(name, st.line());
            } catch (NotLiteralException e) {
                LOG.warn("{} line {}: {} is not set: {} (only str, int, float, True/False/None, lists, tuples, "
                        + "dicts, timedelta(...) and crontab(...) are read from Python files; put it in a .yaml or .properties "
                        + "file, or set it in code)", file, st.line(), name, e.getMessage());
            }
        }
        return values;
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ");
        return one.length() > 60 ? one.substring(0, 57) + "..." : one;
    }

    /** Splits the text into logical statements: newlines inside brackets/strings and after {@code \} continue. */
    private static List<Statement> split(Path file, String text) {
        List<Statement> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int line = 1;
        int startLine = 1;
        int depth = 0;
        boolean atStart = true;
        boolean indented = false;
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (atStart) {
                if (c == ' ' || c == '\t') {
                    indented = true;
                    i++;
                    continue;
                }
                atStart = false;
                startLine = line;
            }
            if (c == '#') {
                while (i < n && text.charAt(i) != '\n') {
                    i++;
                }
                continue;
            }
            if (c == '\'' || c == '"') {
                boolean triple = i + 2 < n && text.charAt(i + 1) == c && text.charAt(i + 2) == c;
                int strLine = line;
                int j = i + (triple ? 3 : 1);
                boolean closed = false;
                while (j < n) {
                    char d = text.charAt(j);
                    if (d == '\\' && j + 1 < n) {
                        if (text.charAt(j + 1) == '\n') {
                            line++;
                        }
                        j += 2;
                        continue;
                    }
                    if (d == '\n') {
                        if (!triple) {
                            break;
                        }
                        line++;
                    }
                    if (d == c && (!triple || (j + 2 < n && text.charAt(j + 1) == c && text.charAt(j + 2) == c))) {
                        j += triple ? 3 : 1;
                        closed = true;
                        break;
                    }
                    j++;
                }
                if (!closed) {
                    throw new ConfigException("config file " + file + " line " + strLine
                            + ": string literal is not closed; add the missing " + (triple ? "" + c + c + c : "" + c));
                }
                cur.append(text, i, j);
                i = j;
                continue;
            }
            if (c == '\\' && i + 1 < n && text.charAt(i + 1) == '\n') {
                cur.append(' ');
                line++;
                i += 2;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            }
            if (c == '\n') {
                line++;
                if (depth == 0) {
                    out.add(new Statement(cur.toString(), startLine, indented));
                    cur.setLength(0);
                    atStart = true;
                    indented = false;
                } else {
                    cur.append(c);
                }
                i++;
                continue;
            }
            if (c == ';' && depth == 0) {
                out.add(new Statement(cur.toString(), startLine, indented));
                cur.setLength(0);
                startLine = line;
                i++;
                continue;
            }
            cur.append(c);
            i++;
        }
        if (depth > 0) {
            throw new ConfigException("config file " + file + " line " + startLine
                    + ": a bracket opened in this statement is never closed; add the missing ), ] or }");
        }
        out.add(new Statement(cur.toString(), startLine, indented));
        return out;
    }

    /**
     * Parses one Python literal expression.
     *
     * @throws NotLiteralException when the text is not a plain literal
     */
    static Object parseLiteral(String text) throws NotLiteralException {
        Parser p = new Parser(text);
        Object v = p.value();
        p.skipSpace();
        if (p.pos < text.length()) {
            throw new NotLiteralException("unexpected '" + abbreviate(text.substring(p.pos)) + "' after the value");
        }
        return v;
    }

    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        void skipSpace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (Character.isWhitespace(c)) {
                    pos++;
                } else if (c == '#') {
                    while (pos < s.length() && s.charAt(pos) != '\n') {
                        pos++;
                    }
                } else {
                    break;
                }
            }
        }

        private boolean peek(char c) {
            skipSpace();
            return pos < s.length() && s.charAt(pos) == c;
        }

        private void expect(char c) throws NotLiteralException {
            if (!peek(c)) {
                throw new NotLiteralException("expected '" + c + "' at '" + rest() + "'");
            }
            pos++;
        }

        private String rest() {
            return pos >= s.length() ? "<end>" : abbreviate(s.substring(pos));
        }

        Object value() throws NotLiteralException {
            skipSpace();
            if (pos >= s.length()) {
                throw new NotLiteralException("no value");
            }
            char c = s.charAt(pos);
            if (c == '-' || c == '+') {
                pos++;
                Object v = value();
                if (!(v instanceof Number num)) {
                    throw new NotLiteralException("'" + c + "' before a value that is not a number");
                }
                if (c == '+') {
                    return v;
                }
                if (num instanceof Long l) {
                    return l == Long.MIN_VALUE ? BigInteger.valueOf(l).negate() : -l;
                }
                if (num instanceof BigInteger b) {
                    return b.negate();
                }
                return -num.doubleValue();
            }
            if (c == '[') {
                pos++;
                return Collections.unmodifiableList(items(']'));
            }
            if (c == '(') {
                pos++;
                List<Object> items = new ArrayList<>();
                boolean comma = false;
                while (!peek(')')) {
                    items.add(value());
                    if (peek(',')) {
                        pos++;
                        comma = true;
                    } else if (!peek(')')) {
                        throw new NotLiteralException("expected ',' or ')' at '" + rest() + "'");
                    }
                }
                pos++;
                // (x) is just x; (x,) and (x, y) are tuples
                return items.size() == 1 && !comma ? items.get(0) : Collections.unmodifiableList(items);
            }
            if (c == '{') {
                pos++;
                return dictOrSet();
            }
            if (c == '\'' || c == '"') {
                return strings();
            }
            if (Character.isDigit(c) || c == '.') {
                return number();
            }
            if (Character.isLetter(c) || c == '_') {
                int start = pos;
                while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_'
                        || s.charAt(pos) == '.')) {
                    pos++;
                }
                String word = s.substring(start, pos);
                if (pos < s.length() && (s.charAt(pos) == '\'' || s.charAt(pos) == '"')
                        && word.matches("(?i)[rbu]{1,2}")) {
                    return strings(word.toLowerCase(java.util.Locale.ROOT).contains("r"), start);
                }
                switch (word) {
                    case "True", "true":
                        return Boolean.TRUE;
                    case "False", "false":
                        return Boolean.FALSE;
                    case "None", "null":
                        return null;
                    case "timedelta":
                    case "datetime.timedelta":
                        return timedelta();
                    case "re.compile":
                        return regex();
                    case "crontab":
                    case "celery.schedules.crontab":
                    case "schedules.crontab":
                        return crontab();
                    default:
                        throw new NotLiteralException("'" + abbreviate(word + s.substring(pos))
                                + "' is an expression, not a literal");
                }
            }
            throw new NotLiteralException("unexpected '" + rest() + "'");
        }

        private List<Object> items(char close) throws NotLiteralException {
            List<Object> items = new ArrayList<>();
            while (!peek(close)) {
                items.add(value());
                if (peek(',')) {
                    pos++;
                } else if (!peek(close)) {
                    throw new NotLiteralException("expected ',' or '" + close + "' at '" + rest() + "'");
                }
            }
            pos++;
            return items;
        }

        private Object dictOrSet() throws NotLiteralException {
            if (peek('}')) {
                pos++;
                return Collections.unmodifiableMap(new LinkedHashMap<>());
            }
            Object first = value();
            if (peek(':')) {
                Map<String, Object> m = new LinkedHashMap<>();
                pos++;
                m.put(String.valueOf(first), value());
                while (true) {
                    if (peek(',')) {
                        pos++;
                    } else if (!peek('}')) {
                        throw new NotLiteralException("expected ',' or '}' at '" + rest() + "'");
                    }
                    if (peek('}')) {
                        pos++;
                        return Collections.unmodifiableMap(m);
                    }
                    Object k = value();
                    expect(':');
                    m.put(String.valueOf(k), value());
                }
            }
            List<Object> items = new ArrayList<>();
            items.add(first);
            if (peek(',')) {
                pos++;
            }
            items.addAll(items('}'));
            return Collections.unmodifiableList(items.stream().distinct().toList());
        }

        /** {@code re.compile('...')} becomes the text {@code re:...} (how task_routes writes regex keys). */
        private Object regex() throws NotLiteralException {
            expect('(');
            skipSpace();
            Object pattern = value();
            if (!(pattern instanceof String p)) {
                throw new NotLiteralException("re.compile(...) needs a string pattern");
            }
            if (peek(',')) {
                throw new NotLiteralException("re.compile(...) flags are not read; use inline flags such as (?i)");
            }
            expect(')');
            return "re:" + p;
        }

        /**
         * {@code crontab(minute=..., hour=..., day_of_week=..., day_of_month=..., month_of_year=...)} (keywords
         * or positional, in that order) becomes {@code {"crontab": {field: value}}}, the form
         * {@code beat_schedule} reads; the field values are checked by beat.
         */
        private Object crontab() throws NotLiteralException {
            expect('(');
            String[] fields = {"minute", "hour", "day_of_week", "day_of_month", "month_of_year"};
            Map<String, Object> m = new LinkedHashMap<>();
            int index = 0;
            while (!peek(')')) {
                skipSpace();
                int save = pos;
                while (pos < s.length() && (Character.isLetter(s.charAt(pos)) || s.charAt(pos) == '_')) {
                    pos++;
                }
                String field;
                if (pos > save && peek('=')) {
                    field = s.substring(save, pos);
                    pos++;
                    if (!java.util.Arrays.asList(fields).contains(field)) {
                        throw new NotLiteralException("crontab(...) argument '" + field + "' is not read; use "
                                + String.join(", ", fields));
                    }
                } else {
                    pos = save;
                    if (index >= fields.length) {
                        throw new NotLiteralException("crontab(...) takes at most 5 arguments");
                    }
                    field = fields[index++];
                }
                m.put(field, value());
                if (peek(',')) {
                    pos++;
                } else if (!peek(')')) {
                    throw new NotLiteralException("expected ',' or ')' in crontab(...)");
                }
            }
            pos++;
            return Map.of("crontab", Collections.unmodifiableMap(m));
        }

        private Object timedelta() throws NotLiteralException {
            expect('(');
            double seconds = 0;
            String[] positional = {"days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"};
            int index = 0;
            while (!peek(')')) {
                skipSpace();
                int save = pos;
                String unit = null;
                while (pos < s.length() && (Character.isLetter(s.charAt(pos)) || s.charAt(pos) == '_')) {
                    pos++;
                }
                if (pos > save && peek('=')) {
                    unit = s.substring(save, pos);
                    pos++;
                } else {
                    pos = save;
                    if (index >= positional.length) {
                        throw new NotLiteralException("timedelta(...) takes at most 7 arguments");
                    }
                    unit = positional[index++];
                }
                if (!TIMEDELTA_UNITS.contains(unit)) {
                    throw new NotLiteralException("timedelta(...) has no argument '" + unit + "'");
                }
                if (!(value() instanceof Number v)) {
                    throw new NotLiteralException("timedelta(" + unit + "=...) needs a number");
                }
                seconds += v.doubleValue() * switch (unit) {
                    case "weeks" -> 604_800d;
                    case "days" -> 86_400d;
                    case "hours" -> 3_600d;
                    case "minutes" -> 60d;
                    case "milliseconds" -> 1e-3;
                    case "microseconds" -> 1e-6;
                    default -> 1d;
                };
                if (peek(',')) {
                    pos++;
                } else if (!peek(')')) {
                    throw new NotLiteralException("expected ',' or ')' in timedelta(...)");
                }
            }
            pos++;
            return seconds;
        }

        private Object number() throws NotLiteralException {
            int start = pos;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                    pos++;
                } else if ((c == '+' || c == '-') && pos > start
                        && (s.charAt(pos - 1) == 'e' || s.charAt(pos - 1) == 'E') && !s.substring(start, pos).matches("(?i)0x.*")) {
                    pos++;
                } else {
                    break;
                }
            }
            String tok = s.substring(start, pos).replace("_", "");
            String lower = tok.toLowerCase(java.util.Locale.ROOT);
            try {
                if (lower.startsWith("0x")) {
                    return integer(new BigInteger(tok.substring(2), 16));
                }
                if (lower.startsWith("0o")) {
                    return integer(new BigInteger(tok.substring(2), 8));
                }
                if (lower.startsWith("0b")) {
                    return integer(new BigInteger(tok.substring(2), 2));
                }
                if (lower.matches("\\d+")) {
                    return integer(new BigInteger(tok));
                }
                if (lower.matches("(\\d+\\.?\\d*|\\.\\d+)(e[+-]?\\d+)?")) {
                    return Double.parseDouble(tok);
                }
            } catch (NumberFormatException e) {
                // fall through
            }
            throw new NotLiteralException("'" + tok + "' is not a number");
        }

        private static Object integer(BigInteger b) {
            return b.bitLength() < 64 ? (Object) b.longValue() : b;
        }

        private Object strings() throws NotLiteralException {
            return strings(false, pos);
        }

        /** One string literal at pos (prefix already consumed), then any adjacent ones. */
        private Object strings(boolean raw, int prefixStart) throws NotLiteralException {
            if (s.substring(prefixStart, pos).toLowerCase(java.util.Locale.ROOT).contains("f")) {
                throw new NotLiteralException("f-strings are expressions, not literals");
            }
            StringBuilder out = new StringBuilder();
            while (true) {
                out.append(oneString(raw));
                int save = pos;
                skipSpace();
                int pstart = pos;
                while (pos < s.length() && "rRbBuU".indexOf(s.charAt(pos)) >= 0 && pos - pstart < 2) {
                    pos++;
                }
                if (pos < s.length() && (s.charAt(pos) == '\'' || s.charAt(pos) == '"')) {
                    raw = s.substring(pstart, pos).toLowerCase(java.util.Locale.ROOT).contains("r");
                    continue;
                }
                pos = save;
                return out.toString();
            }
        }

        private String oneString(boolean raw) throws NotLiteralException {
            char q = s.charAt(pos);
            boolean triple = s.startsWith("" + q + q + q, pos);
            pos += triple ? 3 : 1;
            StringBuilder b = new StringBuilder();
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == q && (!triple || s.startsWith("" + q + q + q, pos))) {
                    pos += triple ? 3 : 1;
                    return b.toString();
                }
                if (c == '\\' && pos + 1 < s.length()) {
                    char e = s.charAt(pos + 1);
                    if (raw) {
                        b.append(c).append(e);
                        pos += 2;
                        continue;
                    }
                    pos += 2;
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case '0' -> b.append('\0');
                        case 'a' -> b.append('\u0007');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'v' -> b.append('\u000b');
                        case '\n' -> { }
                        case '\\', '\'', '"' -> b.append(e);
                        case 'x' -> b.append(hex(2));
                        case 'u' -> b.append(hex(4));
                        case 'U' -> b.append(hex(8));
                        default -> b.append('\\').append(e);
                    }
                    continue;
                }
                b.append(c);
                pos++;
            }
            throw new NotLiteralException("string literal is not closed");
        }

        private String hex(int digits) throws NotLiteralException {
            if (pos + digits > s.length()) {
                throw new NotLiteralException("truncated \\x/\\u escape");
            }
            try {
                int cp = Integer.parseInt(s.substring(pos, pos + digits), 16);
                pos += digits;
                return new String(Character.toChars(cp));
            } catch (IllegalArgumentException e) {
                throw new NotLiteralException("bad escape \\" + s.substring(pos - 1, Math.min(s.length(), pos + digits)));
            }
        }
    }
}
