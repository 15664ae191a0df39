package org.celeriac.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class TaskIdsTest {

    @Test
    void idsAreVersionFourUuidStringsAsPythonsUuid4() {
        for (int i = 0; i < 10_000; i++) {
            String id = TaskIds.next();
            assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
            UUID u = UUID.fromString(id);
            assertThat(u.version()).isEqualTo(4);
            assertThat(u.variant()).isEqualTo(2); // RFC 4122 (IETF) variant
            assertThat(u.toString()).isEqualTo(id);
        }
    }

    @Test
    void everyBitButTheSixFixedOnesVaries() {
        long msbOr = 0;
        long msbAnd = -1;
        long lsbOr = 0;
        long lsbAnd = -1;
        for (int i = 0; i < 1_000; i++) {
            UUID u = TaskIds.uuid4();
            msbOr |= u.getMostSignificantBits();
            msbAnd &= u.getMostSignificantBits();
            lsbOr |= u.getLeastSignificantBits();
            lsbAnd &= u.getLeastSignificantBits();
        }
        assertThat(msbOr).isEqualTo(-1L & ~0xb000L);              // version nibble 0100: 3 bits always 0
        assertThat(msbAnd).isEqualTo(0x4000L);                    // ... and 1 bit always 1
        assertThat(lsbOr).isEqualTo(0xbfff_ffff_ffff_ffffL);      // variant 10
        assertThat(lsbAnd).isEqualTo(0x8000_0000_0000_0000L);
    }

    @Test
    void idsFromManyThreadsAndVirtualThreadsAreUnique() throws Exception {
        Set<String> all = ConcurrentHashMap.newKeySet();
        int perTask = 20_000;
        List<Future<?>> done = new ArrayList<>();
        try (ExecutorService platform = Executors.newFixedThreadPool(4);
             ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 8; t++) {
                ExecutorService pool = t % 2 == 0 ? platform : virtual;
                done.add(pool.submit(() -> {
                    Set<String> mine = new HashSet<>();
                    for (int i = 0; i < perTask; i++) {
                        mine.add(TaskIds.next());
                    }
                    all.addAll(mine);
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        assertThat(all).hasSize(8 * perTask);
    }
}
