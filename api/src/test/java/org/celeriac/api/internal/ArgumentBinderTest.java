package org.celeriac.api.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.celeriac.api.DefaultValue;
import org.celeriac.api.TaskArgumentException;
import org.celeriac.api.TaskContext;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ArgumentBinderTest {

    // Signatures only: the binder never calls them.
    @SuppressWarnings("unused")
    static final class Sigs {
        static void add(Object x, Object y) { }
        static void one(Object x) { }
        static void none() { }
        static void three(Object x, Object y, Object z) { }
        static void fail(String msg, @DefaultValue("0") long retries, @DefaultValue("0.5") double countdown) { }
        static void ctx(TaskContext ctx, long x) { }
        static void star(String first, long... rest) { }
        static void defaults(@DefaultValue("\"a\\n\\u00e9\"") String s, @DefaultValue("null") Long n,
                @DefaultValue("true") boolean b, @DefaultValue("12345678901234567890") BigInteger big) { }
        static void ints(int i, long l, short s, byte b, Integer boxed, char c) { }
        static void floats(double d, float f, Double boxed, boolean flag, Boolean boxedFlag) { }
        static void numbers(BigInteger bi, BigDecimal bd, Number n, Object o, CharSequence cs) { }
        static void lists(List<Long> longs, Set<String> strings, Iterable<List<Integer>> nested, long[] prim,
                String[] arr, List<?> any) { }
        static void maps(Map<String, Long> counts, Map<String, List<Color>> colors, Map<UUID, Object> byId) { }
        static void enums(Color color) { }
        static void times(UUID id, Instant at, OffsetDateTime odt, LocalDateTime ldt, LocalDate day, Duration d) { }
        static void records(Point p, Line line, List<Point> points) { }
        static void badDefault(@DefaultValue("\"x\"") long n) { }
        static void unsupported(Thread t) { }
        static void malformedDefault(@DefaultValue("0x10") long n) { }
    }

    enum Color { RED, GREEN }

    record Point(long x, long y, String label) { }

    record Line(Point from, Point to) { }

    private static Method method(String name) {
        return Arrays.stream(Sigs.class.getDeclaredMethods()).filter(m -> m.getName().equals(name)).findFirst()
                .orElseThrow();
    }

    private static ArgumentBinder binder(String name) {
        Method m = method(name);
        String[] names = Arrays.stream(m.getParameters()).map(Parameter::getName).toArray(String[]::new);
        String[] defaults = Arrays.stream(m.getParameters())
                .map(p -> p.getAnnotation(DefaultValue.class))
                .map(d -> d == null ? null : d.value())
                .toArray(String[]::new);
        boolean ctx = m.getParameterCount() > 0 && m.getParameterTypes()[0] == TaskContext.class;
        return ArgumentBinder.forMethod(m, names, defaults, ctx);
    }

    private static Object[] bind(String name, List<?> args, Map<String, ?> kwargs) {
        return binder(name).bind(args, kwargs);
    }

    private static Object[] bind(String name, Object... args) {
        return binder(name).bind(Arrays.asList(args), Map.of());
    }

    private static Map<String, Object> kw(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }

    private static void assertTypeError(Runnable call, String message) {
        assertThatThrownBy(call::run).isInstanceOf(TaskArgumentException.class).hasMessage(message);
    }

    @Nested
    class PythonBinding {
        @Test
        void positionalThenKeywordThenDefaults() {
            assertThat(bind("add", 1L, 2L)).containsExactly(1L, 2L);
            assertThat(bind("add", List.of(1L), kw("y", 2L))).containsExactly(1L, 2L);
            assertThat(bind("add", List.of(), kw("y", 2L, "x", 1L))).containsExactly(1L, 2L);
            assertThat(bind("fail", "m")).containsExactly("m", 0L, 0.5);
            assertThat(bind("fail", List.of("m"), kw("countdown", 2L))).containsExactly("m", 0L, 2.0);
        }

        @Test
        void nullArgumentsMeanNone() {
            assertTypeError(() -> bind("add", null, null), "add() missing 2 required positional arguments: 'x' and 'y'");
            assertThat(bind("none", null, null)).isEmpty();
        }

        @Test
        void tooManyPositionalUsesPythonsWording() {
            assertTypeError(() -> bind("add", 1L, 2L, 3L), "add() takes 2 positional arguments but 3 were given");
            assertTypeError(() -> bind("one", 1L, 2L), "one() takes 1 positional argument but 2 were given");
            assertTypeError(() -> bind("none", 1L), "none() takes 0 positional arguments but 1 was given");
            assertTypeError(() -> bind("fail", "m", 1L, 2L, 3L),
                    "fail() takes from 1 to 3 positional arguments but 4 were given");
        }

        @Test
        void unexpectedKeyword() {
            assertTypeError(() -> bind("add", List.of(1L, 2L), kw("z", 3L)),
                    "add() got an unexpected keyword argument 'z'");
        }

        @Test
        void multipleValues() {
            assertTypeError(() -> bind("add", List.of(1L, 2L), kw("x", 3L)),
                    "add() got multiple values for argument 'x'");
            // as in CPython, keyword errors are found before the positional count is checked
            assertTypeError(() -> bind("add", List.of(1L, 2L, 3L), kw("x", 3L)),
                    "add() got multiple values for argument 'x'");
        }

        @Test
        void missingArgumentsUsePythonsPluralForms() {
            assertTypeError(() -> bind("add", 1L), "add() missing 1 required positional argument: 'y'");
            assertTypeError(() -> bind("add"), "add() missing 2 required positional arguments: 'x' and 'y'");
            assertTypeError(() -> bind("three"),
                    "three() missing 3 required positional arguments: 'x', 'y', and 'z'");
            assertTypeError(() -> bind("three", List.of(), kw("y", 1L)),
                    "three() missing 2 required positional arguments: 'x' and 'z'");
            assertTypeError(() -> bind("fail", List.of(), kw("retries", 1L)),
                    "fail() missing 1 required positional argument: 'msg'");
        }

        @Test
        void contextIsNotAnArgument() {
            Object[] bound = bind("ctx", 5L);
            assertThat(bound).hasSize(2);
            assertThat(bound[0]).isNull();
            assertThat(bound[1]).isEqualTo(5L);
            assertTypeError(() -> bind("ctx", 1L, 2L), "ctx() takes 1 positional argument but 2 were given");
            assertTypeError(() -> bind("ctx", List.of(1L), kw("ctx", 1L)),
                    "ctx() got an unexpected keyword argument 'ctx'");
        }

        @Test
        void varargsCollectExtraPositionals() {
            Object[] bound = bind("star", "a", 1L, 2.0, 3L);
            assertThat(bound[0]).isEqualTo("a");
            assertThat((long[]) bound[1]).containsExactly(1L, 2L, 3L);
            assertThat((long[]) bind("star", "a")[1]).isEmpty();
            assertTypeError(() -> bind("star", List.of("a"), kw("rest", List.of(1L))),
                    "star() got an unexpected keyword argument 'rest'");
            assertTypeError(() -> bind("star", "a", 1L, "x"),
                    "star() argument args[2] (*rest) must be int (long), not str 'x'");
        }

        @Test
        void defaultsAreJsonLiterals() {
            assertThat(bind("defaults")).containsExactly("a\né", null, true, new BigInteger("12345678901234567890"));
        }

        @Test
        void badDefaultsFailWhenTheBinderIsBuilt() {
            assertThatThrownBy(() -> binder("badDefault")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("badDefault(): @DefaultValue(\"\\\"x\\\"\") of parameter 'n'")
                    .hasMessageContaining("must be int (long), not str 'x'");
            assertThatThrownBy(() -> binder("malformedDefault")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'0x10' is not a JSON literal");
            assertThatThrownBy(() -> binder("unsupported")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("parameter 't'")
                    .hasMessageContaining("java.lang.Thread cannot be bound");
        }
    }

    @Nested
    class Conversion {
        @Test
        void integersAreRangeCheckedAndIntegralFloatsAccepted() {
            assertThat(bind("ints", 1L, 2.0, 3L, BigInteger.valueOf(4), 5L, "c"))
                    .containsExactly(1, 2L, (short) 3, (byte) 4, 5, 'c');
            assertTypeError(() -> bind("ints", 3_000_000_000L, 1L, 1L, 1L, 1L, "c"),
                    "ints() argument 'i' must be int (32-bit), not int 3000000000 (out of range)");
            assertTypeError(() -> bind("ints", 1L, 1.5, 1L, 1L, 1L, "c"),
                    "ints() argument 'l' must be int (long), not float 1.5 (not an integral value)");
            assertTypeError(() -> bind("ints", 1L, BigInteger.TWO.pow(64), 1L, 1L, 1L, "c"),
                    "ints() argument 'l' must be int (long), not int 18446744073709551616 (out of range)");
            assertTypeError(() -> bind("ints", 1L, 1L, 1L, 128L, 1L, "c"),
                    "ints() argument 'b' must be int (8-bit), not int 128 (out of range)");
            assertTypeError(() -> bind("ints", null, 1L, 1L, 1L, 1L, "c"),
                    "ints() argument 'i' must be int, not None (a primitive cannot be null)");
            assertTypeError(() -> bind("ints", "1", 1L, 1L, 1L, 1L, "c"),
                    "ints() argument 'i' must be int (32-bit), not str '1'");
            assertTypeError(() -> bind("ints", true, 1L, 1L, 1L, 1L, "c"),
                    "ints() argument 'i' must be int (32-bit), not bool true");
            assertTypeError(() -> bind("ints", 1L, 1L, 1L, 1L, 1L, "cd"),
                    "ints() argument 'c' must be a str of length 1, not str 'cd'");
            assertThat(bind("ints", 1L, 1L, 1L, 1L, null, "c")[4]).isNull();
        }

        @Test
        void floatsAndBooleans() {
            assertThat(bind("floats", 1L, 0.5, BigInteger.TEN, true, null)).containsExactly(1.0, 0.5f, 10.0, true, null);
            assertTypeError(() -> bind("floats", "1", 1.0, 1.0, true, true),
                    "floats() argument 'd' must be float, not str '1'");
            assertTypeError(() -> bind("floats", 1.0, 1e300, 1.0, true, true),
                    "floats() argument 'f' must be float (32-bit), not float 1.0E300 (out of range)");
            assertTypeError(() -> bind("floats", 1.0, 1.0, 1.0, 1L, true),
                    "floats() argument 'flag' must be bool, not int 1");
        }

        @Test
        void bigNumbersAndLooseTypes() {
            Object list = List.of(1L);
            assertThat(bind("numbers", 5L, "1.10", 2.5, list, "s"))
                    .containsExactly(BigInteger.valueOf(5), new BigDecimal("1.10"), 2.5, list, "s");
            assertThat(bind("numbers", 2.0, 0.1, BigInteger.TWO.pow(70), null, null))
                    .containsExactly(BigInteger.TWO, new BigDecimal("0.1"), BigInteger.TWO.pow(70), null, null);
            assertTypeError(() -> bind("numbers", 1L, "abc", 1L, null, "s"),
                    "numbers() argument 'bd' must be a number or decimal string (BigDecimal), not str 'abc'");
            assertTypeError(() -> bind("numbers", 1L, 1L, "1", null, "s"),
                    "numbers() argument 'n' must be a number, not str '1'");
            assertTypeError(() -> bind("numbers", 1L, 1L, 1L, null, 5L),
                    "numbers() argument 'cs' must be str, not int 5");
        }

        @Test
        void collectionsConvertTheirElements() {
            Object[] b = bind("lists", List.of(1L, 2.0), List.of("a", "b", "a"), List.of(List.of(1L), List.of()),
                    List.of(7L, 8L), List.of("x"), List.of("y", 1L));
            assertThat(b[0]).isEqualTo(List.of(1L, 2L)).isInstanceOf(ArrayList.class);
            assertThat(b[1]).isEqualTo(Set.of("a", "b"));
            assertThat(b[2]).isEqualTo(List.of(List.of(1), List.of()));
            assertThat((long[]) b[3]).containsExactly(7L, 8L);
            assertThat((String[]) b[4]).containsExactly("x");
            assertThat(b[5]).isEqualTo(List.of("y", 1L));
            assertTypeError(() -> bind("lists", List.of(1L, "2"), List.of(), List.of(), List.of(), List.of(), List.of()),
                    "lists() argument 'longs'[1] must be int (long), not str '2'");
            assertTypeError(() -> bind("lists", List.of(), List.of(), List.of(List.of(1L, 2.5)), List.of(), List.of(),
                    List.of()), "lists() argument 'nested'[0][1] must be int (32-bit), not float 2.5 (not an integral value)");
            assertTypeError(() -> bind("lists", "abc", List.of(), List.of(), List.of(), List.of(), List.of()),
                    "lists() argument 'longs' must be list, not str 'abc'");
        }

        @Test
        void mapsConvertKeysAndValues() {
            UUID id = UUID.randomUUID();
            Object[] b = bind("maps", Map.of("a", 1L), Map.of("c", List.of("RED")), Map.of(id.toString(), "v"));
            assertThat(b[0]).isEqualTo(Map.of("a", 1L));
            assertThat(b[1]).isEqualTo(Map.of("c", List.of(Color.RED)));
            assertThat(b[2]).isEqualTo(Map.of(id, "v"));
            assertTypeError(() -> bind("maps", Map.of("a", "x"), Map.of(), Map.of()),
                    "maps() argument 'counts'['a'] must be int (long), not str 'x'");
            assertTypeError(() -> bind("maps", Map.of(), Map.of(), Map.of("nope", 1L)),
                    "maps() argument 'byId' has a key that must be a UUID string, not str 'nope'");
            assertTypeError(() -> bind("maps", List.of(), Map.of(), Map.of()),
                    "maps() argument 'counts' must be dict, not list");
        }

        @Test
        void enumsByName() {
            assertThat(bind("enums", "GREEN")).containsExactly(Color.GREEN);
            assertTypeError(() -> bind("enums", "BLUE"),
                    "enums() argument 'color' must be one of Color (RED, GREEN), not str 'BLUE'");
        }

        @Test
        void timesFromStringsAndNumbers() {
            UUID id = UUID.randomUUID();
            Object[] b = bind("times", id.toString(), "2024-05-01T10:00:00+02:00", "2024-05-01T10:00:00",
                    "2024-05-01T10:00:00.5+02:00", "2024-05-01", 1.5);
            assertThat(b[0]).isEqualTo(id);
            assertThat(b[1]).isEqualTo(Instant.parse("2024-05-01T08:00:00Z"));
            assertThat(b[2]).isEqualTo(OffsetDateTime.of(2024, 5, 1, 10, 0, 0, 0, ZoneOffset.UTC));
            assertThat(b[3]).isEqualTo(LocalDateTime.of(2024, 5, 1, 8, 0, 0, 500_000_000));
            assertThat(b[4]).isEqualTo(LocalDate.of(2024, 5, 1));
            assertThat(b[5]).isEqualTo(Duration.ofMillis(1500));
            Object[] n = bind("times", null, 1.5, 0L, 86_400L, null, "2m");
            assertThat(n[1]).isEqualTo(Instant.ofEpochSecond(1, 500_000_000));
            assertThat(n[2]).isEqualTo(OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC));
            assertThat(n[3]).isEqualTo(LocalDateTime.of(1970, 1, 2, 0, 0));
            assertThat(n[5]).isEqualTo(Duration.ofMinutes(2));
            assertTypeError(() -> bind("times", "x", null, null, null, null, null),
                    "times() argument 'id' must be a UUID string, not str 'x'");
            assertTypeError(() -> bind("times", null, "yesterday", null, null, null, null),
                    "times() argument 'at' must be an ISO-8601 date-time or epoch seconds, not str 'yesterday'");
        }

        @Test
        void recordsFromDictsByComponentName() {
            Map<String, Object> p = Map.of("x", 1L, "y", 2.0, "label", "a");
            Object[] b = bind("records", p, Map.of("from", p, "to", Map.of("x", 3L, "y", 4L)), List.of(p));
            assertThat(b[0]).isEqualTo(new Point(1, 2, "a"));
            assertThat(b[1]).isEqualTo(new Line(new Point(1, 2, "a"), new Point(3, 4, null)));
            assertThat(b[2]).isEqualTo(List.of(new Point(1, 2, "a")));
            assertTypeError(() -> bind("records", Map.of("x", 1L), null, List.of()),
                    "records() argument 'p' is missing field 'y' of Point");
            assertTypeError(() -> bind("records", Map.of("x", 1L, "y", 1L, "z", 1L), null, List.of()),
                    "records() argument 'p' has unexpected field 'z' for Point (fields: x, y, label)");
            assertTypeError(() -> bind("records", null, Map.of("from", Map.of("x", "1", "y", 1L)), List.of()),
                    "records() argument 'line'['from']['x'] must be int (long), not str '1'");
        }
    }

    @Nested
    class Literals {
        @Test
        void parsesJsonScalars() {
            assertThat(JsonLiteral.parse(" 0 ")).isEqualTo(0L);
            assertThat(JsonLiteral.parse("-12")).isEqualTo(-12L);
            assertThat(JsonLiteral.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
            assertThat(JsonLiteral.parse("9223372036854775808")).isEqualTo(new BigInteger("9223372036854775808"));
            assertThat(JsonLiteral.parse("0.5")).isEqualTo(0.5);
            assertThat(JsonLiteral.parse("1e3")).isEqualTo(1000.0);
            assertThat(JsonLiteral.parse("\"a\\\"b\\\\c\\/\\t\\u0041\"")).isEqualTo("a\"b\\c/\tA");
            assertThat(JsonLiteral.parse("true")).isEqualTo(true);
            assertThat(JsonLiteral.parse("false")).isEqualTo(false);
            assertThat(JsonLiteral.parse("null")).isNull();
        }

        @Test
        void rejectsWhatJsonRejects() {
            for (String bad : List.of("", "01", "1.", ".5", "+1", "0x10", "'a'", "\"a", "\"\\x\"", "\"\\u12\"", "True",
                    "NaN", "[1]", "1 2")) {
                assertThatThrownBy(() -> JsonLiteral.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("is not a JSON literal");
            }
        }
    }
}
