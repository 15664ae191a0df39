package org.celeriac.serializer.json;

import org.celeriac.spi.serializer.PythonFloats;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PythonFloatsTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "3.0|3.0", "-0.0|-0.0", "0.0|0.0", "1e-05|1e-05", "1e-4|0.0001", "1e16|1e+16", "1e15|1000000000000000.0",
        "1.5e16|1.5e+16", "1e100|1e+100", "0.1|0.1", "2.5e-5|2.5e-05", "1e23|1e+23", "4.9e-324|5e-324",
        "1.7976931348623157e308|1.7976931348623157e+308", "123456789012345.6|123456789012345.6",
        "-12345678.9|-12345678.9", "1e7|10000000.0", "0.30000000000000004|0.30000000000000004",
        "9007199254740992|9007199254740992.0", "NaN|NaN", "Infinity|Infinity", "-Infinity|-Infinity"})
    void formatsLikePythonRepr(String javaLiteral, String python) {
        assertThat(PythonFloats.json(Double.parseDouble(javaLiteral))).isEqualTo(python);
    }

    /** python-float-repr.txt is written by gen_python_floats.py with CPython's json.dumps. */
    @Test
    void matchesCPythonOnThousandsOfDoubles() throws IOException {
        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        try (InputStream in = getClass().getResourceAsStream("/python-float-repr.txt");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null) {
                int space = line.indexOf(' ');
                double d = Double.longBitsToDouble(Long.parseUnsignedLong(line.substring(0, space), 16));
                String expected = line.substring(space + 1);
                String actual = PythonFloats.json(d);
                if (!actual.equals(expected)) {
                    mismatches.add(line + " but got " + actual);
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(5000);
        assertThat(mismatches).isEmpty();
    }
}
