package org.celeriac.core.memory;

import static org.assertj.core.api.Assertions.assertThat;

import org.celeriac.tck.TckConfiguration;
import org.celeriac.tck.TckReport;
import org.celeriac.tck.TckRunner;
import org.junit.jupiter.api.Test;

/**
 * What {@code celeriac tck --broker memory:// --result-backend memory:// --serializer json} runs: the
 * URL-driven suites find the memory providers (and serializer-json) through ServiceLoader.
 */
class MemoryUrlTckTest {

    @Test
    void theTckPassesAgainstMemoryUrls() {
        TckReport report = TckRunner.run(TckConfiguration.empty().withBroker("memory://tck-url")
                .withResultBackend("memory://tck-url").withSerializer("json"), getClass().getClassLoader());

        assertThat(report.failedRuleIds()).as(report.toString()).isEmpty();
        assertThat(report.result("B-5.3").orElseThrow().status())
                .as("memory:// without redelivery_timeout never redelivers after a crash")
                .isEqualTo(TckReport.Status.SKIPPED);
        assertThat(report.result("B-3.4").orElseThrow().status()).as("deadLetters(String) found by convention")
                .isEqualTo(TckReport.Status.PASSED);
        assertThat(report.passed()).isGreaterThan(70);
        MemoryNamespaces.discard("tck-url");
    }
}
