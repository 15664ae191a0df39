package org.celeriac.core.control;

/**
 * A handler failure with the Python exception type a Python node would have raised, so the error reply
 * reads the same: {@code {"error": "KeyError('foo')"}}. Other exceptions are replied as
 * {@code Exception('<message>')}.
 */
public class ControlException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String pythonType;

    /**
     * @param pythonType e.g. {@code KeyError}, {@code ValueError}
     * @param message the exception's argument
     */
    public ControlException(String pythonType, String message) {
        super(message);
        this.pythonType = pythonType;
    }

    /** The Python exception type name. */
    public String pythonType() {
        return pythonType;
    }

    /** Python's {@code repr(exc)} for a one-string-argument exception: {@code KeyError('foo')}. */
    public static String repr(String type, String message) {
        return type + "(" + pyStr(message) + ")";
    }

    /** Python's {@code repr(str)}: single quotes unless the text holds one and no double quote. */
    public static String pyStr(String s) {
        String text = s == null ? "" : s;
        char q = text.contains("'") && !text.contains("\"") ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(q);
        for (char c : text.toCharArray()) {
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c == q) {
                        sb.append('\\');
                    }
                    sb.append(c);
                }
            }
        }
        return sb.append(q).toString();
    }
}
