package org.celeriac.core.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.celeriac.spi.ConnectionUrl;
import org.celeriac.spi.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The zero-configuration broker and result backend: one H2 database file in a per-user data
 * directory, shared by every Celeriac process of that user, so a worker and a client started from
 * any directory meet without a server. The directory is {@code celeriac_data_dir} (setting, or
 * {@code CELERIAC_DATA_DIR}), else {@code $XDG_DATA_HOME/celeriac}, else {@code ~/.local/share/celeriac};
 * it is created with mode 0700 where the file system is POSIX. A random password is generated once
 * into {@code <dir>/credentials} (mode 0600); two processes starting at the same time agree on it.
 *
 * <p>Core only builds the URL ({@code jdbc:h2:file:<dir>/celeriac;AUTO_SERVER=TRUE;USER=celeriac;PASSWORD=...});
 * the {@code jdbc} transport and backend modules serve it. Thread-safe.
 */
public final class EmbeddedDefault {
    /** The database user. */
    public static final String USER = "celeriac";
    /** The credentials file name inside the data directory. */
    public static final String CREDENTIALS_FILE = "credentials";
    /** The database name inside the data directory (H2 adds {@code .mv.db}). */
    public static final String DATABASE_NAME = "celeriac";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDefault.class);
    private static final String PASSWORD_KEY = "password=";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long READ_RETRY_MILLIS = 5_000;

    private final Path directory;
    private String password;

    private EmbeddedDefault(Path directory) {
        this.directory = directory.toAbsolutePath().normalize();
        if (this.directory.toString().contains(";")) {
            throw new ConfigException("data directory " + this.directory + " contains ';', which a JDBC URL cannot "
                    + "carry; set celeriac_data_dir (or CELERIAC_DATA_DIR) to a path without ';'");
        }
    }

    /** The embedded default for the process's settings, environment and home directory. */
    public static EmbeddedDefault of(Settings settings) {
        return at(resolveDirectory(settings, System.getenv(), Path.of(System.getProperty("user.home"))));
    }

    /** The embedded default in a given directory (created on first use). */
    public static EmbeddedDefault at(Path directory) {
        return new EmbeddedDefault(directory);
    }

    /**
     * A fresh database in a new temporary directory (for demos and tests); nothing is shared with
     * other processes unless they are given the same URL.
     *
     * @throws ConfigException when the temporary directory cannot be created
     */
    public static EmbeddedDefault temporary() {
        try {
            return at(Files.createTempDirectory("celeriac-"));
        } catch (IOException e) {
            throw new ConfigException("cannot create a temporary directory for the embedded database: " + e
                    + "; check java.io.tmpdir", e);
        }
    }

    /**
     * The data directory: {@code celeriac_data_dir}, else {@code CELERIAC_DATA_DIR}, else
     * {@code $XDG_DATA_HOME/celeriac}, else {@code <userHome>/.local/share/celeriac}. Does not create it.
     */
    public static Path resolveDirectory(Settings settings, Map<String, String> env, Path userHome) {
        Optional<String> fromSetting = settings.string(CeleriacConfig.DATA_DIR).filter(s -> !s.isBlank());
        if (fromSetting.isPresent()) {
            return Path.of(fromSetting.get()).toAbsolutePath();
        }
        String fromEnv = env.get("CELERIAC_DATA_DIR");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv).toAbsolutePath();
        }
        String xdg = env.get("XDG_DATA_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "celeriac");
        }
        return userHome.resolve(".local").resolve("share").resolve("celeriac").toAbsolutePath();
    }

    /** The data directory (absolute). */
    public Path directory() {
        return directory;
    }

    /** The database file H2 writes ({@code <dir>/celeriac.mv.db}). */
    public Path databaseFile() {
        return directory.resolve(DATABASE_NAME + ".mv.db");
    }

    /**
     * The JDBC URL, password included: creates the directory and the credentials on first use.
     * Sensitive: never log it; use {@link #maskedUrl()}.
     *
     * @throws ConfigException when the directory or the credentials file cannot be created or read
     */
    public String url() {
        return urlWith(password());
    }

    /** The JDBC URL with the password shown as {@code ***}. Creates nothing. */
    public String maskedUrl() {
        return ConnectionUrl.mask(urlWith("x"));
    }

    private String urlWith(String pw) {
        String dir = directory.toString().replace('\\', '/');
        return "jdbc:h2:file:" + dir + "/" + DATABASE_NAME + ";AUTO_SERVER=TRUE;USER=" + USER + ";PASSWORD=" + pw;
    }

    /** Logs (INFO) where the database is, without the password, so every command can say it on stderr. */
    public void logLocation() {
        LOG.info("Broker and result backend: the embedded H2 database {} ({}); set broker_url and "
                + "result_backend to use a server instead", databaseFile(), maskedUrl());
    }

    /** The password, created on first use. Sensitive. */
    synchronized String password() {
        if (password == null) {
            ensureDirectory();
            password = readOrCreateCredentials(directory.resolve(CREDENTIALS_FILE));
        }
        return password;
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    private void ensureDirectory() {
        try {
            if (Files.isDirectory(directory)) {
                return;
            }
            Path parent = directory.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                if (posix()) {
                    Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
                } else {
                    Files.createDirectory(directory);
                }
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(directory)) {
                    throw e;
                }
            }
        } catch (IOException e) {
            throw new ConfigException("cannot create the data directory " + directory + ": " + e
                    + "; set celeriac_data_dir (or CELERIAC_DATA_DIR) to a writable directory", e);
        }
    }

    private static String readOrCreateCredentials(Path file) {
        byte[] raw = new byte[24];
        RANDOM.nextBytes(raw);
        String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        byte[] content = ("# Celeriac: password of the embedded H2 database (generated once; keep this file private)\n"
                + PASSWORD_KEY + generated + "\n").getBytes(StandardCharsets.UTF_8);
        Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileAttribute<?>[] attrs = posix()
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        try (SeekableByteChannel ch = Files.newByteChannel(file, options, attrs)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            if (ch instanceof java.nio.channels.FileChannel fc) {
                fc.force(true);
            }
            return generated;
        } catch (FileAlreadyExistsException e) {
            return readCredentials(file);
        } catch (IOException e) {
            throw new ConfigException("cannot create " + file + ": " + e + "; check that the data directory is "
                    + "writable, or set celeriac_data_dir (or CELERIAC_DATA_DIR)", e);
        }
    }

    /** Reads the password; waits briefly while another process is still writing the file. */
    private static String readCredentials(Path file) {
        long deadline = System.nanoTime() + READ_RETRY_MILLIS * 1_000_000;
        while (true) {
            try {
                warnIfOpen(file);
                String text = Files.readString(file, StandardCharsets.UTF_8);
                for (String line : text.split("\n")) {
                    if (line.startsWith(PASSWORD_KEY) && text.endsWith("\n")) {
                        String pw = line.substring(PASSWORD_KEY.length()).strip();
                        if (!pw.isEmpty() && !pw.contains(";")) {
                            return pw;
                        }
                    }
                }
            } catch (NoSuchFileException e) {
                // removed meanwhile; fall through to retry
            } catch (IOException e) {
                throw new ConfigException("cannot read " + file + ": " + e + "; check its permissions", e);
            }
            if (System.nanoTime() > deadline) {
                throw new ConfigException(file + " has no valid 'password=...' line; delete the file to have a new "
                        + "password generated (the embedded database must then be deleted too: "
                        + file.resolveSibling(DATABASE_NAME + ".mv.db") + ")");
            }
            try {
                Thread.sleep(20); // another process is between CREATE_NEW and its write
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new ConfigException("interrupted while reading " + file, ie);
            }
        }
    }

    private static void warnIfOpen(Path file) throws IOException {
        if (posix()) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                LOG.warn("{} is readable by other users ({}); run: chmod 600 {}", file,
                        PosixFilePermissions.toString(perms), file);
            }
        }
    }

    @Override
    public String toString() {
        return "EmbeddedDefault[" + maskedUrl() + "]";
    }
}
