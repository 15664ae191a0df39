package org.celeriac.core.protocol;

import java.io.ByteArrayOutputStream;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The {@code compression} header (kombu {@code compression.py}): {@code application/x-gzip} (aliases
 * {@code zlib}, {@code gzip}) is a zlib stream (RFC 1950), as kombu writes it. Other compressors
 * (bz2, lzma, brotli, zstd) are rejected with a clear error. Stateless, thread-safe.
 */
public final class Compression {
    /** The MIME type kombu writes for zlib. */
    public static final String ZLIB = "application/x-gzip";

    private Compression() {
    }

    /** True when {@code name} names zlib in any of kombu's spellings. */
    public static boolean isZlib(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.equals(ZLIB) || n.equals("zlib") || n.equals("gzip") || n.equals("application/x-zlib");
    }

    /**
     * Decompresses a body.
     *
     * @throws IllegalArgumentException when the compressor is not supported or the data is corrupt
     */
    public static byte[] decompress(String compression, byte[] body) {
        if (!isZlib(compression)) {
            throw new IllegalArgumentException("compression '" + compression + "' is not supported; Celeriac reads "
                    + "zlib/gzip ('application/x-gzip'). Set task_compression / result_compression to 'gzip' or none on the sender");
        }
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(body);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, body.length * 3));
            byte[] buf = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new IllegalArgumentException("compressed body is truncated (zlib stream ended early)");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("compressed body is not a zlib stream: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    /**
     * Compresses a body with zlib.
     *
     * @throws IllegalArgumentException when the compressor is not zlib/gzip
     */
    public static byte[] compress(String compression, byte[] body) {
        if (!isZlib(compression)) {
            throw new IllegalArgumentException("compression '" + compression
                    + "' is not supported; use 'gzip' (zlib) or none");
        }
        Deflater deflater = new Deflater();
        try {
            deflater.setInput(body);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, body.length / 2));
            byte[] buf = new byte[8192];
            while (!deflater.finished()) {
                out.write(buf, 0, deflater.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }
}
