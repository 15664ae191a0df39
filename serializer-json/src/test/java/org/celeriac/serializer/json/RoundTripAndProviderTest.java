package org.celeriac.serializer.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SplittableRandom;
import org.celeriac.spi.Settings;
import org.celeriac.spi.serializer.Serializer;
import org.celeriac.spi.serializer.SerializerProvider;
import org.junit.jupiter.api.Test;

class RoundTripAndProviderTest {

    private final JsonSerializer json = JsonSerializer.INSTANCE;

    @Test
    void providerIsFoundThroughServiceLoader() {
        List<SerializerProvider> providers = ServiceLoader.load(SerializerProvider.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        assertThat(providers).hasSize(1);
        SerializerProvider provider = providers.get(0);
        assertThat(provider.name()).isEqualTo("json");
        assertThat(provider.contentTypes()).containsExactly("application/json");
        assertThat(provider.artifact()).isEqualTo("org.celeriac:celeriac-serializer-json");
        Serializer s = provider.create(Settings.of(Map.of()));
        assertThat(s.name()).isEqualTo("json");
        assertThat(s.contentType()).isEqualTo("application/json");
        assertThat(s.contentEncoding()).isEqualTo("utf-8");
        assertThat(s.decode(s.encode(List.of(1L, "a")))).isEqualTo(List.of(1L, "a"));
    }

    @Test
    void modelValuesSurviveARoundTripAndReencodeIdentically() {
        Map<String, Object> kwargs = new LinkedHashMap<>();
        kwargs.put("s", "J\u00f6rg \uD83D\uDE00\u2028\u0000");
        kwargs.put("big", BigInteger.TWO.pow(70).negate());
        kwargs.put("floats", List.of(3.0, -0.0, 1e-5, 1e16, 0.1, Double.MAX_VALUE, Double.MIN_VALUE));
        kwargs.put("none", null);
        kwargs.put("flags", List.of(true, false));
        kwargs.put("nested", Map.of("k", List.of(List.of(), Map.of())));
        Object body = Arrays.asList(List.of(1L, -2L), kwargs, null);
        byte[] encoded = json.encode(body);
        Object decoded = json.decode(encoded);
        assertThat(decoded).isEqualTo(body);
        assertThat(json.encode(decoded)).isEqualTo(encoded);
    }

    @Test
    void randomDoublesRoundTripBitForBit() {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 20_000; i++) {
            double d = Double.longBitsToDouble(random.nextLong());
            if (Double.isNaN(d)) {
                continue;
            }
            Object back = json.decode(json.encode(d));
            assertThat(Double.doubleToRawLongBits((Double) back)).as("%s", d)
                    .isEqualTo(Double.doubleToRawLongBits(d));
        }
    }

    @Test
    void randomStringsRoundTrip() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 2_000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = random.nextInt(20); k > 0; k--) {
                int cp = random.nextInt(4) == 0 ? random.nextInt(0x80) : random.nextInt(0x110000);
                if (cp >= 0xd800 && cp <= 0xdfff) {
                    continue;
                }
                sb.appendCodePoint(cp);
            }
            String s = sb.toString();
            assertThat(json.decode(json.encode(s))).isEqualTo(s);
        }
    }

    /** A coarse guard against accidental slow paths (a mapper per call, reflection per value). */
    @Test
    void typicalTaskBodiesAreCheap() {
        Object body = List.of(List.of(4L, 4L), Map.of("user", "alice", "ratio", 0.25),
                Map.of("callbacks", List.of(), "chain", List.of(), "chord", List.of()));
        long start = System.nanoTime();
        int rounds = 50_000;
        for (int i = 0; i < rounds; i++) {
            assertThat(json.decode(json.encode(body))).isNotNull();
        }
        long micros = (System.nanoTime() - start) / 1000 / rounds;
        assertThat(micros).as("microseconds per encode+decode").isLessThan(200);
    }
}
