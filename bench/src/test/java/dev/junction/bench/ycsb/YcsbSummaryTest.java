package dev.junction.bench.ycsb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.bench.ycsb.YcsbSummary.Op;
import dev.junction.bench.ycsb.YcsbSummary.Run;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class YcsbSummaryTest {
  @TempDir Path dir;

  /** The output of a real run of workload A (8 threads, 4,000 operations), as YCSB 0.17.0 prints it. */
  private static List<String> sample() throws IOException {
    try (InputStream in = YcsbSummaryTest.class.getResourceAsStream("workloada-sample.log")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  @Test
  void aRunIsItsThroughputAndEachOperationsPercentiles() throws IOException {
    Run run = YcsbSummary.parse(sample());
    assertEquals(181.31544354290378, run.throughput());
    assertEquals(22061, run.runtimeMillis());
    assertEquals(List.of("READ", "UPDATE"), run.ops().stream().map(Op::name).toList());
    Op read = run.ops().get(0);
    assertEquals(2023, read.count());
    assertEquals(11071, read.p50Micros());
    assertEquals(169855, read.p99Micros());
    assertEquals(Map.of("OK", 2023L), read.returns());
    assertEquals(4000, Math.round(run.operations()));
    assertEquals(
        "throughput=181 ops/s  READ n=2023 p50=11.07ms p99=169.86ms  UPDATE n=1977 p50=44.54ms p99=403.46ms",
        YcsbSummary.line(run));
  }

  @Test
  void thePrintedHistogramsGiveYcsbsOwnPercentiles() throws IOException {
    // A real run with measurement.histogram.verbose=true (workload A, 1,000 operations).
    List<String> lines;
    try (InputStream in = YcsbSummaryTest.class.getResourceAsStream("workloada-verbose-sample.log")) {
      lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
    Run run = YcsbSummary.parse(lines);
    assertEquals(List.of("READ", "UPDATE"), run.ops().stream().map(Op::name).toList());
    for (Op op : run.ops()) {
      assertEquals(op.count(), op.histogram().values().stream().mapToLong(Long::longValue).sum(), op.name());
      assertEquals(op.p50Micros(), YcsbSummary.percentile(op.histogram(), 50), op.name());
      assertEquals(op.p99Micros(), YcsbSummary.percentile(op.histogram(), 99), op.name());
    }
    assertEquals(
        "throughput=91 ops/s  READ n=499 p50=35.20ms p99=117.44ms  UPDATE n=501 p50=103.68ms p99=292.10ms",
        YcsbSummary.line(run));
  }

  @Test
  void failuresAreCountedByKind() {
    Run run = YcsbSummary.parse(List.of(
        "[OVERALL], RunTime(ms), 1000",
        "[OVERALL], Throughput(ops/sec), 10.0",
        "[READ], Operations, 5",
        "[READ], 50thPercentileLatency(us), 1500",
        "[READ], 99thPercentileLatency(us), 2500",
        "[READ], Return=OK, 5",
        "[READ], Return=NOT_FOUND, 2",
        "[READ-FAILED], Operations, 2",
        "[READ-FAILED], 99thPercentileLatency(us), 900",
        "[INSERT], Return=SERVICE_UNAVAILABLE, 2",
        "[INSERT], Return=ERROR, 1",
        "[INSERT-FAILED], Operations, 3"));
    assertEquals(List.of("READ", "INSERT"), run.ops().stream().map(Op::name).toList());
    assertEquals(
        "throughput=10 ops/s  READ n=5 p50=1.50ms p99=2.50ms not-found=2  INSERT n=0 p50=- p99=- errors=3",
        YcsbSummary.line(run));
  }

  @Test
  void aRunThatDidNotFinishIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> YcsbSummary.parse(List.of("[READ], Operations, 5")));
  }

  @Test
  void percentilesOfAPrintedHistogramAreHdrHistogramsPercentiles() {
    Histogram h = new Histogram(3);
    Random random = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      h.recordValue(200 + (long) Math.exp(random.nextDouble() * 12)); // 201 µs to ~160 ms, long tail
    }
    // What YCSB prints with measurement.histogram.verbose=true: each recorded value and its count.
    NavigableMap<Long, Long> printed = new TreeMap<>();
    for (HistogramIterationValue v : h.recordedValues()) {
      printed.put(v.getValueIteratedTo(), v.getCountAtValueIteratedTo());
    }
    for (double p : new double[] {0, 1, 50, 90, 99, 99.9, 100}) {
      assertEquals((double) h.getValueAtPercentile(p), YcsbSummary.percentile(printed, p), "p" + p);
    }
    assertEquals(Double.NaN, YcsbSummary.percentile(new TreeMap<>(), 99));
  }

  @Test
  void aComparisonAddsUpTheHistogramsOfEverySideAndPrintsTheRatiosLast() throws IOException {
    // switch: 2 runs of 10 s at 200 ops/s, latencies 1 ms (and 4 ms for 2% of the updates);
    // server-driven: 1 run of 10 s at 100 ops/s, latencies 2 ms and 8 ms.
    Path sw1 = run("sw1", 200, 1000, 4000);
    Path sw2 = run("sw2", 200, 1000, 4000);
    Path sd = run("sd", 100, 2000, 8000);
    List<String> out = YcsbSummary.compare(
        YcsbSummary.side("switch", List.of(sw1, sw2)), YcsbSummary.side("server-driven", List.of(sd)));
    assertEquals(List.of(
        "switch: throughput=200 ops/s (4000 ops in 20.0 s, 2 runs)  all p50=1.00ms p99=1.00ms"
            + "  READ p50=1.00ms p99=1.00ms  UPDATE p50=1.00ms p99=4.00ms  errors=4",
        "server-driven: throughput=100 ops/s (1000 ops in 10.0 s, 1 run)  all p50=2.00ms p99=2.00ms"
            + "  READ p50=2.00ms p99=2.00ms  UPDATE p50=2.00ms p99=8.00ms  errors=2",
        "switch-vs-server-driven throughput=2.00 p99=2.00"), out);
  }

  @Test
  void runsOfEqualNumberAreAlsoComparedInPairs() throws IOException {
    Path sw1 = run("sw1", 200, 1000, 4000);
    Path sd1 = run("sd1", 100, 2000, 8000);
    Path sd2 = run("sd2", 160, 1000, 8000); // 1% of its operations at 8 ms: p99 1 ms
    Path sw2 = run("sw2", 200, 1000, 4000);
    List<String> out = YcsbSummary.compare(
        YcsbSummary.side("switch", List.of(sw1, sw2)), YcsbSummary.side("server-driven", List.of(sd1, sd2)));
    assertEquals("ratios of the runs taken in pairs: throughput 2.00 1.25; p99 2.00 1.00", out.get(2));
    // server-driven: 2600 ops in 20 s; p99 of its 4000 operations (1980 at 1 ms, 1980 at 2 ms, 40 at 8 ms): 2 ms
    assertEquals("switch-vs-server-driven throughput=1.54 p99=2.00", out.get(3));
  }

  @Test
  void aComparisonWithoutPrintedHistogramsSaysWhatIsMissing() throws IOException {
    Path log = dir.resolve("x.log");
    Files.writeString(log, "[OVERALL], RunTime(ms), 1000\n[OVERALL], Throughput(ops/sec), 1.0\n[READ], Operations, 1\n");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> YcsbSummary.side("switch", List.of(log)));
    assertTrue(e.getMessage().contains("measurement.histogram.verbose=true"), e.getMessage());
  }

  /**
   * Writes the output of a 10 s run as YCSB prints it with a verbose histogram: 1000 reads at {@code
   * fast} µs; 1000 updates, 98% at {@code fast} and 2% at {@code slow} µs; and 2 failed updates.
   */
  private Path run(String name, int opsPerSecond, long fast, long slow) throws IOException {
    String text = String.join("\n",
        "[OVERALL], RunTime(ms), 10000",
        "[OVERALL], Throughput(ops/sec), " + opsPerSecond + ".0",
        "[READ], Operations, 1000",
        "[READ], 50thPercentileLatency(us), " + fast,
        "[READ], Return=OK, 1000",
        "[READ], " + fast + ", 1000.0",
        "[CLEANUP], Operations, 8",
        "[CLEANUP], 3, 8.0",
        "[UPDATE], Operations, 1000",
        "[UPDATE], Return=OK, 1000",
        "[UPDATE], Return=ERROR, 2",
        "[UPDATE], " + fast + ", 980.0",
        "[UPDATE], " + slow + ", 20.0",
        "[UPDATE-FAILED], Operations, 2",
        "[UPDATE-FAILED], 99999999, 2.0",
        "");
    Path log = dir.resolve(name + ".log");
    Files.writeString(log, text);
    return log;
  }
}
