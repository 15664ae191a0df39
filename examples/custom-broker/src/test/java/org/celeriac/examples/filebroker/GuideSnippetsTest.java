package org.celeriac.examples.filebroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The code in {@code docs/writing-a-transport.md} and {@code tck/README.md} is the real code: every
 * block between {@code <!-- snippet: path#region -->} and {@code <!-- /snippet -->} must equal the
 * region between {@code tag::region[]} and {@code end::region[]} in that file (indentation removed).
 * Run with {@code -Dsnippets.update=true} to rewrite the documents from the sources.
 */
class GuideSnippetsTest {
    private static final Pattern SNIPPET = Pattern.compile(
            "<!-- snippet: (\\S+)#(\\S+) -->\\n```(\\w*)\\n(.*?)```\\n<!-- /snippet -->", Pattern.DOTALL);
    private static final List<String> DOCUMENTS = List.of("docs/writing-a-transport.md", "tck/README.md");

    @Test
    void theSnippetsInTheGuidesEqualTheSourceRegions() throws IOException {
        Path root = repositoryRoot();
        boolean update = Boolean.getBoolean("snippets.update");
        List<String> stale = new ArrayList<>();
        int checked = 0;
        for (String doc : DOCUMENTS) {
            Path file = root.resolve(doc);
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Matcher m = SNIPPET.matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                checked++;
                String region = region(root.resolve(m.group(1)), m.group(2));
                if (!region.equals(m.group(4))) {
                    stale.add(doc + ": " + m.group(1) + "#" + m.group(2));
                }
                m.appendReplacement(out, Matcher.quoteReplacement("<!-- snippet: " + m.group(1) + "#" + m.group(2)
                        + " -->\n```" + m.group(3) + "\n" + region + "```\n<!-- /snippet -->"));
            }
            m.appendTail(out);
            if (update && !out.toString().equals(text)) {
                Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
            }
        }
        assertThat(checked).as("snippets found in " + DOCUMENTS).isGreaterThanOrEqualTo(8);
        if (!update) {
            assertThat(stale).as("snippets that differ from their source; rerun this test with -Dsnippets.update=true "
                    + "to rewrite the documents").isEmpty();
        }
    }

    /** The lines between tag::name[] and end::name[], with their common indentation removed. */
    static String region(Path file, String name) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        int start = -1;
        int end = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("tag::" + name + "[]")) {
                start = i + 1;
            } else if (lines.get(i).contains("end::" + name + "[]") && start >= 0) {
                end = i;
                break;
            }
        }
        if (start < 0 || end < 0) {
            return fail("no region tag::" + name + "[] ... end::" + name + "[] in " + file);
        }
        List<String> body = lines.subList(start, end);
        int indent = body.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length())
                .min().orElse(0);
        StringBuilder out = new StringBuilder();
        for (String l : body) {
            out.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        }
        return out.toString();
    }

    static Path repositoryRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("docs/writing-a-transport.md"))) {
            p = p.getParent();
        }
        if (p == null) {
            return fail("docs/writing-a-transport.md not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
