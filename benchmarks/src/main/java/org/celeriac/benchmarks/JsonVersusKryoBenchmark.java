package org.celeriac.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.celeriac.serializer.json.JsonSerializerProvider;
import org.celeriac.serializer.kryo.KryoSerializerProvider;
import org.celeriac.spi.Settings;
import org.celeriac.spi.serializer.Serializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JSON versus Kryo (issue #8): encode + decode of a typical task message body ({@code tasks.add(4, 4)} as
 * {@code [args, kwargs, embed]}) and of a result of about 10 KiB (a list of 100 small records as maps). Both
 * serializers are created through their providers with default settings (Kryo: registration required).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class JsonVersusKryoBenchmark {

    /** Which serializer. */
    @Param({"json", "kryo"})
    public String serializer;

    /** Which value: the task body or the 10 KiB result. */
    @Param({"taskBody", "result10k"})
    public String value;

    private Serializer s;
    private Object v;

    /** Builds the serializer and the value once. */
    @Setup
    public void setup() {
        Settings none = Settings.of(Map.of());
        s = serializer.equals("json") ? new JsonSerializerProvider().create(none) : new KryoSerializerProvider().create(none);
        if (value.equals("taskBody")) {
            Map<String, Object> embed = new LinkedHashMap<>();
            embed.put("callbacks", null);
            embed.put("errbacks", null);
            embed.put("chain", null);
            embed.put("chord", null);
            List<Object> body = new ArrayList<>();
            body.add(List.of(4L, 4L));
            body.add(Map.of());
            body.add(embed);
            v = body;
        } else {
            List<Object> rows = new ArrayList<>();
            for (long i = 0; i < 100; i++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", i);
                row.put("name", "customer-" + i);
                row.put("balance", i * 12.5);
                row.put("active", i % 2 == 0);
                row.put("tags", List.of("a", "b", "c"));
                rows.add(row);
            }
            v = rows;
        }
    }

    /** One encode and one decode, as a message or result makes its way from producer to consumer. */
    @Benchmark
    public Object encodeDecode() {
        return s.decode(s.encode(v));
    }
}
