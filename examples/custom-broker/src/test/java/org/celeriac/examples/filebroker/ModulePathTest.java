package org.celeriac.examples.filebroker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.celeriac.api.TaskState;
import org.celeriac.spi.broker.BrokerProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code module-info} registration works: a module layer made of this module (its classes
 * directory, an explicit module) and the SPI and API jars (automatic modules) finds the provider
 * through {@code ServiceLoader.load(layer, BrokerProvider.class)} of the layer's own SPI.
 */
class ModulePathTest {

    @Test
    void theProviderIsFoundOnTheModulePathThroughModuleInfo(@TempDir Path tmp) throws Exception {
        Path classes = location(FileBrokerProvider.class);
        Path spi = asJar(location(BrokerProvider.class), tmp.resolve("celeriac-spi.jar"));
        Path api = asJar(location(TaskState.class), tmp.resolve("celeriac-api.jar"));
        ModuleFinder finder = ModuleFinder.of(classes, spi, api);
        ModuleLayer boot = ModuleLayer.boot();
        Configuration cf = boot.configuration().resolveAndBind(finder, ModuleFinder.of(), Set.of("org.celeriac.examples.filebroker"));
        ModuleLayer layer = boot.defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());

        Class<?> service = layer.findLoader("celeriac.spi").loadClass(BrokerProvider.class.getName());
        List<Object> providers = ServiceLoader.load(layer, service).stream().map(ServiceLoader.Provider::get)
                .map(Object.class::cast).toList();

        assertThat(providers).hasSize(1);
        Object provider = providers.get(0);
        assertThat(provider.getClass().getName()).isEqualTo(FileBrokerProvider.class.getName());
        assertThat(provider.getClass().getModule().getName()).isEqualTo("org.celeriac.examples.filebroker");
        assertThat(provider.getClass().getModule().isNamed()).isTrue();
        assertThat(service.getMethod("schemes").invoke(provider)).isEqualTo(Set.of("filesystem"));
    }

    private static Path location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** An automatic module must be a jar: a classes directory (reactor build) is packed into one. */
    private static Path asJar(Path location, Path jar) throws IOException {
        if (Files.isRegularFile(location)) {
            return location;
        }
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out);
             Stream<Path> files = Files.walk(location)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                j.putNextEntry(new JarEntry(location.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, j);
                j.closeEntry();
            }
        }
        return jar;
    }
}
