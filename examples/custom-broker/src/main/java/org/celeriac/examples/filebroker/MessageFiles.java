package org.celeriac.examples.filebroker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.celeriac.spi.broker.BrokerException;
import org.celeriac.spi.broker.Message;
import org.celeriac.spi.broker.MessageProperties;

/**
 * The file format of one message: a small tagged binary form of the exchange, routing key, headers
 * (the SPI's value model), properties and body. Self-contained on purpose, so the transport needs no
 * serializer; integers come back as {@link Long}. Stateless.
 */
final class MessageFiles {
    private static final int MAGIC = 0x43464231; // "CFB1"

    private MessageFiles() {
    }

    /** A message read back with how it was published. */
    record Stored(Message message, String exchange, String routingKey) {
    }

    static byte[] encode(Message m, String exchange, String routingKey) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(m.body().length + 512);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            value(out, exchange);
            value(out, routingKey);
            value(out, m.headers());
            MessageProperties p = m.properties();
            value(out, p.contentType());
            value(out, p.contentEncoding());
            value(out, p.correlationId());
            value(out, p.replyTo());
            value(out, p.priority());
            value(out, p.deliveryMode());
            value(out, p.expiration());
            value(out, p.extra());
            out.writeInt(m.body().length);
            out.write(m.body());
        } catch (IOException e) {
            throw new BrokerException("filesystem: cannot encode a message: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    @SuppressWarnings("unchecked")
    static Stored decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            if (in.readInt() != MAGIC) {
                throw new BrokerException("filesystem: not a message file (bad magic number)");
            }
            String exchange = (String) read(in);
            String routingKey = (String) read(in);
            Map<String, Object> headers = (Map<String, Object>) read(in);
            MessageProperties p = MessageProperties.builder().contentType((String) read(in))
                    .contentEncoding((String) read(in)).correlationId((String) read(in)).replyTo((String) read(in))
                    .priority(toInt(read(in))).deliveryMode(toInt(read(in))).expiration((String) read(in))
                    .extra((Map<String, Object>) read(in)).build();
            byte[] body = new byte[in.readInt()];
            in.readFully(body);
            return new Stored(new Message(headers, p, body), exchange, routingKey);
        } catch (IOException | ClassCastException e) {
            throw new BrokerException("filesystem: corrupt message file: " + e, e);
        }
    }

    private static Integer toInt(Object v) {
        return v == null ? null : ((Long) v).intValue();
    }

    private static void value(DataOutputStream out, Object v) throws IOException {
        if (v == null) {
            out.writeByte('N');
        } else if (v instanceof Boolean b) {
            out.writeByte(b ? 'T' : 'F');
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            out.writeByte('L');
            out.writeLong(((Number) v).longValue());
        } else if (v instanceof BigInteger b) {
            bytes(out, 'I', b.toByteArray());
        } else if (v instanceof Double || v instanceof Float) {
            out.writeByte('D');
            out.writeLong(Double.doubleToRawLongBits(((Number) v).doubleValue()));
        } else if (v instanceof String s) {
            bytes(out, 'S', s.getBytes(StandardCharsets.UTF_8));
        } else if (v instanceof byte[] b) {
            bytes(out, 'B', b);
        } else if (v instanceof List<?> l) {
            out.writeByte('[');
            out.writeInt(l.size());
            for (Object x : l) {
                value(out, x);
            }
        } else if (v instanceof Map<?, ?> m) {
            out.writeByte('{');
            out.writeInt(m.size());
            for (Map.Entry<?, ?> e : m.entrySet()) {
                value(out, String.valueOf(e.getKey()));
                value(out, e.getValue());
            }
        } else {
            throw new BrokerException("filesystem: a header or property value of type " + v.getClass().getName()
                    + " cannot be stored; use the value model (null, Boolean, Long, BigInteger, Double, String, List, Map)");
        }
    }

    private static void bytes(DataOutputStream out, char tag, byte[] b) throws IOException {
        out.writeByte(tag);
        out.writeInt(b.length);
        out.write(b);
    }

    private static Object read(DataInputStream in) throws IOException {
        int tag = in.readUnsignedByte();
        switch (tag) {
            case 'N':
                return null;
            case 'T':
                return Boolean.TRUE;
            case 'F':
                return Boolean.FALSE;
            case 'L':
                return in.readLong();
            case 'D':
                return Double.longBitsToDouble(in.readLong());
            case 'I':
                return new BigInteger(readBytes(in));
            case 'S':
                return new String(readBytes(in), StandardCharsets.UTF_8);
            case 'B':
                return readBytes(in);
            case '[': {
                int n = in.readInt();
                List<Object> l = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    l.add(read(in));
                }
                return l;
            }
            case '{': {
                int n = in.readInt();
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    m.put((String) read(in), read(in));
                }
                return m;
            }
            default:
                throw new IOException("unknown tag " + tag);
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return b;
    }
}
