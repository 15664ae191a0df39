package org.celeriac.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.celeriac.serializer.json.JsonSerializer;
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
 * The JSON serializer (kombu-exact output) on protocol v2 task bodies {@code [args, kwargs, embed]}:
 * {@code add} is {@code tasks.add(4, 4)}; {@code report} a body with strings, a float, a nested map and a
 * list of 20 numbers, closer to a business task.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class JsonSerializerBenchmark {
    private static final String ADD = "[[4, 4], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]";
    private static final String REPORT = "[[\"r-20240917-0042\", \"eu-west\"], {\"format\": \"pdf\", \"scale\": 1.25, "
            + "\"options\": {\"landscape\": true, \"title\": \"Quarterly report \\u00e9t\\u00e9\", \"pages\": null}, "
            + "\"ids\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]}, "
            + "{\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]";

    /** Which body. */
    @Param({"add", "report"})
    public String body;

    private byte[] bytes;
    private Object value;

    /** Decodes the body once, so encode works on the value model the worker and client hold. */
    @Setup
    public void setup() {
        bytes = (body.equals("add") ? ADD : REPORT).getBytes(StandardCharsets.UTF_8);
        value = JsonSerializer.INSTANCE.decode(bytes);
    }

    /** Value model to bytes. */
    @Benchmark
    public byte[] encode() {
        return JsonSerializer.INSTANCE.encode(value);
    }

    /** Bytes to value model. */
    @Benchmark
    public Object decode() {
        return JsonSerializer.INSTANCE.decode(bytes);
    }
}
