package org.celeriac.serializer.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one JSON value from a {@link JsonParser} into the Python-like model, without recursion (an
 * explicit stack of open containers), so nesting depth is bounded by the parser's
 * {@code StreamReadConstraints} and not by the thread's stack. Objects that kombu 5.3+ tagged are
 * resolved by {@link KombuTags} as they close (innermost first, like Python's {@code object_hook}).
 * Stateless.
 */
final class ValueReader {

    private ValueReader() {
    }

    /**
     * @param first the current token, the first of the value
     * @throws TagFailure when a tagged object is invalid (carries the path)
     */
    static Object read(JsonParser p, JsonToken first) throws IOException {
        Frame top = null;
        JsonToken t = first;
        while (true) {
            Object value;
            if (t == null) {
                throw new IOException("unexpected end of input inside a JSON "
                        + (top != null && top.map != null ? "object" : "array"));
            }
            switch (t) {
                case START_OBJECT -> {
                    top = new Frame(top, new LinkedHashMap<>(), null);
                    t = p.nextToken();
                    continue;
                }
                case START_ARRAY -> {
                    top = new Frame(top, null, new ArrayList<>());
                    t = p.nextToken();
                    continue;
                }
                case FIELD_NAME -> {
                    top.key = p.currentName();
                    t = p.nextToken();
                    continue;
                }
                case END_OBJECT -> {
                    Map<String, Object> map = top.map;
                    top = top.parent;
                    if (KombuTags.isTagged(map)) {
                        try {
                            value = KombuTags.resolve(map);
                        } catch (IllegalArgumentException e) {
                            throw new TagFailure(e.getMessage() + " at " + path(top));
                        }
                    } else {
                        value = map;
                    }
                }
                case END_ARRAY -> {
                    value = top.list;
                    top = top.parent;
                }
                case VALUE_STRING -> value = p.getText();
                case VALUE_NUMBER_INT -> value = integer(p);
                case VALUE_NUMBER_FLOAT -> value = p.getDoubleValue();
                case VALUE_TRUE -> value = Boolean.TRUE;
                case VALUE_FALSE -> value = Boolean.FALSE;
                case VALUE_NULL -> value = null;
                default -> throw new IOException("unexpected JSON token " + t);
            }
            if (top == null) {
                return value;
            }
            if (top.map != null) {
                top.map.put(top.key, value);
            } else {
                top.list.add(value);
            }
            t = p.nextToken();
        }
    }

    private static Object integer(JsonParser p) throws IOException {
        return switch (p.getNumberType()) {
            case INT -> (long) p.getIntValue();
            case LONG -> p.getLongValue();
            default -> p.getBigIntegerValue();
        };
    }

    /** The location where the next value of {@code top} goes: its key, or its next index. */
    private static String path(Frame top) {
        List<Object> segments = new ArrayList<>();
        for (Frame f = top; f != null; f = f.parent) {
            segments.add(f.map != null ? f.key : Integer.valueOf(f.list.size()));
        }
        java.util.Collections.reverse(segments);
        return JsonPath.render(segments);
    }

    /** One open container. */
    private static final class Frame {
        final Frame parent;
        final Map<String, Object> map;
        final List<Object> list;
        String key;

        Frame(Frame parent, Map<String, Object> map, List<Object> list) {
            this.parent = parent;
            this.map = map;
            this.list = list;
        }
    }

    /** A tagged object kombu would reject; the message is complete (problem and path). */
    static final class TagFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TagFailure(String message) {
            super(message, null, false, false);
        }
    }
}
