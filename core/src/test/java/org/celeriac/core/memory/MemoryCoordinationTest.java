package org.celeriac.core.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MemoryCoordinationTest {
    private final MutableClock clock = new MutableClock();
    private final MemoryCoordination c = new MemoryCoordination(clock);

    @Test
    void a_lease_has_one_owner_until_it_expires_or_is_released() {
        assertThat(c.tryAcquireLease("beat", "a", Duration.ofSeconds(10))).isTrue();
        assertThat(c.tryAcquireLease("beat", "b", Duration.ofSeconds(10))).isFalse();
        clock.advance(Duration.ofSeconds(9));
        assertThat(c.tryAcquireLease("beat", "a", Duration.ofSeconds(10))).as("renewal").isTrue();
        clock.advance(Duration.ofSeconds(9));
        assertThat(c.tryAcquireLease("beat", "b", Duration.ofSeconds(10))).isFalse();
        clock.advance(Duration.ofSeconds(2));
        assertThat(c.tryAcquireLease("beat", "b", Duration.ofSeconds(10))).as("expired").isTrue();
        c.releaseLease("beat", "a");
        assertThat(c.tryAcquireLease("beat", "a", Duration.ofSeconds(10))).as("release by a non-owner is ignored").isFalse();
        c.releaseLease("beat", "b");
        assertThat(c.tryAcquireLease("beat", "a", Duration.ofSeconds(10))).isTrue();
        assertThatThrownBy(() -> c.tryAcquireLease("x", "a", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void counters_add_atomically_and_expire() {
        assertThat(c.incrementAndGet("k", 1, null)).isEqualTo(1);
        assertThat(c.incrementAndGet("k", 5, Duration.ofSeconds(1))).isEqualTo(6);
        clock.advance(Duration.ofSeconds(1));
        assertThat(c.incrementAndGet("k", 1, null)).isEqualTo(1);
    }

    @Test
    void values_live_for_their_ttl_and_are_copied() {
        byte[] v = "revoked".getBytes(StandardCharsets.UTF_8);
        c.put("r", v, Duration.ofSeconds(5));
        v[0] = 'X';
        assertThat(c.get("r")).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("revoked"));
        c.get("r").orElseThrow()[0] = 'Y';
        assertThat(new String(c.get("r").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("revoked");
        clock.advance(Duration.ofSeconds(5));
        assertThat(c.get("r")).isEmpty();
        c.put("forever", v, null);
        clock.advance(Duration.ofDays(1000));
        assertThat(c.get("forever")).isPresent();
        c.delete("forever");
        c.delete("missing");
        assertThat(c.get("forever")).isEmpty();
    }
}
