package org.celeriac.spi.serializer;

import org.celeriac.spi.SerializationException;

/**
 * Encodes values to message bodies and back (kombu's serializer registry entry). Values use the
 * Python-like model shared with Python Celery: {@code null}, {@link Boolean}, {@link Long} or
 * {@link java.math.BigInteger} (exact integers of any size), {@link Double}, {@link String},
 * {@link java.util.List}, {@link java.util.Map} with String keys. Encoders also accept other
 * {@link Number}s, arrays, {@link java.util.Collection}s, {@link java.time.temporal.Temporal}s,
 * {@link java.util.UUID}, {@link java.math.BigDecimal} and records, writing them as Python would.
 * Decoding never instantiates a class the configuration does not allow.
 *
 * <p>Implementations are immutable and thread-safe; both methods are CPU-only (non-blocking).
 */
public interface Serializer {

    /** kombu's serializer name, e.g. {@code json}. */
    String name();

    /** The content type written on messages, e.g. {@code application/json}. */
    String contentType();

    /** The content encoding written on messages, e.g. {@code utf-8} or {@code binary}. */
    String contentEncoding();

    /**
     * Encodes a value.
     *
     * @param value nullable
     * @return the bytes; never null
     * @throws SerializationException when the value (or a part of it) cannot be encoded; the message
     *         names its Java type and the path to it
     */
    byte[] encode(Object value);

    /**
     * Decodes bytes into the value model.
     *
     * @param data the body; never null
     * @return the decoded value; nullable (a JSON {@code null})
     * @throws SerializationException when the bytes are not valid for this content type; the message
     *         says where decoding failed
     */
    Object decode(byte[] data);
}
