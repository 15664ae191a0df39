package org.celeriac.benchmarks;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.celeriac.core.protocol.OutgoingTask;
import org.celeriac.core.protocol.TaskMessage;
import org.celeriac.core.protocol.TaskProtocol;
import org.celeriac.serializer.json.JsonSerializer;
import org.celeriac.spi.broker.Delivery;
import org.celeriac.spi.broker.Message;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Celery protocol v2 with the JSON serializer: building the message of {@code tasks.add(4, 4)} (headers,
 * properties, body) and reading one back, as the client and the worker do per task.
 *
 * <pre>java -cp $(cat benchmarks/target/bench-classpath.txt) org.openjdk.jmh.Main ProtocolBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ProtocolBenchmark {
    private TaskProtocol protocol;
    private OutgoingTask task;
    private Delivery delivery;

    /** Builds the codec, the outgoing task and one encoded delivery. */
    @Setup
    public void setup() {
        protocol = new TaskProtocol(ct -> JsonSerializer.CONTENT_TYPE.equals(ct) ? JsonSerializer.INSTANCE : null,
                Set.of(JsonSerializer.CONTENT_TYPE));
        task = OutgoingTask.simple("d6f7b4a4-6a0e-4f5c-9d1c-2b9f0b7f6d41", "tasks.add", List.of(4L, 4L), Map.of(),
                "gen4242@bench-host");
        Message m = protocol.encode(task, JsonSerializer.INSTANCE, null);
        delivery = new Delivery(m, "celery", "", "celery", false, "d6f7b4a4-0000-0000-0000-000000000000");
    }

    /** Client side: OutgoingTask to Message. */
    @Benchmark
    public Message encode() {
        return protocol.encode(task, JsonSerializer.INSTANCE, null);
    }

    /** Worker side: Delivery to TaskMessage (headers checked, body decoded). */
    @Benchmark
    public TaskMessage decode() {
        return protocol.decode(delivery);
    }
}
