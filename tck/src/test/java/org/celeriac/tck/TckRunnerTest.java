package org.celeriac.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * {@link TckRunner#run(TckConfiguration, ClassLoader)} end to end, as {@code celeriac tck} uses it: the
 * URL-driven suites find the {@code ref://} providers of this module's tests through ServiceLoader.
 */
class TckRunnerTest {
    private final ClassLoader loader = getClass().getClassLoader();

    @Test
    void theUrlSuitesPassAgainstTheReferenceProvidersAndReportEveryRule() {
        TckReport report = TckRunner.run(TckConfiguration.empty().withBroker("ref://runner").withResultBackend("ref://runner")
                .withSerializer("ref"), loader);

        assertThat(report.failedRuleIds()).as(report.toString()).isEmpty();
        assertThat(report.result("B-5.3").orElseThrow().status())
                .as("crash(Consumer) found by convention").isEqualTo(TckReport.Status.PASSED);
        assertThat(report.result("R-3.3").orElseThrow().status()).isEqualTo(TckReport.Status.PASSED);
        assertThat(report.result("R-6.1").orElseThrow().reason()).contains(TckConfiguration.SECOND_PROCESS);
        assertThat(report.results()).extracting(TckReport.RuleResult::ruleId).contains("B-1.1", "R-5.2", "S-3.1");
        assertThat(report.passed() + report.skipped()).isGreaterThanOrEqualTo(80);
    }

    @Test
    void aBrokenBrokerFailsWithTheRuleIdInTheReportAndTheSummaryLine() {
        TckReport report = TckRunner.run(TckConfiguration.empty().withBroker("ref://broken?faults=PURGE_MISCOUNTS"), loader);

        assertThat(report.failedRuleIds()).containsExactly("B-6.1");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        report.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("FAILED  B-6.1   purge removes every waiting message and returns how many")
                .contains("expected: <7> but was: <6>")
                .contains("SKIPPED B-11.1")
                .containsPattern("(?m)^\\d+ passed, 1 failed, \\d+ skipped$");
    }

    @Test
    void anUnknownSchemeIsOneFailedSetUpNamingTheAvailableSchemes() {
        TckReport report = TckRunner.run(TckConfiguration.empty().withBroker("nosuch://x"), loader);

        assertThat(report.failed()).isEqualTo(1);
        assertThat(report.results().get(0).ruleId()).isEqualTo("(setup)");
        assertThat(report.results().get(0).reason()).contains("no broker provider for scheme 'nosuch'").contains("ref");
    }

    @Test
    void nothingToTestIsRefused() {
        assertThatThrownBy(() -> TckRunner.run(TckConfiguration.empty(), loader))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--broker");
    }

    @Test
    void theConfigurationReadsSystemPropertiesAndNestsDottedSettings() {
        Properties p = new Properties();
        p.setProperty(TckConfiguration.BROKER_URL, "ref://x");
        p.setProperty(TckConfiguration.SETTING_PREFIX + "broker_transport_options.visibility_timeout", "2");
        p.setProperty(TckConfiguration.SETTING_PREFIX + "result_expires", "60");
        p.setProperty(TckConfiguration.SECOND_PROCESS, "false");

        TckConfiguration c = TckConfiguration.fromProperties(p);

        assertThat(c.brokerUrl()).isEqualTo("ref://x");
        assertThat(c.settings()).containsEntry("result_expires", "60")
                .containsEntry("broker_transport_options", Map.of("visibility_timeout", "2"));
        assertThat(c.secondProcess()).isFalse();
        assertThat(TckConfiguration.fromProperties(toProperties(c.toSystemProperties()))).isEqualTo(c);
    }

    @Test
    void theConfigurationMasksPasswordsWhenPrinted() {
        assertThat(TckConfiguration.empty().withBroker("redis://:s3cret@h:6379/0").toString())
                .doesNotContain("s3cret").contains("***");
    }

    private static Properties toProperties(Map<String, String> m) {
        Properties p = new Properties();
        p.putAll(m);
        return p;
    }
}
