package org.celeriac.serializer.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.celeriac.spi.SerializationException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonSerializerDecodeTest {

    private final JsonSerializer json = JsonSerializer.INSTANCE;

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return (List<Object>) value;
    }

    private Object decode(String text) {
        return json.decode(text.getBytes(StandardCharsets.UTF_8));
    }

    @Nested
    class ValueModel {
        @Test
        void integersAreLongsOrExactBigIntegers() {
            assertThat(decode("[0, -0, 42, -9223372036854775808, 9223372036854775807]"))
                    .isEqualTo(List.of(0L, 0L, 42L, Long.MIN_VALUE, Long.MAX_VALUE));
            assertThat(decode("9223372036854775808")).isEqualTo(new BigInteger("9223372036854775808"));
            assertThat(decode("1180591620717411303424")).isEqualTo(BigInteger.TWO.pow(70));
            assertThat(decode("-" + "9".repeat(400))).isEqualTo(new BigInteger("-" + "9".repeat(400)));
        }

        @Test
        void numbersWithFractionOrExponentAreDoubles() {
            List<Object> list = list(decode("[3.0, 1e2, 1E-5, 2.5, 1e400, -1e400, 1e-400]"));
            assertThat(list).containsExactly(3.0, 100.0, 1e-5, 2.5, Double.POSITIVE_INFINITY,
                    Double.NEGATIVE_INFINITY, 0.0);
            assertThat(list.get(0)).isInstanceOf(Double.class);
        }

        @Test
        void negativeZeroKeepsItsSign() {
            Object v = decode("-0.0");
            assertThat(v).isInstanceOf(Double.class);
            assertThat(Double.doubleToRawLongBits((Double) v)).isEqualTo(Double.doubleToRawLongBits(-0.0));
        }

        @Test
        void nanAndInfinitiesAreAccepted() {
            List<Object> list = list(decode("[NaN, Infinity, -Infinity]"));
            assertThat((Double) list.get(0)).isNaN();
            assertThat(list.subList(1, 3)).containsExactly(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
        }

        @Test
        void literalsAndEmptyContainers() {
            assertThat(decode(" [true, false, null, [], {}, \"\"] ")).isEqualTo(
                    java.util.Arrays.asList(true, false, null, List.of(), Map.of(), ""));
            assertThat(decode("null")).isNull();
        }

        @Test
        void containersAreMutableArrayListAndInsertionOrderedLinkedHashMap() {
            Object v = decode("{\"z\": 1, \"a\": [1], \"m\": 2, \"z\": 3}");
            assertThat(v).isInstanceOf(LinkedHashMap.class);
            Map<?, ?> m = (Map<?, ?>) v;
            assertThat(new ArrayList<Object>(m.keySet())).containsExactly("z", "a", "m"); // like a Python dict
            assertThat(m.get("z")).isEqualTo(3L);
            assertThat(m.get("a")).isInstanceOf(ArrayList.class);
        }
    }

    @Nested
    class Strings {
        @Test
        void escapesIncludingSurrogatePairsControlsAndLineSeparators() {
            assertThat(decode("\"h\\u00e9llo \\ud83d\\ude00 \\u2028\\u2029 \\u0000\\u001f\\b\\f\\n\\r\\t\\/\\\\\\\"\""))
                    .isEqualTo("h\u00e9llo \uD83D\uDE00 \u2028\u2029 \u0000\u001f\b\f\n\r\t/\\\"");
        }

        @Test
        void loneSurrogatesSurviveLikeInPython() {
            Object v = decode("\"\\ud800x\"");
            assertThat(v).isEqualTo("\uD800x");
            assertThat(new String(json.encode(v), StandardCharsets.US_ASCII)).isEqualTo("\"\\ud800x\"");
        }

        @Test
        void rawUtf8IncludingNonBmpAndLineSeparators() {
            assertThat(decode("[\"J\u00f6rg \uD83D\uDE00 \u2028\"]")).isEqualTo(List.of("J\u00f6rg \uD83D\uDE00 \u2028"));
        }

        @Test
        void twentyMegabyteString() {
            String big = "x".repeat(20 * 1024 * 1024);
            byte[] body = ("[\"" + big + "\"]").getBytes(StandardCharsets.US_ASCII);
            List<?> list = (List<?>) json.decode(body);
            assertThat((String) list.get(0)).hasSize(big.length());
            assertThat(json.encode(list)).hasSize(body.length);
        }
    }

    @Nested
    class Nesting {
        @Test
        void fiveHundredLevels() {
            Object v = decode("[".repeat(500) + "1" + "]".repeat(500));
            int depth = 0;
            while (v instanceof List<?> l) {
                v = l.get(0);
                depth++;
            }
            assertThat(depth).isEqualTo(500);
            assertThat(v).isEqualTo(1L);
        }

        @Test
        void aThousandLevelsOfObjects() {
            Object v = decode("{\"a\": ".repeat(1000) + "null" + "}".repeat(1000));
            int depth = 0;
            while (v instanceof Map<?, ?> m) {
                v = m.get("a");
                depth++;
            }
            assertThat(depth).isEqualTo(1000);
        }

        @Test
        void beyondTheLimitFailsCleanly() {
            int n = JsonSerializer.MAX_DEPTH + 1;
            assertThatThrownBy(() -> decode("[".repeat(n) + "]".repeat(n)))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("nesting").hasMessageContaining("byte offset");
        }
    }

    @Nested
    class Errors {
        @Test
        void trailingGarbageIsAnError() {
            assertThatThrownBy(() -> decode("[1] [2]"))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("after the JSON value").hasMessageContaining("column 5");
            assertThatThrownBy(() -> decode("{\"a\": 1} x")).isInstanceOf(SerializationException.class);
            assertThatThrownBy(() -> decode("[1]]")).isInstanceOf(SerializationException.class);
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "   ", "[1,", "[1 2]", "{\"a\" 1}", "{'a': 1}", "[01]", "tru", "\"abc",
            "{\"a\": 1,}", "[1,]", "\"tab\there\"", "nul"})
        void malformedJsonIsAnErrorWithAPosition(String text) {
            assertThatThrownBy(() -> decode(text))
                    .isInstanceOf(SerializationException.class)
                    .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("byte offset", "line"));
        }

        @Test
        void messageSaysWhatWasExpectedWithoutEchoingThePayload() {
            String secret = "s3cr3t-".repeat(1000);
            assertThatThrownBy(() -> decode("{\"password\": \"" + secret + "\", oops}"))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("line 1")
                    .hasMessageContaining("was expecting")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret).hasSizeLessThan(600));
        }

        @Test
        void invalidUtf8IsRefusedWithItsOffset() {
            byte[][] bad = {
                {'"', (byte) 0xff, '"'},
                {'"', 'a', (byte) 0xc3, '"'},                       // truncated 2-byte sequence
                {'"', (byte) 0xc0, (byte) 0x80, '"'},               // overlong NUL
                {'"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"'},  // encoded surrogate
                {'"', (byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '"'}, // above U+10FFFF
                {'"', (byte) 0x80, '"'},                            // stray continuation byte
            };
            int[] offsets = {1, 2, 1, 1, 1, 1};
            for (int i = 0; i < bad.length; i++) {
                byte[] body = bad[i];
                assertThatThrownBy(() -> json.decode(body))
                        .isInstanceOf(SerializationException.class)
                        .hasMessageContaining("invalid UTF-8 at byte offset " + offsets[i]);
            }
        }

        @Test
        void invalidUtf8AfterLongAsciiPrefixIsFound() {
            byte[] body = ("[\"" + "a".repeat(1001) + "\u00e9\", \"x").getBytes(StandardCharsets.UTF_8);
            body[body.length - 1] = (byte) 0xfe;
            assertThatThrownBy(() -> json.decode(body))
                    .hasMessageContaining("invalid UTF-8 at byte offset " + (body.length - 1));
        }
    }
}
