package org.celeriac.serializer.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import org.celeriac.spi.SerializationException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Expected texts were produced by CPython's json.dumps (what kombu 5.2.4 calls), not by this code. */
class JsonSerializerEncodeTest {

    private final JsonSerializer json = JsonSerializer.INSTANCE;

    private String encode(Object value) {
        byte[] bytes = json.encode(value);
        for (byte b : bytes) {
            assertThat(b).as("output is ASCII").isBetween((byte) 0x20, (byte) 0x7e);
        }
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Nested
    class Layout {
        @Test
        void celeryTaskBodyUsesPythonSeparators() {
            Object body = List.of(List.of(2, 2), Map.of(),
                    map("callbacks", null, "errbacks", null, "chain", null, "chord", null));
            assertThat(encode(body)).isEqualTo(
                    "[[2, 2], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]");
        }

        @Test
        void mixedDocumentIsByteIdenticalToPython() {
            Object body = List.of(List.of(4L, 4L),
                    map("user", "J\u00f6rg \uD83D\uDE00", "ratio", 0.1, "big", BigInteger.TWO.pow(70),
                            "neg", Long.MIN_VALUE, "when", null, "tags", List.of("a", "b"),
                            "nested", map("x", List.of(1.5, -0.0, Double.NaN, Double.POSITIVE_INFINITY,
                                    Double.NEGATIVE_INFINITY))),
                    map("callbacks", null, "errbacks", null, "chain", null, "chord", null));
            assertThat(encode(body)).isEqualTo("[[4, 4], {\"user\": \"J\\u00f6rg \\ud83d\\ude00\", \"ratio\": 0.1, "
                    + "\"big\": 1180591620717411303424, \"neg\": -9223372036854775808, \"when\": null, "
                    + "\"tags\": [\"a\", \"b\"], \"nested\": {\"x\": [1.5, -0.0, NaN, Infinity, -Infinity]}}, "
                    + "{\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]");
        }

        @Test
        void emptyContainersAndScalarsAtTheRoot() {
            assertThat(encode(List.of())).isEqualTo("[]");
            assertThat(encode(Map.of())).isEqualTo("{}");
            assertThat(encode(null)).isEqualTo("null");
            assertThat(encode(true)).isEqualTo("true");
            assertThat(encode(42)).isEqualTo("42");
            assertThat(encode("x")).isEqualTo("\"x\"");
        }
    }

    @Nested
    class Strings {
        @Test
        void nonAsciiIsEscapedWithLowercaseHex() {
            assertThat(encode("h\u00e9llo")).isEqualTo("\"h\\u00e9llo\"");
        }

        @Test
        void nonBmpCharactersBecomeSurrogatePairs() {
            assertThat(encode("\uD83D\uDE00")).isEqualTo("\"\\ud83d\\ude00\"");
            assertThat(encode(new String(Character.toChars(0x10FFFF)))).isEqualTo("\"\\udbff\\udfff\"");
        }

        @Test
        void controlCharactersDelAndSeparatorsAreEscapedLikePython() {
            String s = "ctl:\u0000\u0001\b\t\n\u000b\f\r\u001f\u007f\u0080\u2028\u2029\ufeff\"\\/";
            assertThat(encode(s)).isEqualTo(
                    "\"ctl:\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\\u007f\\u0080\\u2028\\u2029\\ufeff\\\"\\\\/\"");
        }

        @Test
        void charSequencesCharactersCharArraysAndKeysAreText() {
            assertThat(encode(new StringBuilder("sb"))).isEqualTo("\"sb\"");
            assertThat(encode('c')).isEqualTo("\"c\"");
            assertThat(encode(new char[] {'a', 'b'})).isEqualTo("\"ab\"");
            assertThat(encode(Map.of("\u00e9", "k"))).isEqualTo("{\"\\u00e9\": \"k\"}");
        }
    }

    @Nested
    class Numbers {
        @Test
        void floatsFollowPythonRepr() {
            assertThat(encode(List.of(1e-05, 1e16, 3.0, -0.0, 1.5e16, 1e100, 0.0001)))
                    .isEqualTo("[1e-05, 1e+16, 3.0, -0.0, 1.5e+16, 1e+100, 0.0001]");
        }

        @Test
        void nonFiniteFloatsAreBare() {
            assertThat(encode(List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)))
                    .isEqualTo("[NaN, Infinity, -Infinity]");
        }

        @Test
        void integersOfEveryWidthAreExact() {
            assertThat(encode(List.of((byte) -1, (short) 300, 70_000, Long.MAX_VALUE, BigInteger.TWO.pow(70))))
                    .isEqualTo("[-1, 300, 70000, 9223372036854775807, 1180591620717411303424]");
            assertThat(encode(new java.util.concurrent.atomic.AtomicLong(7))).isEqualTo("7");
        }

        @Test
        void floatUsesItsShortestDecimal() {
            assertThat(encode(0.1f)).isEqualTo("0.1");
            assertThat(encode(new float[] {1.5f, 3f})).isEqualTo("[1.5, 3.0]");
        }

        @Test
        void bigDecimalIsTheStringPythonStrDecimalGives() {
            assertThat(encode(List.of(new BigDecimal("1.10"), new BigDecimal("1E+3"), new BigDecimal("0.0000001"))))
                    .isEqualTo("[\"1.10\", \"1E+3\", \"1E-7\"]");
        }
    }

    @Nested
    class Containers {
        @Test
        void mapKeysAreConvertedAsPythonDoes() {
            Map<Object, Object> m = new LinkedHashMap<>();
            m.put(1, "int");
            m.put(null, "none");
            m.put(1.5, "float");
            m.put(1e-5, "small");
            m.put(true, "bool");
            assertThat(encode(m)).isEqualTo(
                    "{\"1\": \"int\", \"null\": \"none\", \"1.5\": \"float\", \"1e-05\": \"small\", \"true\": \"bool\"}");
        }

