package org.celeriac.examples.filebroker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Where things live under the broker's directory, and the file names that keep FIFO order:
 * <pre>
 * root/queues/&lt;queue&gt;/ready/&lt;stamp&gt;.msg          waiting (".r.msg": delivered before)
 * root/queues/&lt;queue&gt;/unacked/&lt;consumer&gt;/&lt;file&gt;   claimed by a consumer; the directory's
 *                                                  modification time is the consumer's heartbeat
 * root/bindings/&lt;exchange&gt;/&lt;routing key&gt;/&lt;queue&gt;   an empty file per binding
 * root/tmp/                                         files being written
 * </pre>
 * Names are percent-encoded (anything but letters, digits, {@code _} and {@code -}). Thread-safe.
 */
final class Layout {
    static final String READY_SUFFIX = ".msg";
    static final String REDELIVERED_SUFFIX = ".r.msg";
    private static long lastMillis;
    private static long sequence;

    final Path root;

    Layout(Path root) {
        this.root = root;
    }

    Path ready(String queue) {
        return root.resolve("queues").resolve(encode(queue)).resolve("ready");
    }

    Path unacked(String queue) {
        return root.resolve("queues").resolve(encode(queue)).resolve("unacked");
    }

    Path bindings(String exchange, String routingKey) {
        return root.resolve("bindings").resolve(encode(exchange)).resolve(encode(routingKey));
    }

    Path tmp() {
        return root.resolve("tmp");
    }

    /** A new ready-file name that sorts after every name this JVM made before: millis, sequence, random. */
    static synchronized String newName() {
        long now = Math.max(System.currentTimeMillis(), lastMillis);
        sequence = now == lastMillis ? sequence + 1 : 0;
        lastMillis = now;
        return String.format("%013d-%06d-%08x%s", now, sequence, ThreadLocalRandom.current().nextInt(), READY_SUFFIX);
    }

    /** The ready-file name of a message given back: same position, marked as delivered before. */
    static String redeliveredName(String name) {
        return name.endsWith(REDELIVERED_SUFFIX) ? name : name.substring(0, name.length() - READY_SUFFIX.length())
                + REDELIVERED_SUFFIX;
    }

    /** The ready files of a directory in FIFO order (a missing directory has none). */
    static List<Path> sortedFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(READY_SUFFIX)).sorted().toList();
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String encode(String name) {
        StringBuilder out = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.length() == 0 ? "%" : out.toString();
    }

    static String decode(String encoded) {
        if (encoded.equals("%")) {
            return "";
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%') {
                out.write(Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
