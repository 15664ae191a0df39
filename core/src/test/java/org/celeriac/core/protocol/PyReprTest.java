package org.celeriac.core.protocol;

import org.celeriac.spi.serializer.PythonFloats;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PyReprTest {

    @Test
    void argsAreReprOfATupleAsCeleryWritesArgsrepr() {
        assertThat(PyRepr.argsRepr(List.of(2L, 2L), 1024)).isEqualTo("(2, 2)");
        assertThat(PyRepr.argsRepr(List.of(3L), 1024)).isEqualTo("(3,)");
        assertThat(PyRepr.argsRepr(List.of(), 1024)).isEqualTo("()");
    }

    @Test
    void valuesUsePythonSpelling() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("y", 4L);
        m.put("n", null);
        m.put("t", true);
        m.put("s", "it's");
        assertThat(PyRepr.repr(m, 1024)).isEqualTo("{'y': 4, 'n': None, 't': True, 's': \"it's\"}");
        assertThat(PyRepr.repr(Arrays.asList(1.5, new BigInteger("1180591620717411303424"), "a\nb"), 1024))
                .isEqualTo("[1.5, 1180591620717411303424, 'a\\nb']");
    }

    @Test
    void longReprIsTruncatedToTheLimit() {
        List<Object> big = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            big.add((long) i);
        }
        String r = PyRepr.argsRepr(big, 1024);
        assertThat(r).hasSize(1024).endsWith("...");
    }

    @Test
    void floatsFollowPythonRepr() {
        assertThat(PythonFloats.repr(3.0)).isEqualTo("3.0");
        assertThat(PythonFloats.repr(-0.0)).isEqualTo("-0.0");
        assertThat(PythonFloats.repr(0.1)).isEqualTo("0.1");
        assertThat(PythonFloats.repr(1e-05)).isEqualTo("1e-05");
        assertThat(PythonFloats.repr(0.0001)).isEqualTo("0.0001");
        assertThat(PythonFloats.repr(1e16)).isEqualTo("1e+16");
        assertThat(PythonFloats.repr(1.5e16)).isEqualTo("1.5e+16");
        assertThat(PythonFloats.repr(123456789012345.0)).isEqualTo("123456789012345.0");
        assertThat(PythonFloats.repr(1e100)).isEqualTo("1e+100");
        assertThat(PythonFloats.repr(12345.678)).isEqualTo("12345.678");
        assertThat(PythonFloats.repr(Double.NaN)).isEqualTo("nan");
        assertThat(PythonFloats.repr(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
        assertThat(PythonFloats.repr(1.7976931348623157e308)).isEqualTo("1.7976931348623157e+308");
        assertThat(PythonFloats.repr(5e-324)).isEqualTo("5e-324");
    }
}
