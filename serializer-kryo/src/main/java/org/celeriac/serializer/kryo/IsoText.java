package org.celeriac.serializer.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.function.Function;

/**
 * A value class written as its canonical text ({@code Instant.toString()}, {@code UUID.toString()}, …) and read
 * back with its parser, through the length-checked {@link ValueSerializers.Text}. Immutable and thread-safe.
 */
final class IsoText<T> extends Serializer<T> {
    private static final ValueSerializers.Text TEXT = new ValueSerializers.Text();
    private final Function<String, T> parse;

    IsoText(Function<String, T> parse) {
        this.parse = parse;
        setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, T value) {
        TEXT.write(kryo, out, value.toString());
    }

    @Override
    public T read(Kryo kryo, Input in, Class<? extends T> type) {
        return parse.apply(TEXT.read(kryo, in, String.class));
    }
}
