package org.celeriac.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RegexLiteralTest {
    @Test
    void reCompileInACeleryconfigBecomesAnReKeyOfTaskRoutes() throws Exception {
        Object v = PythonConfigReader.parseLiteral(
                "{re.compile(r'(video|image)\\.tasks\\..*'): {'queue': 'media'}, 'tasks.add': 'low'}");
        assertThat(v).isEqualTo(Map.of("re:(video|image)\\.tasks\\..*", Map.of("queue", "media"), "tasks.add", "low"));
    }
}
