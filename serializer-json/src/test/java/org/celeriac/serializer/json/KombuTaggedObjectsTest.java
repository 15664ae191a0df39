package org.celeriac.serializer.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.celeriac.spi.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Inputs are what kombu >= 5.3's JSONEncoder writes; outputs what kombu 5.2.4 would have written. */
class KombuTaggedObjectsTest {

    private final JsonSerializer json = JsonSerializer.INSTANCE;

    private Object decode(String text) {
        return json.decode(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String tag(String type, String valueJson) {
        return "{\"__type__\": \"" + type + "\", \"__value__\": " + valueJson + "}";
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        "datetime|\"2024-01-02T03:04:05.678900+00:00\"|2024-01-02T03:04:05.678900Z",
        "datetime|\"2024-01-02T03:04:05+02:00\"|2024-01-02T03:04:05+02:00",
        "datetime|\"2024-01-02T03:04:05\"|2024-01-02T03:04:05",
        "datetime|\"2024-01-02T03:04:05.000001-05:30\"|2024-01-02T03:04:05.000001-05:30",
        "date|\"2024-01-02\"|2024-01-02T00:00:00",
        "time|\"01:02:03\"|01:02:03",
        "time|\"01:02:03.000004\"|01:02:03.000004",
        "decimal|\"1.10\"|1.10",
        "decimal|\"1e3\"|1E+3",
        "decimal|\"-0.00\"|-0.00",
        "decimal|\"NaN\"|NaN",
        "uuid|{\"hex\": \"12345678123456781234567812345678\", \"version\": null}|12345678-1234-5678-1234-567812345678",
        "uuid|{\"hex\": \"0f1e2d3c4b5a49788796a5b4c3d2e1f0\", \"version\": 4}|0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0",
        "bytes|\"h\\u00e9llo\"|h\u00e9llo",
    })
    void taggedValuesBecomeWhatKombu524Wrote(String type, String valueJson, String expected) {
        assertThat(decode("[" + tag(type, valueJson) + "]")).isEqualTo(List.of(expected));
    }

    @Test
    void base64BecomesBytes() {
        assertThat(decode(tag("base64", "\"/wAB\""))).isEqualTo(new byte[] {(byte) 0xff, 0, 1});
    }

    @Test
    void nestedTagsAreResolvedInsideContainers() {
        Object v = decode("[[], {\"eta\": " + tag("datetime", "\"2024-01-02T03:04:05+00:00\"")
                + ", \"ids\": [" + tag("uuid", "{\"hex\": \"12345678123456781234567812345678\", \"version\": null}")
                + "]}, {}]");
        assertThat(v).isEqualTo(List.of(List.of(),
                Map.of("eta", "2024-01-02T03:04:05Z", "ids", List.of("12345678-1234-5678-1234-567812345678")),
                Map.of()));
    }

    @Test
    void objectsWithOtherKeysAreLeftAlone() {
        assertThat(decode("{\"__type__\": \"datetime\", \"__value__\": \"x\", \"extra\": 1}"))
                .isEqualTo(Map.of("__type__", "datetime", "__value__", "x", "extra", 1L));
        assertThat(decode("{\"__type__\": \"nope\"}")).isEqualTo(Map.of("__type__", "nope"));
    }

    @Test
    void unknownTypeIsRefusedLikeKombu() {
        assertThatThrownBy(() -> decode("{\"args\": [1, " + tag("frobnicator", "1") + "]}"))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("frobnicator")
                .hasMessageContaining("Unsupported type")
                .hasMessageContaining("$.args[1]");
    }

    @Test
    void malformedTaggedValuesAreRefused() {
        assertThatThrownBy(() -> decode(tag("datetime", "\"yesterday\"")))
                .isInstanceOf(SerializationException.class).hasMessageContaining("datetime");
        assertThatThrownBy(() -> decode(tag("uuid", "\"not-an-object\"")))
                .isInstanceOf(SerializationException.class).hasMessageContaining("hex");
        assertThatThrownBy(() -> decode(tag("decimal", "1.5")))
                .isInstanceOf(SerializationException.class).hasMessageContaining("must be a string");
    }
}
