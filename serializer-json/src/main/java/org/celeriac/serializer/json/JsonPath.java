package org.celeriac.serializer.json;

import java.util.List;

/**
 * Renders a location inside a value as a JSONPath-like string for error messages: {@code $} is the
 * root, {@code .name} a key that is a plain identifier, {@code ["a key"]} any other key (cut to 40
 * characters), {@code [3]} a list index. Very deep paths are abbreviated. Stateless.
 */
final class JsonPath {

    private static final int MAX_KEY_CHARS = 40;
    private static final int MAX_SEGMENTS = 24;

    private JsonPath() {
    }

    /** @param segments root first; each is a {@link String} key or an {@link Integer} index */
    static String render(List<Object> segments) {
        StringBuilder sb = new StringBuilder("$");
        int n = segments.size();
        for (int i = 0; i < n; i++) {
            if (n > MAX_SEGMENTS && i == MAX_SEGMENTS / 2) {
                sb.append("…(").append(n - MAX_SEGMENTS).append(" levels)…");
                i = n - MAX_SEGMENTS / 2 - 1;
                continue;
            }
            append(sb, segments.get(i));
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, Object segment) {
        if (segment instanceof Integer index) {
            sb.append('[').append(index).append(']');
            return;
        }
        String key = String.valueOf(segment);
        if (isIdentifier(key)) {
            sb.append('.').append(key);
            return;
        }
        sb.append("[\"");
        int limit = Math.min(key.length(), MAX_KEY_CHARS);
        for (int i = 0; i < limit; i++) {
            char c = key.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (key.length() > limit) {
            sb.append('…');
        }
        sb.append("\"]");
    }

    private static boolean isIdentifier(String key) {
        if (key.isEmpty() || key.length() > MAX_KEY_CHARS) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            boolean ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    || (i > 0 && c >= '0' && c <= '9');
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
