package org.celeriac.spi.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessageTest {

    @Test
    void headersAreCopiedInOrderAndCannotBeChanged() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("task", "tasks.add");
        h.put("id", "1");
        Message m = new Message(h, null, null);
        h.put("id", "2");
        assertThat(m.headers()).containsExactly(Map.entry("task", "tasks.add"), Map.entry("id", "1"));
        assertThatThrownBy(() -> m.headers().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> m.headers().remove("id")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> m.headers().entrySet().iterator().next().setValue("3"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> m.headers().keySet().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void adoptingTakesTheMapOverAndAnotherMessagesHeadersAreSharedNotCopied() {
        Map<String, Object> h = new LinkedHashMap<>(Map.of("id", "1"));
        Message adopted = Message.adopting(h, null, new byte[] {1});
        assertThat(adopted.headers()).isEqualTo(Map.of("id", "1"));
        assertThatThrownBy(() -> adopted.headers().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        Message again = new Message(adopted.headers(), adopted.properties(), adopted.body());
        assertThat(again.headers()).isSameAs(adopted.headers());
        assertThat(again).isEqualTo(adopted).hasSameHashCodeAs(adopted);
        assertThat(Message.adopting(null, null, null).headers()).isEmpty();
        assertThat(new Message(Map.of("a", List.of(1)), null, null).headers()).isEqualTo(Map.of("a", List.of(1)));
    }
}
