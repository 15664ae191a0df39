package org.celeriac.transport.amqp;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import javax.net.SocketFactory;

/**
 * Makes content-header frames written by py-amqp readable by the RabbitMQ Java client. py-amqp (Python Celery's
 * AMQP client) writes integers beyond 32 bits with field type {@code L} (signed 64-bit); the Java client knows the
 * same value only as {@code l} and treats {@code L} as a malformed frame, which kills the whole connection (and,
 * with recovery, again on every redelivery). This stream reads the server's frames one by one and, in content
 * header frames, rewrites every {@code L} type byte of the {@code headers} table (nested tables and arrays too)
 * to {@code l}: same width, same encoding, nothing else changes. Not thread-safe (one reader per socket, as the
 * Java client uses it); keeps partial frames across {@link java.net.SocketTimeoutException}s.
 */
final class PyAmqpFrameFilter extends InputStream {
    private final InputStream in;
    private byte[] frame = new byte[0];
    private int filled;
    private int served;
    private int needed = 7;
    private boolean passThrough;

    PyAmqpFrameFilter(InputStream in) {
        // buffered below the filter: a frame is read with one socket read, not two per frame
        this.in = new java.io.BufferedInputStream(in, 64 * 1024);
    }

    /** A socket factory whose sockets filter their input. Plain TCP only. */
    static SocketFactory socketFactory() {
        return new SocketFactory() {
            @Override
            public Socket createSocket() {
                return new Socket() {
                    private InputStream filtered;

                    @Override
                    public synchronized InputStream getInputStream() throws IOException {
                        if (filtered == null) {
                            filtered = new PyAmqpFrameFilter(super.getInputStream());
                        }
                        return filtered;
                    }
                };
            }

            @Override
            public Socket createSocket(String host, int port) throws IOException {
                Socket s = createSocket();
                s.connect(new java.net.InetSocketAddress(host, port));
                return s;
            }

            @Override
            public Socket createSocket(String host, int port, java.net.InetAddress localHost, int localPort) throws IOException {
                Socket s = createSocket();
                s.bind(new java.net.InetSocketAddress(localHost, localPort));
                s.connect(new java.net.InetSocketAddress(host, port));
                return s;
            }

            @Override
            public Socket createSocket(java.net.InetAddress host, int port) throws IOException {
                Socket s = createSocket();
                s.connect(new java.net.InetSocketAddress(host, port));
                return s;
            }

            @Override
            public Socket createSocket(java.net.InetAddress address, int port, java.net.InetAddress localAddress,
                                       int localPort) throws IOException {
                Socket s = createSocket();
                s.bind(new java.net.InetSocketAddress(localAddress, localPort));
                s.connect(new java.net.InetSocketAddress(address, port));
                return s;
            }
        };
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (passThrough) {
            return in.read(b, off, len);
        }
        if (len == 0) {
            return 0;
        }
        if (served < filled && filled == needed) {
            return serve(b, off, len);
        }
        if (!fill()) {
            return -1;
        }
        return serve(b, off, len);
    }

    private int serve(byte[] b, int off, int len) {
        int n = Math.min(len, filled - served);
        System.arraycopy(frame, served, b, off, n);
        served += n;
        if (served == filled) {
            filled = 0;
            served = 0;
            needed = 7;
        }
        return n;
    }

    /** Reads one whole frame (keeping progress across timeouts); false at end of stream. */
    private boolean fill() throws IOException {
        if (frame.length < needed) {
            frame = java.util.Arrays.copyOf(frame, Math.max(needed, 4096));
        }
        while (filled < needed) {
            int n = in.read(frame, filled, needed - filled);
            if (n < 0) {
                if (filled == 0) {
                    return false;
                }
                needed = filled; // hand out what there is; the client reports the truncated frame
                return true;
            }
            filled += n;
            if (filled >= 4 && frame[0] == 'A' && frame[1] == 'M' && frame[2] == 'Q' && frame[3] == 'P') {
                passThrough = true; // a protocol header (version mismatch): not frames
                needed = filled;
                return true;
            }
            if (needed == 7 && filled == 7) {
                long size = ((frame[3] & 0xffL) << 24) | ((frame[4] & 0xff) << 16) | ((frame[5] & 0xff) << 8) | (frame[6] & 0xff);
                if (size > Integer.MAX_VALUE - 16) {
                    passThrough = true;
                    needed = filled;
                    return true;
                }
                needed = 7 + (int) size + 1;
                if (frame.length < needed) {
                    frame = java.util.Arrays.copyOf(frame, needed);
                }
            }
        }
        if (frame[0] == 2) {
            try {
                rewriteContentHeader(frame, 7, needed - 1);
            } catch (RuntimeException e) {
                // leave the frame as it was; the client will judge it
            }
        }
        return true;
    }

    /** Content header payload: class(2) weight(2) body size(8) flags(2+), then the properties. */
    static void rewriteContentHeader(byte[] f, int start, int end) {
        int p = start + 12;
        int flags = ((f[p] & 0xff) << 8) | (f[p + 1] & 0xff);
        int q = p + 2;
        int word = flags;
        while ((word & 1) != 0) { // continuation flag words
            word = ((f[q] & 0xff) << 8) | (f[q + 1] & 0xff);
            q += 2;
        }
        if ((flags & 0x8000) != 0) { // content-type shortstr
            q += 1 + (f[q] & 0xff);
        }
        if ((flags & 0x4000) != 0) { // content-encoding shortstr
            q += 1 + (f[q] & 0xff);
        }
        if ((flags & 0x2000) != 0) { // headers table
            table(f, q, end);
        }
    }

    private static int int32(byte[] f, int p) {
        return ((f[p] & 0xff) << 24) | ((f[p + 1] & 0xff) << 16) | ((f[p + 2] & 0xff) << 8) | (f[p + 3] & 0xff);
    }

    /** Walks a table at {@code p}; returns the position after it. */
    private static int table(byte[] f, int p, int end) {
        int len = int32(f, p);
        int q = p + 4;
        int stop = q + len;
        if (stop > end) {
            throw new IllegalStateException("table overruns the frame");
        }
        while (q < stop) {
            q += 1 + (f[q] & 0xff); // field name
            q = value(f, q, end);
        }
        return stop;
    }

    /** Rewrites the type byte at {@code p} when it is L and returns the position after the value. */
    private static int value(byte[] f, int p, int end) {
        byte t = f[p];
        if (t == 'L') {
            f[p] = 'l';
            t = 'l';
        }
        int q = p + 1;
        return switch (t) {
            case 't', 'b', 'B' -> q + 1;
            case 's', 'u', 'U' -> q + 2;
            case 'I', 'i', 'f' -> q + 4;
            case 'l', 'd', 'T' -> q + 8;
            case 'D' -> q + 5;
            case 'V' -> q;
            case 'S', 'x' -> q + 4 + int32(f, q);
            case 'F' -> table(f, q, end);
            case 'A' -> {
                int len = int32(f, q);
                int r = q + 4;
                int stop = r + len;
                while (r < stop) {
                    r = value(f, r, end);
                }
                yield stop;
            }
            default -> throw new IllegalStateException("unknown field type " + (char) t);
        };
    }
}
