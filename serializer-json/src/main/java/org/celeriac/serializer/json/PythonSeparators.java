package org.celeriac.serializer.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;

/**
 * Python's {@code json.dumps} default separators: {@code ", "} between items and {@code ": "} between
 * a key and its value, on one line, with {@code []} and {@code {}} for empty containers. Stateless,
 * so one instance is shared by every generator.
 */
final class PythonSeparators implements PrettyPrinter {

    static final PythonSeparators INSTANCE = new PythonSeparators();
    /** Written as pre-encoded bytes: {@code writeRaw(String)} copies through a char buffer on every call. */
    private static final SerializableString ITEM = new SerializedString(", ");
    private static final SerializableString KEY = new SerializedString(": ");

    private PythonSeparators() {
    }

    @Override
    public void writeRootValueSeparator(JsonGenerator g) {
        // a body holds exactly one root value
    }

    @Override
    public void writeStartObject(JsonGenerator g) throws IOException {
        g.writeRaw('{');
    }

    @Override
    public void writeEndObject(JsonGenerator g, int entries) throws IOException {
        g.writeRaw('}');
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
        g.writeRaw(ITEM);
    }

    @Override
    public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
        g.writeRaw(KEY);
    }

    @Override
    public void writeStartArray(JsonGenerator g) throws IOException {
        g.writeRaw('[');
    }

    @Override
    public void writeEndArray(JsonGenerator g, int values) throws IOException {
        g.writeRaw(']');
    }

    @Override
    public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
        g.writeRaw(ITEM);
    }

    @Override
    public void beforeArrayValues(JsonGenerator g) {
        // nothing: no indentation
    }

    @Override
    public void beforeObjectEntries(JsonGenerator g) {
        // nothing: no indentation
    }
}
