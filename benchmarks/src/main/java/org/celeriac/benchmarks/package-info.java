/**
 * Celeriac's benchmarks: JMH micro-benchmarks ({@link org.celeriac.benchmarks.ProtocolBenchmark},
 * {@link org.celeriac.benchmarks.JsonSerializerBenchmark}, {@link org.celeriac.benchmarks.WorkerDispatchBenchmark})
 * and the end-to-end harness {@link org.celeriac.benchmarks.Bench} (drain, publish, roundtrip, memory) that
 * {@code benchmarks/bench} and {@code benchmarks/compare.sh} run. See {@code docs/performance.md}.
 *
 * <p>Not a published module: nothing here is API.
 */
package org.celeriac.benchmarks;
