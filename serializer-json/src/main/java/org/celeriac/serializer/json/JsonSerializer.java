package org.celeriac.serializer.json;

import com.fasterxml.jackson.core.ErrorReportConfiguration;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.serializer.Serializer;

/**
 * kombu's {@code json} serializer ({@code application/json}, {@code utf-8}), byte-for-byte as Python
 * Celery 5.2.6 / kombu 5.2.4 writes it ({@code kombu/utils/json.py}: {@code json.dumps} with the
 * default separators {@code ", "} and {@code ": "}, {@code ensure_ascii=True}, {@code NaN} and
 * {@code Infinity} written bare), built on Jackson's streaming {@link JsonGenerator} and
 * {@link JsonParser} (no data binding, no tree).
 *
 * <p><b>Encoding</b> (Java → JSON): {@code null}; {@link Boolean}; {@link Long}, {@link Integer},
 * {@link Short}, {@link Byte} and atomic/adder longs as integers; {@link java.math.BigInteger} exactly;
 * {@link Double} and {@link Float} as Python's {@code repr(float)} ({@code 3.0}, {@code 1e-05},
 * {@code 1.5e+16}, {@code -0.0}; a {@code Float} by its shortest decimal, {@code 0.1f} → {@code 0.1});
 * {@link java.math.BigDecimal} as the string {@code str(Decimal)} (its {@code toString()});
 * {@link String}, {@link CharSequence}, {@link Character} and {@code char[]} as strings; {@link java.util.Map}
 * as an object in iteration order (keys: strings as is, {@code null}/booleans/integers as Python
 * turns them into text, doubles by their repr, enums by name, others by {@code String.valueOf});
 * {@link Iterable}, {@code Object[]} and primitive arrays as arrays; {@link java.util.Optional} and
 * its primitive variants as the value or {@code null}; {@link Enum} by name; {@link java.util.UUID} as
 * its string; records as an object of their components in declaration order; {@code java.time}
 * values as kombu 5.2.4 writes {@code datetime}/{@code date}/{@code time} (see
 * {@link PythonIsoFormat}): {@link java.time.Instant}, {@link java.time.OffsetDateTime},
 * {@link java.time.ZonedDateTime} and {@link java.util.Date} as aware datetimes with {@code Z} for
 * UTC, {@link java.time.LocalDateTime} naive, {@link java.time.LocalDate} as the midnight datetime
 * {@code "2024-01-02T00:00:00"}, {@link java.time.LocalTime}/{@link java.time.OffsetTime} as times.
 * {@code byte[]} is refused (kombu 5.2.4 cannot encode bytes), as is every other type, with a
 * {@link SerializationException} naming the Java type and its path ({@code $.kwargs.user}).
 *
 * <p><b>Decoding</b> (JSON → Java): {@code null}, {@link Boolean}, {@link Long} (or
 * {@link java.math.BigInteger} beyond 64 bits), {@link Double} for every number with a fraction or an
 * exponent ({@code 3.0} stays a double, {@code -0.0} keeps its sign, {@code 1e400} is infinity,
 * {@code NaN}/{@code Infinity}/{@code -Infinity} accepted), {@link String},
 * {@link java.util.ArrayList} and {@link java.util.LinkedHashMap} (insertion order; a repeated key
 * keeps its first position and last value, like a Python dict). kombu 5.3+ tagged objects are
 * accepted (see {@link KombuTags}). Input must be strict UTF-8 holding exactly one JSON value with
 * optional whitespace around it; nesting up to {@value #MAX_DEPTH} levels; strings and documents of
 * any size that fits in memory.
 *
 * <p>Immutable and thread-safe; both operations are CPU-only and non-blocking. One instance can be
 * shared by the whole application ({@link #INSTANCE}).
 */
public final class JsonSerializer implements Serializer {

    /** kombu's serializer name. */
    public static final String NAME = "json";
    /** The content type written on messages. */
    public static final String CONTENT_TYPE = "application/json";
    /** The content encoding written on messages. */
    public static final String CONTENT_ENCODING = "utf-8";
    /**
     * The deepest nesting of arrays/objects read or written. Python's own limit is its recursion
     * limit (about 1000).
     */
    public static final int MAX_DEPTH = 2000;
    /** The longest number literal read (digits); Python 3.11+ refuses integers over 4300 digits. */
    public static final int MAX_NUMBER_LENGTH = 100_000;

