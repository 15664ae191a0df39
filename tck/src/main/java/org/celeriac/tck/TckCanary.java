package org.celeriac.tck;

/**
 * A class no serializer may ever instantiate or initialise while decoding (rule S-3.1): payloads of
 * {@link SerializerTck} name it in the type-tag forms of common polymorphic decoders. Its static
 * initialiser and constructor record that they ran. Public with a public constructor on purpose, so
 * that a reckless decoder can reach it.
 */
public final class TckCanary {
    static {
        SerializerTck.canaryTouched("static initialiser");
    }

    /** Records that it ran. */
    public TckCanary() {
        SerializerTck.canaryTouched("constructor");
    }
}
