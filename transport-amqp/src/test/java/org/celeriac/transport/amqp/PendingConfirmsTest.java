package org.celeriac.transport.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The confirm tracking of {@link AmqpBroker}'s publishing channel, without a broker (pure bookkeeping). */
class PendingConfirmsTest {
    private final PendingConfirms pending = new PendingConfirms();
    private final List<Long> stale = new ArrayList<>();

    private PendingConfirms.Entry add(long seq) {
        PendingConfirms.Entry e = new PendingConfirms.Entry(seq, "", "q", new byte[] {(byte) seq}, new CompletableFuture<>());
        pending.add(e, s -> stale.add(s.seq));
        return e;
    }

    private List<Long> settle(long seq, boolean multiple) {
        List<Long> out = new ArrayList<>();
        pending.settle(seq, multiple, e -> out.add(e.seq));
        return out;
    }

    @Test
    void multipleAcksSettleEverythingUpToTheTagInPublishOrder() {
        for (long s = 1; s <= 10; s++) {
            add(s);
        }
        assertThat(settle(4, true)).containsExactly(1L, 2L, 3L, 4L);
        assertThat(pending.size()).isEqualTo(6);
        assertThat(settle(4, true)).isEmpty();
        assertThat(settle(10, true)).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(pending.isEmpty()).isTrue();
    }

    @Test
    void singleConfirmsOutOfOrderSettleOnceAndAreSkippedByALaterMultipleAck() {
        for (long s = 1; s <= 6; s++) {
            add(s);
        }
        assertThat(settle(3, false)).containsExactly(3L);
        assertThat(settle(5, false)).containsExactly(5L);
        assertThat(settle(5, false)).as("a repeated confirm").isEmpty();
        assertThat(settle(42, false)).as("an unknown tag").isEmpty();
        assertThat(pending.size()).isEqualTo(4);
        assertThat(settle(1, false)).containsExactly(1L);
        assertThat(settle(6, true)).containsExactly(2L, 4L, 6L);
        assertThat(pending.isEmpty()).isTrue();
    }

    @Test
    void aFailedWriteTakesBackOnlyTheNewestEntry() {
        add(1);
        add(2);
        assertThat(pending.removeNewest(1)).isFalse();
        assertThat(pending.removeNewest(2)).isTrue();
        assertThat(pending.size()).isEqualTo(1);
        add(2); // the channel reuses the number of a publish that was never written
        assertThat(stale).isEmpty();
        assertThat(settle(2, true)).containsExactly(1L, 2L);
    }

    @Test
    void aChannelNumberingFromOneAgainFailsTheEntriesOfTheOldChannel() {
        add(7);
        add(8);
        settle(7, false);
        add(1); // recovered channel
        assertThat(stale).containsExactly(8L);
        assertThat(pending.size()).isEqualTo(1);
        assertThat(settle(1, true)).containsExactly(1L);
    }

    @Test
    void returnsMarkTheOldestMatchingUnsettledEntry() {
        PendingConfirms.Entry a = add(1);
        PendingConfirms.Entry b = add(2);
        PendingConfirms.Entry c = add(3);
        assertThat(pending.markReturned(e -> e.body[0] >= 2, "unroutable")).isTrue();
        assertThat(pending.markReturned(e -> e.body[0] >= 2, "unroutable again")).isTrue();
        assertThat(pending.markReturned(e -> e.body[0] >= 2, "no more")).isFalse();
        assertThat(a.returned).isNull();
        assertThat(b.returned).isEqualTo("unroutable");
        assertThat(c.returned).isEqualTo("unroutable again");
    }

    @Test
    void drainHandsOverEveryUnsettledEntry() {
        for (long s = 1; s <= 5; s++) {
            add(s);
        }
        settle(2, false);
        List<Long> drained = new ArrayList<>();
        pending.drain(e -> drained.add(e.seq));
        assertThat(drained).containsExactly(1L, 3L, 4L, 5L);
        assertThat(pending.isEmpty()).isTrue();
        assertThat(settle(5, true)).isEmpty();
    }

    @Test
    void growsPastItsInitialCapacityAcrossTheWrapAndKeepsOrder() {
        int n = PendingConfirms.INITIAL_CAPACITY * 600; // grows past the shrink threshold too
        long next = 1;
        for (int i = 0; i < 100; i++) { // move the head so the ring wraps before it grows
            add(next++);
        }
        settle(50, true);
        for (int i = 0; i < n; i++) {
            add(next++);
        }
        assertThat(pending.size()).isEqualTo(n + 50);
        long half = 50 + (n + 50) / 2;
        assertThat(settle(half + 1, false)).containsExactly(half + 1);
        List<Long> all = settle(next - 1, true);
        assertThat(all).hasSize(n + 50 - 1).doesNotContain(half + 1);
        assertThat(all.get(0)).isEqualTo(51L);
        assertThat(all).isSorted().doesNotHaveDuplicates();
        assertThat(pending.isEmpty()).isTrue();
        add(next); // usable again after shrinking
        assertThat(settle(next, false)).containsExactly(next);
    }
}