    /** The shared instance. */
    public static final JsonSerializer INSTANCE = new JsonSerializer();

    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)   // Python writes lowercase hex escapes
            .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)  // keys come from the network
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .characterEscapes(PythonAsciiEscapes.INSTANCE)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxNumberLength(MAX_NUMBER_LENGTH)
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxDocumentLength(-1L)
                    .build())
            .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(MAX_DEPTH + 1).build())
            .errorReportConfiguration(ErrorReportConfiguration.builder()
                    .maxErrorTokenLength(64)
                    .maxRawContentLength(0)
                    .build())
            .build();

    /** Use {@link #INSTANCE}; public for frameworks that instantiate by class. */
    public JsonSerializer() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public String contentEncoding() {
        return CONTENT_ENCODING;
    }

    /**
     * Encodes a value as kombu 5.2.4's {@code json.dumps} would (see the class comment for the
     * mapping). The result is always ASCII.
     *
     * @param value nullable
     * @return the JSON bytes; never null
     * @throws SerializationException when the value or a part of it has no JSON form in kombu 5.2.4;
     *         the message names the Java type and its path, e.g. {@code $.kwargs.user}
     */
    @Override
    public byte[] encode(Object value) {
        BufferRecycler recycler = FACTORY._getBufferRecycler();
        try (ByteArrayBuilder out = new ByteArrayBuilder(recycler)) {
            try (JsonGenerator g = FACTORY.createGenerator(out)) {
                g.setPrettyPrinter(PythonSeparators.INSTANCE);
                ValueWriter.write(g, value, 0);
            }
            byte[] bytes = out.toByteArray();
            out.release();
            return bytes;
        } catch (ValueWriter.Failure f) {
            throw new SerializationException(f.describe(), f.getCause());
        } catch (StackOverflowError e) {
            throw new SerializationException("cannot encode the value: it is nested too deeply for this "
                    + "thread's stack (more than " + MAX_DEPTH + " levels is refused anyway)");
        } catch (IOException e) {
            throw new SerializationException("cannot encode the value as JSON: " + e.getMessage(), e);
        } finally {
            recycler.releaseToPool();
        }
    }

    /**
     * Decodes a JSON body into the value model (see the class comment).
     *
     * @param data the body; never null
     * @return the value; null for a JSON {@code null}
     * @throws SerializationException when the bytes are not strict UTF-8, not one well-formed JSON
     *         value, nested deeper than {@value #MAX_DEPTH}, or hold a kombu tagged object kombu would
     *         reject; the message says where (line, column, byte offset or path) and never quotes the
     *         whole body
     * @throws NullPointerException when {@code data} is null
     */
    @Override
    public Object decode(byte[] data) {
        int bad = Utf8Check.firstInvalid(data);
        if (bad >= 0) {
            throw new SerializationException(String.format(
                    "invalid UTF-8 at byte offset %d (byte 0x%02x): a JSON body must be UTF-8 text "
                            + "(kombu decodes it with 'utf-8' before json.loads); %d bytes in total",
                    bad, data[bad] & 0xff, data.length));
        }
        JsonParser p;
        try {
            p = FACTORY.createParser(data);
        } catch (IOException e) {
            throw new SerializationException("cannot read the JSON body: " + e.getMessage(), e);
        }
        try (p) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new SerializationException("empty JSON body: expected a value at byte offset "
                        + data.length + " (Python: 'Expecting value')");
            }
            Object value = ValueReader.read(p, first);
            JsonToken extra = p.nextToken();
            if (extra != null) {
                throw new SerializationException("unexpected data after the JSON value "
                        + where(p.currentTokenLocation()) + ": a body holds exactly one value "
                        + "(Python: 'Extra data')");
            }
            return value;
        } catch (ValueReader.TagFailure e) {
            throw new SerializationException(e.getMessage());
        } catch (StreamConstraintsException e) {
            throw new SerializationException("JSON body exceeds a limit " + where(p.currentLocation()) + ": "
                    + e.getOriginalMessage() + "; nesting deeper than " + MAX_DEPTH + " levels or numbers longer "
                    + "than " + MAX_NUMBER_LENGTH + " digits are refused", e);
        } catch (JsonProcessingException e) {
            throw new SerializationException("malformed JSON " + where(e.getLocation()) + ": "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SerializationException("malformed JSON " + where(p.currentLocation()) + ": "
                    + e.getMessage(), e);
        }
    }

    private static String where(JsonLocation at) {
        if (at == null) {
            return "(position unknown)";
        }
        return "at line " + at.getLineNr() + ", column " + at.getColumnNr() + " (byte offset "
                + at.getByteOffset() + ")";
    }

    @Override
    public String toString() {
        return "JsonSerializer[" + CONTENT_TYPE + ", kombu 5.2.4 compatible]";
    }
}
