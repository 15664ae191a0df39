package org.celeriac.cli;

import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.celeriac.tck.TckConfiguration;
import org.celeriac.tck.TckReport;
import org.celeriac.tck.TckRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code celeriac tck}: runs the conformance kit (module celeriac-tck) against any broker, result backend
 * or serializer on the class path, through the JUnit Platform Launcher, and prints one line per rule
 * and the closing {@code N passed, M failed, K skipped}.
 */
@Command(name = "tck", mixinStandardHelpOptions = true,
        description = {"Run the TCK (tck/RULES.md) against a broker, a result backend and/or a serializer.",
                "Example: celeriac tck --broker memory:// --result-backend memory:// --serializer json"},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every rule passed or was skipped by capability", "1:at least one rule failed",
                "2:usage error", "4:configuration error"})
final class TckCommand implements Callable<Integer> {

    @Option(names = {"-b", "--broker"}, paramLabel = "URL", description = "The broker URL to certify (e.g. memory://).")
    String broker;

    @Option(names = "--result-backend", paramLabel = "URL", description = "The result backend URL to certify.")
    String resultBackend;

    @Option(names = "--serializer", paramLabel = "TYPE", description = "A serializer name or content type to certify (json).")
    String serializer;

    @Option(names = "--classpath", paramLabel = "JAR", arity = "1..*", split = ":",
            description = "Jars or class directories holding the implementation under test.")
    List<Path> classpath = new ArrayList<>();

    @Override
    public Integer call() throws MalformedURLException {
        if (broker == null && resultBackend == null && serializer == null) {
            System.err.println("celeriac tck: give at least one of --broker URL, --result-backend URL, --serializer TYPE");
            return Main.USAGE;
        }
        List<URL> urls = new ArrayList<>();
        for (Path p : classpath) {
            if (!Files.exists(p)) {
                System.err.println("celeriac tck: --classpath " + p + ": no such file or directory");
                return Main.USAGE;
            }
            urls.add(p.toUri().toURL());
        }
        TckConfiguration cfg = TckConfiguration.empty().withBroker(broker).withResultBackend(resultBackend)
                .withSerializer(serializer).withClasspath(classpath);
        ClassLoader loader = new URLClassLoader("celeriac-tck-subject", urls.toArray(URL[]::new),
                TckCommand.class.getClassLoader());
        TckReport report = TckRunner.run(cfg, loader);
        report.print(System.out);
        return report.succeeded() ? Main.OK : Main.TASK_FAILED;
    }
}
