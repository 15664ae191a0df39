package org.celeriac.core.discovery;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;

/**
 * A class loader whose {@code META-INF/services} files are exactly the ones given (written to a
 * directory); classes still come from the parent, so fake providers of the test sources load.
 */
final class ServicesClassLoader extends ClassLoader {
    private final Path root;

    private ServicesClassLoader(Path root, ClassLoader parent) {
        super(parent);
        this.root = root;
    }

    /** @param services SPI interface → implementation class names */
    static ServicesClassLoader with(Path dir, Map<Class<?>, List<String>> services) throws IOException {
        Path sdir = Files.createDirectories(dir.resolve("META-INF/services"));
        for (Map.Entry<Class<?>, List<String>> e : services.entrySet()) {
            Files.writeString(sdir.resolve(e.getKey().getName()), String.join("\n", e.getValue()) + "\n");
        }
        return new ServicesClassLoader(dir, ServicesClassLoader.class.getClassLoader());
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        if (name.startsWith("META-INF/services/")) {
            Path p = root.resolve(name);
            return Files.exists(p) ? Collections.enumeration(List.of(p.toUri().toURL())) : Collections.emptyEnumeration();
        }
        return super.getResources(name);
    }

    @Override
    public URL getResource(String name) {
        if (name.startsWith("META-INF/services/")) {
            try {
                Path p = root.resolve(name);
                return Files.exists(p) ? p.toUri().toURL() : null;
            } catch (IOException e) {
                return null;
            }
        }
        return super.getResource(name);
    }
}
