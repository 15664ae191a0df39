package org.celeriac.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TckCommandTest {

    @Test
    void certifiesTheMemoryReferenceImplementationAndPrintsTheClosingLine() {
        Captured c = Captured.run("tck", "--broker", "memory://", "--serializer", "json");
        assertThat(c.exitCode()).as(c.out()).isZero();
        assertThat(c.out()).contains("PASSED  B-1.1").contains("PASSED  S-1.1")
                .containsPattern("(?m)^\\d+ passed, 0 failed, \\d+ skipped$");
    }

    @Test
    void anUnknownSchemeIsAFailureNamingTheScheme() {
        Captured c = Captured.run("tck", "--broker", "nosuch://x");
        assertThat(c.exitCode()).isEqualTo(Main.TASK_FAILED);
        assertThat(c.out()).contains("nosuch").containsPattern("(?m)^0 passed, 1 failed, 0 skipped$");
    }

    @Test
    void withNothingToCertifyItIsAUsageError() {
        Captured c = Captured.run("tck");
        assertThat(c.exitCode()).isEqualTo(Main.USAGE);
        assertThat(c.err()).contains("--broker");
    }
}