        @Test
        void iterablesArraysAndPrimitiveArraysAreLists() {
            assertThat(encode(new LinkedHashSet<>(List.of("a", "b")))).isEqualTo("[\"a\", \"b\"]");
            assertThat(encode(new Object[] {1, "x", null})).isEqualTo("[1, \"x\", null]");
            assertThat(encode(new int[] {1, 2})).isEqualTo("[1, 2]");
            assertThat(encode(new long[] {3})).isEqualTo("[3]");
            assertThat(encode(new double[] {1e16, 0.5})).isEqualTo("[1e+16, 0.5]");
            assertThat(encode(new boolean[] {true, false})).isEqualTo("[true, false]");
            assertThat(encode(new java.util.ArrayDeque<>(List.of(1, 2)))).isEqualTo("[1, 2]");
        }

        @Test
        void optionalsEnumsUuidsAndRecords() {
            assertThat(encode(List.of(Optional.of(1), Optional.empty(), OptionalInt.of(2))))
                    .isEqualTo("[1, null, 2]");
            assertThat(encode(java.time.DayOfWeek.MONDAY)).isEqualTo("\"MONDAY\"");
            assertThat(encode(UUID.fromString("12345678-1234-5678-1234-567812345678")))
                    .isEqualTo("\"12345678-1234-5678-1234-567812345678\"");
            assertThat(encode(new Point(1, 2.5, List.of("t")))).isEqualTo("{\"x\": 1, \"y\": 2.5, \"tags\": [\"t\"]}");
        }

        @Test
        void deepNestingIsWritten() {
            Object v = 1;
            for (int i = 0; i < 1000; i++) {
                v = List.of(v);
            }
            assertThat(encode(v)).isEqualTo("[".repeat(1000) + "1" + "]".repeat(1000));
        }
    }

    @Nested
    class Times {
        @Test
        void awareDateTimesUseZForUtcAndMicroseconds() {
            assertThat(encode(Instant.parse("2024-01-02T03:04:05.678900123Z")))
                    .isEqualTo("\"2024-01-02T03:04:05.678900Z\"");
            assertThat(encode(Instant.parse("2024-01-02T03:04:05Z"))).isEqualTo("\"2024-01-02T03:04:05Z\"");
            assertThat(encode(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHours(2))))
                    .isEqualTo("\"2024-01-02T03:04:05+02:00\"");
            assertThat(encode(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHoursMinutesSeconds(2, 0, 30))))
                    .isEqualTo("\"2024-01-02T03:04:05+02:00:30\"");
            assertThat(encode(ZonedDateTime.of(2024, 7, 1, 12, 0, 0, 1000, ZoneId.of("America/New_York"))))
                    .isEqualTo("\"2024-07-01T12:00:00.000001-04:00\"");
            assertThat(encode(new java.util.Date(0))).isEqualTo("\"1970-01-01T00:00:00Z\"");
        }

        @Test
        void naiveValuesDatesAndTimes() {
            assertThat(encode(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 500_000)))
                    .isEqualTo("\"2024-01-02T03:04:05.000500\"");
            assertThat(encode(LocalDate.of(2024, 1, 2))).isEqualTo("\"2024-01-02T00:00:00\"");
            assertThat(encode(LocalTime.of(1, 2, 3))).isEqualTo("\"01:02:03\"");
            assertThat(encode(LocalTime.of(1, 2, 3, 4000))).isEqualTo("\"01:02:03.000004\"");
            assertThat(encode(OffsetTime.of(1, 2, 3, 0, ZoneOffset.UTC))).isEqualTo("\"01:02:03+00:00\"");
        }

        @Test
        void yearsPythonCannotHoldAreRefused() {
            assertThatThrownBy(() -> json.encode(Map.of("eta", LocalDate.of(10000, 1, 1))))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("$.eta").hasMessageContaining("1..9999");
        }
    }

    @Nested
    class Refusals {
        @Test
        void bytesAreRefusedLikeKombu524() {
            Object body = List.of(List.of(), map("data", new byte[] {1, 2}));
            assertThatThrownBy(() -> json.encode(body))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("bytes are not JSON serializable by Python Celery 5.2.6 (kombu EncodeError); "
                            + "send a base64 string")
                    .hasMessageContaining("$[1].data");
        }

        @Test
        void unknownTypesNameTheJavaTypeAndThePath() {
            Object body = map("kwargs", map("user", new Object()));
            assertThatThrownBy(() -> json.encode(body))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("java.lang.Object")
                    .hasMessageContaining("$.kwargs.user");
            assertThatThrownBy(() -> json.encode(List.of(1, Map.of("odd key", java.time.Duration.ZERO))))
                    .hasMessageContaining("java.time.Duration")
                    .hasMessageContaining("$[1][\"odd key\"]");
        }

        @Test
        void circularReferencesFailInsteadOfOverflowingTheStack() {
            List<Object> cycle = new ArrayList<>();
            cycle.add(cycle);
            assertThatThrownBy(() -> json.encode(cycle))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("circular reference")
                    .hasMessageContaining("levels");
        }

        @Test
        void failingRecordAccessorIsReported() {
            assertThatThrownBy(() -> json.encode(Arrays.asList(new Exploding())))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("$[0].boom")
                    .hasMessageContaining("kaboom");
        }
    }

    record Point(int x, double y, List<String> tags) {
    }

    record Exploding(int boom) {
        Exploding() {
            this(0);
        }

        @Override
        public int boom() {
            throw new IllegalStateException("kaboom");
        }
    }
}
