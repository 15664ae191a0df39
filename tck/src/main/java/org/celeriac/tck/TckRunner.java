package org.celeriac.tck;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs the TCK with the JUnit Platform Launcher and reports per rule: {@link #run(TckConfiguration, ClassLoader)}
 * runs {@link UrlBrokerTck}, {@link UrlResultBackendTck} and {@link UrlSerializerTck} for the parts the
 * configuration names ({@code celeriac tck} calls it); {@link #run(ClassLoader, List)} runs any TCK
 * subclasses (the TCK's own tests use it on deliberately broken implementations).
 *
 * <p>The rule id of a test is the {@code X-n.m} its display name starts with. A test class whose
 * set-up fails (e.g. the broker cannot be reached) is reported as one failed entry carrying the error;
 * one whose set-up is skipped as one skipped entry. Blocking; runs one TCK at a time per JVM (the
 * configuration is installed globally for the duration of the run).
 */
public final class TckRunner {
    private static final Pattern RULE_ID = Pattern.compile("^([BRS]-\\d+\\.\\d+)\\s+(.*)$", Pattern.DOTALL);
    private static final Object LOCK = new Object();

    private TckRunner() {
    }

    /**
     * Runs the URL-driven suites for what {@code configuration} names.
     *
     * @param configuration the broker URL, result-backend URL and/or serializer, and settings
     * @param classLoader where the implementations (and their {@code META-INF/services}) are; its parent
     *        must be the loader of this class, so both see the same SPI types
     * @return the report
     * @throws IllegalArgumentException when the configuration names nothing to test
     */
    public static TckReport run(TckConfiguration configuration, ClassLoader classLoader) {
        Objects.requireNonNull(configuration, "configuration");
        List<DiscoverySelector> selectors = new ArrayList<>();
        if (configuration.brokerUrl() != null) {
            selectors.add(DiscoverySelectors.selectClass(UrlBrokerTck.class));
        }
        if (configuration.resultBackendUrl() != null) {
            selectors.add(DiscoverySelectors.selectClass(UrlResultBackendTck.class));
        }
        if (configuration.serializer() != null) {
            selectors.add(DiscoverySelectors.selectClass(UrlSerializerTck.class));
        }
        if (selectors.isEmpty()) {
            throw new IllegalArgumentException("nothing to test: give a broker URL, a result-backend URL or a serializer "
                    + "(celeriac tck --broker URL [--result-backend URL] [--serializer TYPE])");
        }
        return launch(configuration, classLoader, selectors);
    }

    /**
     * Runs the given TCK classes (or nested classes, or methods) as they are, e.g. subclasses of
     * {@link BrokerTck}.
     *
     * @param classLoader the thread context class loader during the run; nullable (keep the current one)
     * @param selectors what to run, e.g. {@code DiscoverySelectors.selectClass(MyBrokerTckTest.class)}
     */
    public static TckReport run(ClassLoader classLoader, List<? extends DiscoverySelector> selectors) {
        return launch(null, classLoader, selectors);
    }

    private static TckReport launch(TckConfiguration configuration, ClassLoader classLoader,
                                    List<? extends DiscoverySelector> selectors) {
        synchronized (LOCK) {
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            ClassLoader cl = classLoader != null ? classLoader : previous;
            thread.setContextClassLoader(cl);
            if (configuration != null) {
                TckContext.install(configuration, cl);
            }
            try {
                LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
                Collector collector = new Collector();
                Launcher launcher = LauncherFactory.create();
                launcher.execute(request, collector);
                return new TckReport(collector.results);
            } finally {
                if (configuration != null) {
                    TckContext.clear();
                }
                thread.setContextClassLoader(previous);
            }
        }
    }

    /** Collects per-rule results from the launcher's events. */
    private static final class Collector implements TestExecutionListener {
        final List<TckReport.RuleResult> results = new CopyOnWriteArrayList<>();

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            add(id, TckReport.Status.SKIPPED, reason);
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (id.isContainer() && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                return;
            }
            TckReport.Status status = switch (result.getStatus()) {
                case SUCCESSFUL -> TckReport.Status.PASSED;
                case ABORTED -> TckReport.Status.SKIPPED;
                case FAILED -> TckReport.Status.FAILED;
            };
            add(id, status, result.getThrowable().map(TckRunner::reason).orElse(null));
        }

        private void add(TestIdentifier id, TckReport.Status status, String reason) {
            String display = id.getDisplayName();
            Matcher m = RULE_ID.matcher(display);
            String suite = suite(id);
            if (m.matches()) {
                results.add(new TckReport.RuleResult(m.group(1), m.group(2), suite, status, reason));
            } else if (id.isContainer()) {
                results.add(new TckReport.RuleResult("(setup)", suite + ": " + display, suite, status, reason));
            } else {
                results.add(new TckReport.RuleResult(display, display, suite, status, reason));
            }
        }

        private static String suite(TestIdentifier id) {
            Optional<?> source = id.getSource();
            if (source.isPresent() && source.get() instanceof MethodSource ms) {
                return simple(ms.getClassName());
            }
            if (source.isPresent() && source.get() instanceof ClassSource cs) {
                return simple(cs.getClassName());
            }
            return id.getDisplayName();
        }

        private static String simple(String className) {
            String s = className.substring(className.lastIndexOf('.') + 1);
            int dollar = s.indexOf('$');
            return dollar < 0 ? s : s.substring(0, dollar);
        }
    }

    private static String reason(Throwable t) {
        String m = t.getMessage();
        String text = m == null || m.isBlank() ? t.getClass().getName() : m;
        if (text.startsWith("Assumption failed: ")) {
            text = text.substring("Assumption failed: ".length());
        }
        if (!(t instanceof AssertionError) && !t.getClass().getName().startsWith("org.opentest4j")) {
            text = t.getClass().getName() + ": " + text;
            if (t.getCause() != null && t.getCause() != t) {
                text += " (caused by " + t.getCause() + ")";
            }
        }
        return text;
    }
}
