package dev.junction.bench.ycsb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Reads what YCSB's {@code site.ycsb.Client} printed and says it short; used by {@code bench/ycsb.sh}.
 *
 * <pre>
 * YcsbSummary summary RUN.log
 *     throughput=1234 ops/s  READ n=2000 p50=1.23ms p99=4.56ms  UPDATE n=2000 p50=... p99=...
 * YcsbSummary compare switch A.log,B.log server-driven C.log,D.log
 *     one line per side, then last: switch-vs-server-driven throughput=R p99=R
 * </pre>
 *
 * <p>{@code summary} reads YCSB's text output ({@code [READ], 99thPercentileLatency(us), 4560}): the
 * overall throughput, and per operation type the successful operations, their p50 and p99 (YCSB run with
 * {@code measurementtype=hdrhistogram} and {@code hdrhistogram.percentiles=50,99}), and the failed ones
 * ({@code not-found=N}, and {@code errors=N} for every other {@code Return=} than {@code OK}).
 *
 * <p>{@code compare} takes the runs of two sides. A side's throughput is its operations over its run time,
 * both summed over its runs; its latency percentiles are over all its successful operations, of every type
 * and every run together. For those, YCSB must run with {@code measurement.histogram.verbose=true}, which
 * prints the whole latency histogram ({@code [READ], 1234, 5.0}: 5 operations took up to 1234 µs, one line
 * per recorded value); the histograms are added up and the percentiles read as HdrHistogram does. (YCSB's
 * binary histogram logs, {@code hdrhistogram.fileoutput}, need {@code javax.xml.bind} with YCSB's
 * HdrHistogram 2.1.4, which Java 17 no longer has.) The last line divides the first side's throughput by
 * the second's, and the second side's p99 by the first's: above 1 means the first side is better on both.
 */
public final class YcsbSummary {
  private YcsbSummary() {}

  /**
   * One operation type of a run: successful operations, their p50 and p99 in µs as YCSB printed them
   * (NaN if not printed), its returns by status name, and its latency histogram (µs to count; empty if
   * YCSB did not print it).
   */
  record Op(String name, long count, double p50Micros, double p99Micros, Map<String, Long> returns,
      NavigableMap<Long, Long> histogram) {
    long notFound() {
      return returns.getOrDefault("NOT_FOUND", 0L);
    }

    long errors() {
      return returns.entrySet().stream()
          .filter(e -> !e.getKey().equals("OK") && !e.getKey().equals("NOT_FOUND"))
          .mapToLong(Map.Entry::getValue)
          .sum();
    }
  }

  /** One YCSB run: overall throughput and run time, and its operation types in order of appearance. */
  record Run(double throughput, long runtimeMillis, List<Op> ops) {
    /** The operations YCSB counted as done (successful or not) over the run. */
    double operations() {
      return throughput * runtimeMillis / 1000.0;
    }
  }

  private static final class OpBuilder {
    long count;
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    final Map<String, Long> returns = new LinkedHashMap<>();
    final NavigableMap<Long, Long> histogram = new TreeMap<>();
  }

