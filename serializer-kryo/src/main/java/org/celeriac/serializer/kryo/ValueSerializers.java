package org.celeriac.serializer.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kryo serializers for the containers and variable-length values of the value model. Unlike Kryo's defaults they
 * check every length read from the payload against the bytes left, so a corrupt or hostile length cannot make the
 * reader allocate gigabytes. Stateless and thread-safe.
 */
final class ValueSerializers {
    private ValueSerializers() {
    }

    private static int length(Input in, int minBytesEach, String what) {
        int n = in.readVarInt(true);
        long left = (long) in.limit() - in.position();
        if (n < 0 || (long) n * minBytesEach > left) {
            throw new KryoException("corrupt " + what + " length " + n + " with only " + left + " bytes left");
        }
        return n;
    }

    /** UTF-8 text with a byte-length prefix. */
    static final class Text extends Serializer<String> {
        Text() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output out, String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.writeVarInt(b.length, true);
            out.writeBytes(b);
        }

        @Override
        public String read(Kryo kryo, Input in, Class<? extends String> type) {
            return new String(in.readBytes(length(in, 1, "string")), StandardCharsets.UTF_8);
        }
    }

    /** Raw bytes with a length prefix. */
    static final class Bytes extends Serializer<byte[]> {
        @Override
        public void write(Kryo kryo, Output out, byte[] b) {
            out.writeVarInt(b.length, true);
            out.writeBytes(b);
        }

        @Override
        public byte[] read(Kryo kryo, Input in, Class<? extends byte[]> type) {
            return in.readBytes(length(in, 1, "byte array"));
        }
    }

    /** Two's-complement big-endian magnitude with a length prefix. */
    static final class BigInt extends Serializer<BigInteger> {
        BigInt() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output out, BigInteger v) {
            byte[] b = v.toByteArray();
            out.writeVarInt(b.length, true);
            out.writeBytes(b);
        }

        @Override
        public BigInteger read(Kryo kryo, Input in, Class<? extends BigInteger> type) {
            int n = length(in, 1, "integer");
            if (n == 0) {
                throw new KryoException("corrupt integer of 0 bytes");
            }
            return new BigInteger(in.readBytes(n));
        }
    }

    /** A list: element count, then each element with its class. */
    @SuppressWarnings("rawtypes")
    static final class ListOf extends Serializer<ArrayList> {
        @Override
        public void write(Kryo kryo, Output out, ArrayList list) {
            out.writeVarInt(list.size(), true);
            for (Object o : list) {
                kryo.writeClassAndObject(out, o);
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public ArrayList read(Kryo kryo, Input in, Class<? extends ArrayList> type) {
            int n = length(in, 1, "list");
            List<Object> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                list.add(kryo.readClassAndObject(in));
            }
            return (ArrayList) list;
        }
    }

    /** A map with string keys, in insertion order: entry count, then key and value with its class. */
    @SuppressWarnings("rawtypes")
    static final class MapOf extends Serializer<LinkedHashMap> {
        @Override
        public void write(Kryo kryo, Output out, LinkedHashMap map) {
            out.writeVarInt(map.size(), true);
            for (Object o : map.entrySet()) {
                Map.Entry e = (Map.Entry) o;
                byte[] k = String.valueOf(e.getKey()).getBytes(StandardCharsets.UTF_8);
                out.writeVarInt(k.length, true);
                out.writeBytes(k);
                kryo.writeClassAndObject(out, e.getValue());
            }
        }

        @Override
        public LinkedHashMap read(Kryo kryo, Input in, Class<? extends LinkedHashMap> type) {
            int n = length(in, 2, "map");
            LinkedHashMap<String, Object> map = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String k = new String(in.readBytes(length(in, 1, "map key")), StandardCharsets.UTF_8);
                map.put(k, kryo.readClassAndObject(in));
            }
            return map;
        }
    }
}
