package org.celeriac.serializer.json;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;

/**
 * Python's {@code ensure_ascii=True} escaping of ASCII: Jackson's standard JSON escapes
 * ({@code \"}, {@code \\}, {@code \b}, {@code \f}, {@code \n}, {@code \r}, {@code \t}, <code>&#92;u00XX</code>
 * for other control characters) plus DEL ({@code 0x7f} as <code>&#92;u007f</code>), which Python escapes and
 * Jackson does not. Everything above {@code 0x7f} is escaped by
 * {@link com.fasterxml.jackson.core.json.JsonWriteFeature#ESCAPE_NON_ASCII}, one <code>&#92;uXXXX</code> per
 * UTF-16 unit (so non-BMP characters become surrogate pairs, as in Python). Immutable.
 */
final class PythonAsciiEscapes extends CharacterEscapes {

    private static final long serialVersionUID = 1L;

    static final PythonAsciiEscapes INSTANCE = new PythonAsciiEscapes();

    private static final int[] ASCII_ESCAPES;

    static {
        int[] escapes = CharacterEscapes.standardAsciiEscapesForJSON();
        escapes[0x7f] = CharacterEscapes.ESCAPE_STANDARD;
        ASCII_ESCAPES = escapes;
    }

    private PythonAsciiEscapes() {
    }

    @Override
    public int[] getEscapeCodesForAscii() {
        return ASCII_ESCAPES;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
        return null; // no custom sequences: only ESCAPE_STANDARD and short escapes are used
    }
}
