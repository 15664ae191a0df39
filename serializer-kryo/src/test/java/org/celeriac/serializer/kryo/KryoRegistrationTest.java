package org.celeriac.serializer.kryo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.celeriac.spi.ProviderException;
import org.celeriac.spi.SerializationException;
import org.celeriac.spi.Settings;
import org.celeriac.spi.serializer.Serializer;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The allow-list: what Kryo-specific types work, what is refused, and the opt-out. */
class KryoRegistrationTest {

    /** A record a user registers. */
    record Order(String id, long quantity, Instant at, Colour colour) {
    }

    /** An enum a user registers. */
    enum Colour { RED, GREEN }

    /** Unregistered. */
    record Point(long x, long y) {
    }

    /** A plain class counting its instances. */
    static final class Tracked {
        static final AtomicInteger CREATED = new AtomicInteger();
        String label = "x";

        Tracked() {
            CREATED.incrementAndGet();
        }
    }

    private static Serializer kryo(Map<String, ?> settings) {
        return new KryoSerializerProvider().create(Settings.of(settings));
    }

    @Test
    void registeredRecordsEnumsAndJavaTimeTypesKeepTheirTypes() {
        Serializer s = kryo(Map.of("kryo_registrations", List.of(Order.class.getName(), Colour.class.getName())));
        Order o = new Order("o-1", 3, Instant.parse("2024-01-02T03:04:05.123456789Z"), Colour.GREEN);
        Map<String, Object> v = new java.util.LinkedHashMap<>();
        v.put("order", o);
        v.put("day", LocalDate.of(2024, 2, 29));
        v.put("zoned", ZonedDateTime.parse("2024-01-02T03:04:05+01:00[Europe/Paris]"));
        v.put("ttl", Duration.ofMillis(1500));
        v.put("id", UUID.fromString("12345678-1234-5678-1234-567812345678"));
        v.put("price", new BigDecimal("1.10"));
        v.put("colours", Set.of(Colour.RED));
        assertThat(s.decode(s.encode(v))).isEqualTo(Map.of("order", o, "day", LocalDate.of(2024, 2, 29),
                "zoned", ZonedDateTime.parse("2024-01-02T03:04:05+01:00[Europe/Paris]"), "ttl", Duration.ofMillis(1500),
                "id", UUID.fromString("12345678-1234-5678-1234-567812345678"), "price", new BigDecimal("1.10"),
                "colours", List.of(Colour.RED)));
    }

    @Test
    void unregisteredRecordsAndEnumsAreWrittenAsTheJsonSerializerWouldWriteThem() {
        Serializer s = kryo(Map.of());
        assertThat(s.decode(s.encode(List.of(new Point(1, 2), Colour.RED, 7, 1.5f))))
                .isEqualTo(List.of(Map.of("x", 1L, "y", 2L), "RED", 7L, 1.5));
    }

    @Test
    void anUnregisteredClassIsRefusedNamingItAndTheSetting() {
        Serializer s = kryo(Map.of());
        assertThatThrownBy(() -> s.encode(Map.of("k", new Tracked()))).isInstanceOf(SerializationException.class)
                .hasMessageContaining(Tracked.class.getName()).hasMessageContaining("kryo_registrations")
                .hasMessageContaining("value.k");
    }

    @Test
    void aReaderNeverInstantiatesAClassItDoesNotAllow() {
        Serializer writer = kryo(Map.of("kryo_registrations", Tracked.class.getName()));
        Serializer reader = kryo(Map.of());
        byte[] payload = writer.encode(List.of(new Tracked()));
        int created = Tracked.CREATED.get();
        assertThat(writer.decode(payload)).asList().singleElement().isInstanceOf(Tracked.class);
        assertThat(Tracked.CREATED.get()).isEqualTo(created + 1); // the allowed reader does create it
        assertThatThrownBy(() -> reader.decode(payload)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("kryo_registrations");
        assertThat(Tracked.CREATED.get()).isEqualTo(created + 1); // the other one did not
    }

    @Test
    void corruptLengthsAndTrailingBytesAreRefusedWithoutHugeAllocations() {
        Serializer s = kryo(Map.of());
        byte[] ok = s.encode("hello");
        byte[] longer = java.util.Arrays.copyOf(ok, ok.length + 1);
        assertThatThrownBy(() -> s.decode(longer)).isInstanceOf(SerializationException.class).hasMessageContaining("left over");
        byte[] hugeString = {0x03, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 'a'};
        assertThatThrownBy(() -> s.decode(hugeString)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("corrupt");
    }

    @Test
    void misconfiguredRegistrationsFailAtStartup() {
        assertThatThrownBy(() -> kryo(Map.of("kryo_registrations", "com.example.Missing")))
                .isInstanceOf(ProviderException.class).hasMessageContaining("com.example.Missing")
                .hasMessageContaining("kryo_registrations");
        assertThatThrownBy(() -> kryo(Map.of("kryo_registration_required", "maybe"))).isInstanceOf(ProviderException.class);
    }

    @Test
    void theOptOutWorksAndWarnsLoudly() {
        Logger log = (Logger) LoggerFactory.getLogger(KryoSerializerProvider.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        log.addAppender(events);
        try {
            Serializer s = kryo(Map.of("kryo_registration_required", "false"));
            Object back = s.decode(s.encode(List.of(new Tracked())));
            assertThat(back).asList().singleElement().isInstanceOf(Tracked.class);
            assertThat(events.list).anySatisfy(e -> {
                assertThat(e.getLevel().toString()).isEqualTo("WARN");
                assertThat(e.getFormattedMessage()).contains("kryo_registration_required=false").contains("ANY class");
            });
        } finally {
            log.detachAppender(events);
        }
    }

    @Test
    void contentTypeAndNameAreKryoS() {
        Serializer s = kryo(Map.of());
        assertThat(s.name()).isEqualTo("kryo");
        assertThat(s.contentType()).isEqualTo("application/x-kryo");
        assertThat(s.contentEncoding()).isEqualTo("binary");
        assertThat(new KryoSerializerProvider().contentTypes()).containsExactly("application/x-kryo");
    }
}
