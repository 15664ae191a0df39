package org.celeriac.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** RULES.md and the TCK's tests cross-reference: the same rule ids, each linked to the method that checks it. */
class RulesDocumentTest {
    private static final Pattern ROW = Pattern.compile("^\\| ([BRS]-\\d+\\.\\d+) \\| (.*?) \\| \\[`(\\w+)\\.(\\w+)#(\\w+)`\\]", Pattern.MULTILINE);

    @Test
    void everyRuleInRulesMdIsATestAndEveryTestIsARule() throws IOException {
        String doc = Files.readString(Path.of("RULES.md"), StandardCharsets.UTF_8);
        Map<String, String> documented = new TreeMap<>();
        Matcher m = ROW.matcher(doc);
        while (m.find()) {
            assertThat(m.group(2)).as(m.group(1) + " uses MUST or SHOULD wording").containsPattern("MUST|SHOULD");
            documented.put(m.group(1), m.group(3) + "." + m.group(4) + "#" + m.group(5));
        }
        Map<String, String> tested = new TreeMap<>();
        for (Class<?> suite : new Class<?>[] {BrokerTck.class, ResultBackendTck.class, SerializerTck.class}) {
            for (Class<?> nested : suite.getDeclaredClasses()) {
                for (Method method : nested.getDeclaredMethods()) {
                    DisplayName name = method.getAnnotation(DisplayName.class);
                    if (name != null) {
                        String id = name.value().substring(0, name.value().indexOf(' '));
                        tested.put(id, suite.getSimpleName() + "." + nested.getSimpleName() + "#" + method.getName());
                        String expectedPrefix = id.toLowerCase().replace("-", "").replace('.', '_') + "_";
                        assertThat(method.getName()).as("the method name carries the rule id").startsWith(expectedPrefix);
                    }
                }
            }
        }
        assertThat(documented).isEqualTo(tested);
        assertThat(tested).hasSizeGreaterThanOrEqualTo(40);
    }
}
