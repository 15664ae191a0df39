package org.celeriac.tck;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.serializer.Serializer;

/** The TCK's tiny reference serializer: a tagged binary form of the value model, with switchable faults. */
final class RefSerializer implements Serializer {

    enum Fault { FLOAT_PRECISION, INSTANTIATES_CLASSES, WRONG_EXCEPTION, LOSES_KEY_ORDER }

    private static final int MAGIC = 0x52454631; // "REF1"
    private final Set<Fault> faults;

    RefSerializer(Set<Fault> faults) {
        this.faults = faults.isEmpty() ? EnumSet.noneOf(Fault.class) : EnumSet.copyOf(faults);
    }

    @Override
    public String name() {
        return "ref";
    }

    @Override
    public String contentType() {
        return "application/x-celeriac-ref";
    }

    @Override
    public String contentEncoding() {
        return "binary";
    }

    @Override
    public byte[] encode(Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            write(out, value, "$");
        } catch (IOException e) {
            throw new SerializationException("ref: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    private void write(DataOutputStream out, Object v, String path) throws IOException {
        if (v == null) {
            out.writeByte('N');
        } else if (v instanceof Boolean b) {
            out.writeByte(b ? 'T' : 'F');
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            out.writeByte('L');
            out.writeLong(((Number) v).longValue());
        } else if (v instanceof BigInteger b) {
            out.writeByte('I');
            byte[] raw = b.toByteArray();
            out.writeInt(raw.length);
            out.write(raw);
        } else if (v instanceof Double d) {
            out.writeByte('D');
            out.writeLong(Double.doubleToRawLongBits(faults.contains(Fault.FLOAT_PRECISION) ? (double) (float) d.doubleValue() : d));
        } else if (v instanceof String s) {
            out.writeByte('S');
            byte[] raw = s.getBytes(StandardCharsets.UTF_8);
            out.writeInt(raw.length);
            out.write(raw);
        } else if (v instanceof List<?> l) {
            out.writeByte('[');
            out.writeInt(l.size());
            for (int i = 0; i < l.size(); i++) {
                write(out, l.get(i), path + "[" + i + "]");
            }
        } else if (v instanceof Map<?, ?> m) {
            out.writeByte('{');
            out.writeInt(m.size());
            for (Map.Entry<?, ?> e : m.entrySet()) {
                write(out, String.valueOf(e.getKey()), path);
                write(out, e.getValue(), path + "." + e.getKey());
            }
        } else {
            throw new SerializationException("ref: cannot encode a " + v.getClass().getName() + " at " + path);
        }
    }

    @Override
    public Object decode(byte[] data) {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        try {
            if (in.readInt() != MAGIC) {
                throw new SerializationException("ref: not a ref payload (bad magic number)");
            }
            Object v = read(in, 0);
            if (in.available() > 0) {
                throw new SerializationException("ref: " + in.available() + " bytes after the value");
            }
            return v;
        } catch (IOException e) {
            if (faults.contains(Fault.WRONG_EXCEPTION)) {
                throw new IllegalStateException(e);
            }
            throw new SerializationException("ref: truncated payload at byte " + (data.length - available(in)), e);
        }
    }

    private static int available(DataInputStream in) {
        try {
            return in.available();
        } catch (IOException e) {
            return 0;
        }
    }

    private Object read(DataInputStream in, int depth) throws IOException {
        int tag = in.readUnsignedByte();
        switch (tag) {
            case 'N':
                return null;
            case 'T':
                return true;
            case 'F':
                return false;
            case 'L':
                return in.readLong();
            case 'I': {
                byte[] raw = new byte[checkedLength(in)];
                in.readFully(raw);
                return new BigInteger(raw);
            }
            case 'D':
                return Double.longBitsToDouble(in.readLong());
            case 'S': {
                byte[] raw = new byte[checkedLength(in)];
                in.readFully(raw);
                return new String(raw, StandardCharsets.UTF_8);
            }
            case '[': {
                int n = checkedLength(in);
                List<Object> l = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    l.add(read(in, depth + 1));
                }
                return l;
            }
            case '{': {
                int n = checkedLength(in);
                Map<String, Object> m = faults.contains(Fault.LOSES_KEY_ORDER) ? new HashMap<>() : new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    m.put((String) read(in, depth + 1), read(in, depth + 1));
                }
                if (faults.contains(Fault.INSTANTIATES_CLASSES) && m.get("@class") instanceof String cls) {
                    try {
                        return Class.forName(cls).getConstructor().newInstance();
                    } catch (ReflectiveOperationException e) {
                        return m;
                    }
                }
                return m;
            }
            default:
                if (faults.contains(Fault.WRONG_EXCEPTION)) {
                    throw new IllegalArgumentException("tag " + tag);
                }
                throw new SerializationException("ref: unknown tag " + tag);
        }
    }

    private static int checkedLength(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("length " + n + " exceeds the payload");
        }
        return n;
    }
}
