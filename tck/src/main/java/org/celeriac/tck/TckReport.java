package org.celeriac.tck;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The outcome of a TCK run, one {@link RuleResult} per rule (test), in rule order. Immutable.
 *
 * @param results every rule's result, sorted by rule id
 */
public record TckReport(List<RuleResult> results) {
    private static final Pattern RULE = Pattern.compile("^([BRS])-(\\d+)\\.(\\d+)$");

    /** How a rule ended. */
    public enum Status { PASSED, FAILED, SKIPPED }

    /**
     * One rule's result.
     *
     * @param ruleId the id ({@code B-3.2}); for a test without one, or a failing set-up, its display name
     * @param description the rule as a sentence (the display name without the id)
     * @param suite the test class that ran it (simple name)
     * @param status passed, failed or skipped
     * @param reason why it failed or was skipped; null when it passed
     */
    public record RuleResult(String ruleId, String description, String suite, Status status, String reason) {
    }

    public TckReport {
        List<RuleResult> sorted = new ArrayList<>(results);
        sorted.sort(Comparator.comparing((RuleResult r) -> sortKey(r.ruleId())).thenComparing(RuleResult::suite));
        results = List.copyOf(sorted);
    }

    private static String sortKey(String id) {
        Matcher m = RULE.matcher(id);
        if (!m.matches()) {
            return "~" + id;
        }
        return m.group(1) + String.format("%04d.%04d", Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
    }

    /** How many rules passed. */
    public long passed() {
        return count(Status.PASSED);
    }

    /** How many rules failed (set-up failures included). */
    public long failed() {
        return count(Status.FAILED);
    }

    /** How many rules were skipped. */
    public long skipped() {
        return count(Status.SKIPPED);
    }

    private long count(Status s) {
        return results.stream().filter(r -> r.status() == s).count();
    }

    /** True when nothing failed (skips are fine). */
    public boolean succeeded() {
        return failed() == 0;
    }

    /** The ids of the failed rules, in rule order. */
    public List<String> failedRuleIds() {
        return ids(Status.FAILED);
    }

    /** The ids of the skipped rules, in rule order. */
    public List<String> skippedRuleIds() {
        return ids(Status.SKIPPED);
    }

    private List<String> ids(Status s) {
        return results.stream().filter(r -> r.status() == s).map(RuleResult::ruleId).toList();
    }

    /** The result of the rule {@code ruleId}; empty when it did not run. */
    public Optional<RuleResult> result(String ruleId) {
        return results.stream().filter(r -> r.ruleId().equals(ruleId)).findFirst();
    }

    /** The closing line: {@code N passed, M failed, K skipped}. */
    public String summary() {
        return passed() + " passed, " + failed() + " failed, " + skipped() + " skipped";
    }

    /** Prints one line per rule (with the reason under failed and skipped ones) and the summary line. */
    public void print(PrintStream out) {
        for (RuleResult r : results) {
            out.printf("%-7s %-7s %s%n", r.status(), r.ruleId(), r.description());
            if (r.reason() != null && r.status() != Status.PASSED) {
                for (String line : r.reason().strip().split("\\R")) {
                    out.println("                " + line);
                }
            }
        }
        out.println(summary());
    }

    @Override
    public String toString() {
        return "TckReport[" + summary() + (failedRuleIds().isEmpty() ? "" : ", failed " + failedRuleIds()) + "]";
    }
}
