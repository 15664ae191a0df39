package org.celeriac.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.serializer.Serializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The serializer conformance kit: every rule {@code S-x.y} of {@code tck/RULES.md} as a test whose
 * display name starts with the rule id. Extend it and supply {@link #createSerializer()}; the hooks
 * ({@link #allowedDecodedTypes()}, {@link #supportsNonFiniteFloats()}, {@link #preservesMapOrder()},
 * {@link #undecodableInputs()}, {@link #hostileInputs()}) adapt it to the format. Values are
 * compared ignoring integer widths ({@code Integer} 1 equals {@code Long} 1).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class SerializerTck {
    private static final List<String> CANARY = new CopyOnWriteArrayList<>();
    private static final String CANARY_CLASS = "org.celeriac.tck.TckCanary";

    private Serializer serializer;

    static void canaryTouched(String how) {
        CANARY.add(how);
    }

    // ------------------------------------------------------------------------------------------ hooks

    /** Creates the serializer under test, configured as a user would by default. */
    protected abstract Serializer createSerializer();

    /**
     * The Java types {@link Serializer#decode} may return (containers' elements included). Default:
     * the value model — null, {@link Boolean}, {@link Long}, {@link BigInteger}, {@link Double},
     * {@link String}, {@link List}, {@link Map} — and {@code byte[]}. A serializer that is configured to
     * allow more adds them here.
     */
    protected Set<Class<?>> allowedDecodedTypes() {
        return Set.of(Boolean.class, Long.class, BigInteger.class, Double.class, String.class, List.class, Map.class,
                byte[].class);
    }

    /** Whether NaN and the infinities round-trip (Python's json module writes them). Default true; false skips S-1.5. */
    protected boolean supportsNonFiniteFloats() {
        return true;
    }

    /** Whether map keys keep their insertion order (Python dicts do). Default true; false skips S-1.9. */
    protected boolean preservesMapOrder() {
        return true;
    }

    /**
     * Bytes this serializer cannot decode. Default: a valid encoding cut in half, a few bytes of
     * binary garbage, and for JSON-like content types malformed JSON.
     */
    protected List<byte[]> undecodableInputs() {
        List<byte[]> out = new ArrayList<>();
        byte[] ok = serializer.encode(List.of(Map.of("k", "v", "list", List.of(1L, 2L, 3L)), "a long enough string"));
        out.add(Arrays.copyOf(ok, ok.length / 2));
        out.add(new byte[] {(byte) 0xff, (byte) 0xfe, 0x00, (byte) 0xc3, 0x28});
        if (serializer.contentType().contains("json")) {
            out.add("{\"a\": }".getBytes(StandardCharsets.UTF_8));
            out.add("[1, 2".getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /**
     * Payloads that name {@link TckCanary} the way polymorphic decoders (Jackson default typing, fastjson,
     * jsonpickle, kombu tags) would instantiate a class. Default: such maps encoded by the serializer
     * itself, plus raw JSON for JSON-like content types. Add format-specific ones.
     */
    protected List<byte[]> hostileInputs() {
        List<byte[]> out = new ArrayList<>();
        List<Object> values = List.of(Map.of("@class", CANARY_CLASS), List.of(CANARY_CLASS, Map.of()),
                Map.of("py/object", CANARY_CLASS), Map.of("@type", CANARY_CLASS),
                Map.of("__type__", CANARY_CLASS, "__value__", Map.of()), Map.of("__class__", CANARY_CLASS));
        for (Object v : values) {
            out.add(serializer.encode(v));
        }
        if (serializer.contentType().contains("json")) {
            for (String s : List.of("{\"@class\": \"" + CANARY_CLASS + "\"}", "[\"" + CANARY_CLASS + "\", {}]",
                    "{\"__type__\": \"" + CANARY_CLASS + "\", \"__value__\": {}}", "{\"py/object\": \"" + CANARY_CLASS + "\"}",
                    "{\"@type\": \"" + CANARY_CLASS + "\", \"x\": 1}")) {
                out.add(s.getBytes(StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------- lifecycle

    @BeforeAll
    final void openSerializer() {
        serializer = createSerializer();
        assertNotNull(serializer, getClass().getName() + ".createSerializer() returned null");
    }

    /** The serializer under test. */
    protected final Serializer serializer() {
        return serializer;
    }

    // --------------------------------------------------------------------------------------- helpers

    private Object roundTrip(Object value, String rule) {
        byte[] bytes;
        try {
            bytes = serializer.encode(value);
        } catch (RuntimeException e) {
            return fail(rule + ": encode(" + TckMessages.show(value) + ") threw " + e, e);
        }
        assertNotNull(bytes, rule + ": encode returned null");
        try {
            return serializer.decode(bytes);
        } catch (RuntimeException e) {
            return fail(rule + ": decoding what encode(" + TckMessages.show(value) + ") produced threw " + e, e);
        }
    }

    private void assertRoundTrip(String rule, Object value) {
        Object back = roundTrip(value, rule);
        String d = TckMessages.difference("value", value, back);
        assertNull(d, () -> rule + ": the value changed on a round trip: " + d);
        String bad = disallowed("value", back);
        assertNull(bad, () -> rule + ": " + bad);
    }

    /** Null when every part of {@code v} is of an allowed type, else the first that is not. */
    private String disallowed(String path, Object v) {
        if (v == null) {
            return null;
        }
        boolean ok = allowedDecodedTypes().stream().anyMatch(t -> t.isInstance(v));
        if (!ok) {
            return path + " decoded as " + v.getClass().getName() + ", which is not an allowed type " + allowedDecodedTypes();
        }
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String)) {
                    return path + " has a key of type " + (e.getKey() == null ? "null" : e.getKey().getClass().getName())
                            + "; map keys must be strings";
                }
                String d = disallowed(path + "." + e.getKey(), e.getValue());
                if (d != null) {
                    return d;
                }
            }
        } else if (v instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                String d = disallowed(path + "[" + i + "]", l.get(i));
                if (d != null) {
                    return d;
                }
            }
        }
        return null;
    }

    private static String describe(byte[] b) {
        String s = new String(b, 0, Math.min(b.length, 60), StandardCharsets.ISO_8859_1).replaceAll("[^\\x20-\\x7e]", "?");
        return "'" + s + (b.length > 60 ? "..." : "") + "' (" + b.length + " bytes)";
    }

    // ----------------------------------------------------------------------------------------- rules

    @Nested
    @DisplayName("S-1 round trips of the value model")
    class RoundTrips {

        @Test
        @DisplayName("S-1.1 null, true and false come back as themselves")
        void s1_1_nullAndBooleans() {
            assertRoundTrip("S-1.1", null);
            assertRoundTrip("S-1.1", true);
            assertRoundTrip("S-1.1", false);
            assertRoundTrip("S-1.1", Arrays.asList(null, true, false));
        }

        @Test
        @DisplayName("S-1.2 64-bit integers, extremes included, come back as the same integers")
        void s1_2_longs() {
            for (long v : new long[] {0, 1, -1, 255, 65536, Integer.MAX_VALUE + 1L, Long.MAX_VALUE, Long.MIN_VALUE}) {
                assertRoundTrip("S-1.2", v);
                Object back = roundTrip(v, "S-1.2");
                assertTrue(back instanceof Long || back instanceof Integer || back instanceof BigInteger,
                        () -> "S-1.2: the integer " + v + " came back as " + TckMessages.show(back));
            }
        }

        @Test
        @DisplayName("S-1.3 integers beyond 64 bits come back exactly")
        void s1_3_bigIntegers() {
            for (BigInteger v : List.of(BigInteger.TWO.pow(64), BigInteger.TWO.pow(200).negate(),
                    new BigInteger("123456789012345678901234567890123456789"))) {
                Object back = roundTrip(v, "S-1.3");
                assertTrue(back instanceof BigInteger b && b.equals(v),
                        () -> "S-1.3: " + v + " came back as " + TckMessages.show(back));
            }
        }

        @Test
        @DisplayName("S-1.4 finite floats come back bit for bit and stay floats (2.0 is not the integer 2)")
        void s1_4_finiteDoubles() {
            for (double v : new double[] {0.0, -0.0, 2.0, 0.1, 1e-5, 1.5e16, 123456.789, Double.MIN_VALUE, Double.MAX_VALUE,
                    -Double.MAX_VALUE, 1e300}) {
                Object back = roundTrip(v, "S-1.4");
                assertTrue(back instanceof Double d && Double.doubleToLongBits(d) == Double.doubleToLongBits(v),
                        () -> "S-1.4: the float " + v + " came back as " + TckMessages.show(back));
            }
        }

        @Test
        @DisplayName("S-1.5 NaN, Infinity and -Infinity come back as themselves")
        void s1_5_nonFiniteDoubles() {
            Assumptions.assumeTrue(supportsNonFiniteFloats(),
                    "hook SerializerTck.supportsNonFiniteFloats() returns false: this format has no NaN or infinities");
            for (double v : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                Object back = roundTrip(v, "S-1.5");
                assertTrue(back instanceof Double d && d.equals(v), () -> "S-1.5: " + v + " came back as " + TckMessages.show(back));
            }
        }

        @Test
        @DisplayName("S-1.6 strings of any Unicode (accents, CJK, emoji, control characters, NUL, quotes, empty, 1 MiB) come back unchanged")
        void s1_6_unicodeStrings() {
            StringBuilder big = new StringBuilder(1 << 20);
            while (big.length() < (1 << 20)) {
                big.append("caf\u00e9 \ud83d\ude00 ");
            }
            for (String v : List.of("", "plain", "caf\u00e9", "\u4e2d\u6587", "\ud83d\ude00\ud83c\udf89", "tab\tnewline\n\r",
                    "nul\u0000here", "\u0001\u001f\u007f", "\"quotes\" and \\backslash\\", "\u2028\u2029", "</script>",
                    big.toString())) {
                assertRoundTrip("S-1.6", v);
            }
        }

        @Test
        @DisplayName("S-1.7 an empty list and an empty map come back as an empty list and an empty map")
        void s1_7_emptyContainers() {
            Object list = roundTrip(List.of(), "S-1.7");
            assertTrue(list instanceof List<?> l && l.isEmpty(), () -> "S-1.7: [] came back as " + TckMessages.show(list));
            Object map = roundTrip(Map.of(), "S-1.7");
            assertTrue(map instanceof Map<?, ?> m && m.isEmpty(), () -> "S-1.7: {} came back as " + TckMessages.show(map));
            assertRoundTrip("S-1.7", List.of(List.of(), Map.of(), List.of(List.of())));
        }

        @Test
        @DisplayName("S-1.8 containers nested 100 deep come back unchanged")
        void s1_8_deepNesting() {
            Object v = "leaf";
            for (int i = 0; i < 100; i++) {
                v = i % 2 == 0 ? List.of(v) : Map.of("k", v);
            }
            assertRoundTrip("S-1.8", v);
        }

        @Test
        @DisplayName("S-1.9 map keys keep their insertion order (SHOULD: Python dicts do)")
        void s1_9_mapOrder() {
            Assumptions.assumeTrue(preservesMapOrder(), "hook SerializerTck.preservesMapOrder() returns false");
            Map<String, Object> m = new LinkedHashMap<>();
            for (String k : List.of("zeta", "alpha", "mu", "beta", "omega", "a", "z")) {
                m.put(k, k.length());
            }
            Object back = roundTrip(m, "S-1.9");
            assertTrue(back instanceof Map<?, ?>, () -> "S-1.9: a map came back as " + TckMessages.show(back));
            assertEquals(new ArrayList<>(m.keySet()), new ArrayList<>(((Map<?, ?>) back).keySet()), "S-1.9: key order");
        }

        @Test
        @DisplayName("S-1.10 a Celery task body [args, kwargs, embed] comes back unchanged")
        void s1_10_celeryBody() {
            Map<String, Object> embed = new LinkedHashMap<>();
            embed.put("callbacks", null);
            embed.put("errbacks", null);
            embed.put("chain", null);
            embed.put("chord", null);
            Map<String, Object> kwargs = new LinkedHashMap<>();
            kwargs.put("dry_run", true);
            kwargs.put("ratio", 0.25);
            kwargs.put("tags", List.of("a", "b"));
            assertRoundTrip("S-1.10", List.of(List.of(4L, "four", 4.0), kwargs, embed));
        }
    }

    @Nested
    @DisplayName("S-2 errors")
    class Errors {

        @Test
        @DisplayName("S-2.1 bytes that are not a valid encoding are refused with SerializationException")
        void s2_1_undecodableBytesAreRefused() {
            List<String> wrong = new ArrayList<>();
            for (byte[] b : undecodableInputs()) {
                try {
                    Object v = serializer.decode(b);
                    wrong.add(describe(b) + " decoded as " + TckMessages.show(v));
                } catch (SerializationException expected) {
                    if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                        wrong.add(describe(b) + ": SerializationException without a message");
                    }
                } catch (RuntimeException e) {
                    wrong.add(describe(b) + " threw " + e.getClass().getName() + " instead of SerializationException: " + e.getMessage());
                }
            }
            assertTrue(wrong.isEmpty(), () -> "S-2.1: " + wrong);
        }

        @Test
        @DisplayName("S-2.2 the refusal message is specific and short: it does not echo a large payload")
        void s2_2_refusalMessageIsShort() {
            byte[] ok = serializer.encode(List.of("x".repeat(100_000), Map.of("k", "v")));
            byte[] cut = Arrays.copyOf(ok, ok.length - 3);
            try {
                Object v = serializer.decode(cut);
                fail("S-2.2: a truncated 100 KB payload decoded as " + TckMessages.show(v));
            } catch (SerializationException e) {
                String m = e.getMessage();
                assertNotNull(m, "S-2.2: no message");
                assertFalse(m.isBlank(), "S-2.2: blank message");
                assertTrue(m.length() < 1000, () -> "S-2.2: the message is " + m.length() + " characters long; say where decoding "
                        + "failed without echoing the payload");
            }
        }

        @Test
        @DisplayName("S-2.3 a value outside the value model is refused with SerializationException naming its Java type")
        void s2_3_unsupportedValuesAreRefused() {
            Object odd = new Object() {
                @Override
                public String toString() {
                    return "an odd object";
                }
            };
            Thread thread = Thread.currentThread();
            for (Object v : List.of(odd, thread)) {
                try {
                    byte[] b = serializer.encode(Map.of("kwargs", Map.of("value", v)));
                    fail("S-2.3: " + v.getClass().getName() + " was encoded as " + describe(b));
                } catch (SerializationException e) {
                    String type = v.getClass().getName();
                    String simple = v.getClass().getSimpleName();
                    assertTrue(e.getMessage() != null && (e.getMessage().contains(type)
                                    || (!simple.isEmpty() && e.getMessage().contains(simple))),
                            () -> "S-2.3: the message does not name the Java type " + type + ": " + e.getMessage());
                }
            }
        }
    }

    @Nested
    @DisplayName("S-3 safety")
    class Safety {

        @Test
        @DisplayName("S-3.1 decoding never instantiates or initialises a class named in the payload")
        void s3_1_noClassIsInstantiated() {
            CANARY.clear();
            List<String> wrong = new ArrayList<>();
            for (byte[] b : hostileInputs()) {
                try {
                    Object v = serializer.decode(b);
                    String bad = disallowed("value", v);
                    if (bad != null) {
                        wrong.add(describe(b) + ": " + bad);
                    }
                } catch (SerializationException refused) {
                    // refusing is fine
                } catch (RuntimeException | LinkageError e) {
                    wrong.add(describe(b) + " threw " + e);
                }
            }
            assertTrue(CANARY.isEmpty(), () -> "S-3.1: decoding ran the " + CANARY + " of " + CANARY_CLASS
                    + ", a class the payload named; decoding must never instantiate classes the configuration does not allow");
            assertTrue(wrong.isEmpty(), () -> "S-3.1: " + wrong);
        }

        @Test
        @DisplayName("S-3.2 decoded values are made only of the allowed types (the value model unless configured otherwise)")
        void s3_2_onlyAllowedTypesAreDecoded() {
            Map<String, Object> sample = new LinkedHashMap<>();
            sample.put("i", 1L);
            sample.put("f", 1.5);
            sample.put("b", BigInteger.TEN.pow(30));
            sample.put("l", Arrays.asList("s", null, true, List.of(), Map.of()));
            Object back = roundTrip(sample, "S-3.2");
            String bad = disallowed("value", back);
            assertNull(bad, () -> "S-3.2: " + bad);
        }
    }

    @Nested
    @DisplayName("S-4 contract")
    class Contract {

        @Test
        @DisplayName("S-4.1 name, content type (type/subtype) and content encoding are given")
        void s4_1_namesAreGiven() {
            assertTrue(serializer.name() != null && !serializer.name().isBlank(), "S-4.1: name() is blank");
            assertTrue(serializer.contentType() != null && serializer.contentType().matches("[\\w.+-]+/[\\w.+-]+"),
                    () -> "S-4.1: contentType() '" + serializer.contentType() + "' is not type/subtype");
            assertTrue(serializer.contentEncoding() != null && !serializer.contentEncoding().isBlank(),
                    "S-4.1: contentEncoding() is blank (use utf-8 or binary)");
        }

        @Test
        @DisplayName("S-4.2 encode and decode are thread-safe")
        void s4_2_threadSafe() throws Exception {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<String>> fs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int thread = t;
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < 200; i++) {
                            Map<String, Object> v = Map.of("thread", (long) thread, "i", (long) i, "s", "v" + thread + "-" + i);
                            Object back = serializer.decode(serializer.encode(v));
                            String d = TckMessages.difference("value", v, back);
                            if (d != null) {
                                return d;
                            }
                        }
                        return null;
                    }));
                }
                for (Future<String> f : fs) {
                    String d = f.get(30, TimeUnit.SECONDS);
                    assertNull(d, () -> "S-4.2: concurrent round trips mixed values up: " + d);
                }
            } finally {
                pool.shutdownNow();
            }
        }

        @Test
        @DisplayName("S-4.3 encoding is deterministic: the same value gives the same bytes (SHOULD)")
        void s4_3_deterministic() {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("b", 2L);
            v.put("a", List.of(1.5, "x"));
            assertTrue(Arrays.equals(serializer.encode(v), serializer.encode(v)), "S-4.3: two encodings of one value differ");
        }
    }
}
