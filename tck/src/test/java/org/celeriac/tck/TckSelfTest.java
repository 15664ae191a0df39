package org.celeriac.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedClass;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tests the TCK itself: the reference implementations pass every rule (skipping only what their
 * capabilities exclude), and each deliberately broken implementation fails the rule that matches its
 * fault, with a message that names the rule and says what went wrong.
 */
class TckSelfTest {

    private static TckReport runNested(Class<?> suite, Class<?> nested) {
        return TckRunner.run(null, List.of(selectNestedClass(List.of(suite), nested)));
    }

    static Stream<Arguments> brokenImplementations() {
        return Stream.of(
                Arguments.of(RefSuites.DropsHeaders.class, BrokerTck.PublishAndConsume.class, "B-1.1", "argsrepr"),
                Arguments.of(RefSuites.Reorders.class, BrokerTck.Ordering.class, "B-2.1", "out of publish order"),
                Arguments.of(RefSuites.IgnoresRequeue.class, BrokerTck.Settlement.class, "B-3.2", "reject(requeue = true)"),
                Arguments.of(RefSuites.NoRedeliveredFlag.class, BrokerTck.Settlement.class, "B-3.2", "redelivered = true"),
                Arguments.of(RefSuites.IgnoresPrefetch.class, BrokerTck.Prefetch.class, "B-4.1", "prefetch 2"),
                Arguments.of(RefSuites.LosesOnClose.class, BrokerTck.ConsumerLoss.class, "B-5.1", "given back by the closed consumer"),
                Arguments.of(RefSuites.LosesOnCrash.class, BrokerTck.ConsumerLoss.class, "B-5.3", "crashed consumer"),
                Arguments.of(RefSuites.PurgeMiscounts.class, BrokerTck.Purge.class, "B-6.1", "7 waiting messages"),
                Arguments.of(RefSuites.DoubleDelivers.class, BrokerTck.Concurrency.class, "B-7.1", "more than once"),
                Arguments.of(RefSuites.NotDurable.class, BrokerTck.Durability.class, "B-8.1", "before the restart"),
                Arguments.of(RefSuites.DeliversDelayedEarly.class, BrokerTck.Delayed.class, "B-10.1", "delayed message came before"),
                Arguments.of(RefSuites.DropsTraceback.class, ResultBackendTck.StoreAndRead.class, "R-1.4", "traceback"),
                Arguments.of(RefSuites.OverwritesSuccess.class, ResultBackendTck.StoreAndRead.class, "R-1.6", "overwritten"),
                Arguments.of(RefSuites.NeverWakes.class, ResultBackendTck.Waiting.class, "R-2.1", "not complete within"),
                Arguments.of(RefSuites.WakesOnUnready.class, ResultBackendTck.Waiting.class, "R-2.3", "unready state"),
                Arguments.of(RefSuites.ForgetIsANoop.class, ResultBackendTck.ForgetAndExpiry.class, "R-3.1", "after forget()"),
                Arguments.of(RefSuites.NonAtomicChord.class, ResultBackendTck.ChordCounters.class, "R-5.2", "increments were lost"),
                Arguments.of(RefSuites.FloatPrecision.class, SerializerTck.RoundTrips.class, "S-1.4", "came back as"),
                Arguments.of(RefSuites.LosesKeyOrder.class, SerializerTck.RoundTrips.class, "S-1.9", "key order"),
                Arguments.of(RefSuites.WrongException.class, SerializerTck.Errors.class, "S-2.1", "instead of SerializationException"),
                Arguments.of(RefSuites.InstantiatesClasses.class, SerializerTck.Safety.class, "S-3.1", "TckCanary"));
    }

    @ParameterizedTest(name = "{0} fails {2}")
    @MethodSource("brokenImplementations")
    void aBrokenImplementationFailsTheMatchingRuleWithAUsefulMessage(Class<?> suite, Class<?> nested, String rule, String words) {
        TckReport report = runNested(suite, nested);

        assertThat(report.failedRuleIds()).as(report.toString()).contains(rule);
        TckReport.RuleResult failed = report.result(rule).orElseThrow();
        assertThat(failed.reason()).contains(rule).contains(words);
    }

    @Test
    void theReferenceBrokerPassesAndSkipsOnlyWhatItsCapabilitiesExclude() {
        TckReport report = TckRunner.run(null, List.of(selectClass(RefSuites.ReferenceBroker.class)));

        assertThat(report.failedRuleIds()).as(report.toString()).isEmpty();
        assertThat(report.skippedRuleIds()).containsExactlyInAnyOrder("B-3.4", "B-9.1", "B-9.2", "B-10.3", "B-11.1", "B-11.2");
        assertThat(report.passed()).isGreaterThanOrEqualTo(35);
        assertThat(report.result("B-11.1").orElseThrow().reason()).contains("BrokerCapabilities.broadcast");
    }

    @Test
    void theReferenceBackendPassesAndSkipsOnlyTheHooksItLacks() {
        TckReport report = TckRunner.run(null, List.of(selectClass(RefSuites.ReferenceBackend.class)));

        assertThat(report.failedRuleIds()).as(report.toString()).isEmpty();
        assertThat(report.skippedRuleIds()).containsExactlyInAnyOrder("R-6.1", "R-6.4");
        assertThat(report.result("R-6.1").orElseThrow().reason()).contains("storeInAnotherProcess");
    }

    @Test
    void theReferenceSerializerPassesEveryRule() {
        TckReport report = TckRunner.run(null, List.of(selectClass(RefSuites.ReferenceSerializer.class)));

        assertThat(report.failedRuleIds()).as(report.toString()).isEmpty();
        assertThat(report.skipped()).isZero();
        assertThat(report.passed()).isEqualTo(18);
    }
}