  /**
   * Parses YCSB's text output. Operation types whose name ends in {@code -FAILED} (latencies of failed
   * operations) and {@code CLEANUP} are left out; so is everything that is not an operation.
   *
   * @throws IllegalArgumentException if there is no {@code [OVERALL]} throughput (the run did not end)
   */
  static Run parse(List<String> lines) {
    double throughput = Double.NaN;
    long runtime = 0;
    Map<String, OpBuilder> ops = new LinkedHashMap<>();
    for (String line : lines) {
      String[] f = line.split(", ", 3);
      if (f.length != 3 || !f[0].startsWith("[") || !f[0].endsWith("]")) {
        continue;
      }
      String name = f[0].substring(1, f[0].length() - 1);
      String metric = f[1].trim();
      String value = f[2].trim();
      try {
        if (name.equals("OVERALL")) {
          if (metric.equals("Throughput(ops/sec)")) {
            throughput = Double.parseDouble(value);
          } else if (metric.equals("RunTime(ms)")) {
            runtime = (long) Double.parseDouble(value);
          }
          continue;
        }
        if (name.equals("CLEANUP") || name.endsWith("-FAILED") || !name.matches("[A-Z][A-Z0-9_-]*")) {
          continue; // also [TOTAL_GC...]: their metrics are none of the ones below
        }
        if (metric.equals("Operations")) {
          ops.computeIfAbsent(name, n -> new OpBuilder()).count = Long.parseLong(value);
        } else if (metric.equals("50thPercentileLatency(us)")) {
          ops.computeIfAbsent(name, n -> new OpBuilder()).p50 = Double.parseDouble(value);
        } else if (metric.equals("99thPercentileLatency(us)")) {
          ops.computeIfAbsent(name, n -> new OpBuilder()).p99 = Double.parseDouble(value);
        } else if (metric.startsWith("Return=")) {
          ops.computeIfAbsent(name, n -> new OpBuilder()).returns.put(metric.substring(7), Long.parseLong(value));
        } else if (metric.matches("[0-9]+")) {
          long count = Math.round(Double.parseDouble(value));
          if (count > 0) {
            ops.computeIfAbsent(name, n -> new OpBuilder()).histogram.merge(Long.parseLong(metric), count, Long::sum);
          }
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a number in YCSB's line: " + line, e);
      }
    }
    if (Double.isNaN(throughput)) {
      throw new IllegalArgumentException("no [OVERALL], Throughput(ops/sec) line: the YCSB run did not finish");
    }
    List<Op> result = new ArrayList<>();
    ops.forEach((name, b) -> {
      if (b.count > 0 || !b.returns.isEmpty()) {
        result.add(new Op(name, b.count, b.p50, b.p99, Map.copyOf(b.returns),
            Collections.unmodifiableNavigableMap(b.histogram)));
      }
    });
    return new Run(throughput, runtime, List.copyOf(result));
  }

  /** {@code throughput=1234 ops/s  READ n=2000 p50=1.23ms p99=4.56ms  UPDATE ...}. */
  static String line(Run run) {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "throughput=%.0f ops/s", run.throughput()));
    for (Op op : run.ops()) {
      double p50 = Double.isNaN(op.p50Micros()) ? percentile(op.histogram(), 50) : op.p50Micros();
      double p99 = Double.isNaN(op.p99Micros()) ? percentile(op.histogram(), 99) : op.p99Micros();
      s.append(String.format(Locale.ROOT, "  %s n=%d p50=%s p99=%s", op.name(), op.count(), ms(p50), ms(p99)));
      if (op.notFound() > 0) {
        s.append(" not-found=").append(op.notFound());
      }
      if (op.errors() > 0) {
        s.append(" errors=").append(op.errors());
      }
    }
    return s.toString();
  }

  /**
   * The value at {@code percentile} of a histogram (value to count), as HdrHistogram's {@code
   * getValueAtPercentile} reads it: the smallest recorded value that at least {@code percentile}% of the
   * counts do not exceed (rounded to the nearest count, at least one). NaN for an empty histogram.
   */
  static double percentile(NavigableMap<Long, Long> histogram, double percentile) {
    long total = histogram.values().stream().mapToLong(Long::longValue).sum();
    if (total == 0) {
      return Double.NaN;
    }
    long wanted = Math.max(1, (long) (percentile / 100.0 * total + 0.5));
    long seen = 0;
    for (Map.Entry<Long, Long> e : histogram.entrySet()) {
      seen += e.getValue();
      if (seen >= wanted) {
        return e.getKey();
      }
    }
    return histogram.lastKey();
  }

  private static String ms(double micros) {
    return Double.isNaN(micros) ? "-" : String.format(Locale.ROOT, "%.2fms", micros / 1000.0);
  }

  /**
   * One side of a comparison: its runs' totals, its latency histograms (all operations, per type), and per
   * run its throughput and the p99 of all its operations.
   */
  record Side(String label, int runs, double operations, long runtimeMillis, long errors,
      NavigableMap<Long, Long> all, Map<String, NavigableMap<Long, Long>> perOp, List<double[]> perRun) {
    double throughput() {
      return operations * 1000.0 / runtimeMillis;
    }
  }

  /** Reads the runs of one side. */
  static Side side(String label, List<Path> logs) {
    double operations = 0;
    long runtime = 0;
    long errors = 0;
    NavigableMap<Long, Long> all = new TreeMap<>();
    Map<String, NavigableMap<Long, Long>> perOp = new TreeMap<>();
    List<double[]> perRun = new ArrayList<>();
    for (Path log : logs) {
      Run run = parse(readLines(log));
      operations += run.operations();
      runtime += run.runtimeMillis();
      NavigableMap<Long, Long> runAll = new TreeMap<>();
      for (Op op : run.ops()) {
        errors += op.errors();
        if (op.count() > 0 && op.histogram().isEmpty()) {
          throw new IllegalArgumentException(log + " has no latency histogram of " + op.name()
              + " (run YCSB with -p measurement.histogram.verbose=true)");
        }
        op.histogram().forEach((v, c) -> {
          all.merge(v, c, Long::sum);
          runAll.merge(v, c, Long::sum);
          perOp.computeIfAbsent(op.name(), n -> new TreeMap<>()).merge(v, c, Long::sum);
        });
      }
      perRun.add(new double[] {run.throughput(), percentile(runAll, 99)});
    }
    if (logs.isEmpty() || runtime <= 0 || all.isEmpty()) {
      throw new IllegalArgumentException(label + ": no measured operations in " + logs);
    }
    return new Side(label, logs.size(), operations, runtime, errors, all, perOp, List.copyOf(perRun));
  }

  /** The lines that describe both sides, the ratio line last. */
  static List<String> compare(Side a, Side b) {
    List<String> out = new ArrayList<>();
    for (Side s : List.of(a, b)) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
          "%s: throughput=%.0f ops/s (%.0f ops in %.1f s, %d run%s)  all p50=%s p99=%s",
          s.label(), s.throughput(), s.operations(), s.runtimeMillis() / 1000.0, s.runs(), s.runs() == 1 ? "" : "s",
          ms(percentile(s.all(), 50)), ms(percentile(s.all(), 99))));
      s.perOp().forEach((op, h) -> line.append(String.format(Locale.ROOT, "  %s p50=%s p99=%s", op,
          ms(percentile(h, 50)), ms(percentile(h, 99)))));
      if (s.errors() > 0) {
        line.append("  errors=").append(s.errors());
      }
      out.add(line.toString());
    }
    if (a.runs() == b.runs() && a.runs() > 1) {
      // The runs of both sides taken in pairs, in the order given (the order they ran in): the spread of
      // the pairs' ratios shows how much the machine drifted during the comparison.
      StringBuilder tp = new StringBuilder();
      StringBuilder p99 = new StringBuilder();
      for (int i = 0; i < a.runs(); i++) {
        tp.append(String.format(Locale.ROOT, " %.2f", a.perRun().get(i)[0] / b.perRun().get(i)[0]));
        p99.append(String.format(Locale.ROOT, " %.2f", b.perRun().get(i)[1] / a.perRun().get(i)[1]));
      }
      out.add("ratios of the runs taken in pairs: throughput" + tp + "; p99" + p99);
    }
    out.add(String.format(Locale.ROOT, "%s-vs-%s throughput=%.2f p99=%.2f", a.label(), b.label(),
        a.throughput() / b.throughput(), percentile(b.all(), 99) / percentile(a.all(), 99)));
    return out;
  }

  private static List<String> readLines(Path log) {
    try {
      return Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + log, e);
    }
  }

  private static List<Path> paths(String commaList) {
    List<Path> paths = new ArrayList<>();
    for (String s : commaList.split(",")) {
      if (!s.isBlank()) {
        paths.add(Path.of(s.trim()));
      }
    }
    return paths;
  }

  public static void main(String[] args) {
    try {
      if (args.length == 2 && args[0].equals("summary")) {
        System.out.println(line(parse(readLines(Path.of(args[1])))));
      } else if (args.length == 5 && args[0].equals("compare")) {
        compare(side(args[1], paths(args[2])), side(args[3], paths(args[4]))).forEach(System.out::println);
      } else {
        System.err.println("usage: YcsbSummary summary RUN.log | compare LABEL RUN.log,... LABEL RUN.log,...");
        System.exit(2);
      }
    } catch (IllegalArgumentException | UncheckedIOException e) {
      System.err.println("YcsbSummary: " + e.getMessage());
      System.exit(1);
    }
  }
}
