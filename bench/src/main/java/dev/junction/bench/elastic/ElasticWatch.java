package dev.junction.bench.elastic;

import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import dev.junction.client.proto.LoadResponse;
import dev.junction.client.proto.NodeLoad;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The measuring half of {@code bench/elastic.sh}.
 *
 * <pre>
 * ElasticWatch watch ENDPOINTS NODES TIMEOUT_SECONDS [ORIGIN_EPOCH_MILLIS]
 *     polls the controller's load statistics every 2 s until TIMEOUT after the origin (default: now; a
 *     later one lets the watcher start, and pay its own JVM's start, before what it measures); prints one
 *     line per poll to stderr (seconds since the origin, replicas and requests per second per node in the gateways' last windows, not the moving
 *     averages, whose half-life would add its lag; the spread) and last, on stdout,
 *     converged_s=N (the first poll from which NODES nodes served within ±15% of their mean for two polls
 *     in a row, from the origin on) or converged_s=none, then moving_s=N (the first poll at which NODES nodes held a replica:
 *     the new node's first copy had begun) or moving_s=none
 * ElasticWatch kept YCSB_STATUS_LOG FROM_SECOND TO_SECOND [DURING_FROM_SECOND]
 *     from YCSB's status lines (status.interval=1: "12 sec: 3456 operations; 290.1 current ops/sec; ..."):
 *     the mean throughput over [DURING_FROM, TO) (DURING_FROM defaults to FROM) divided by the mean over
 *     the 30 s before FROM; prints kept=R before=OPS during=OPS
 * </pre>
 */
public final class ElasticWatch {
  /** Within this fraction of the mean, a node's load counts as even. */
  static final double TOLERANCE = 0.15;

  private ElasticWatch() {}

  public static void main(String[] args) throws Exception {
    if ((args.length == 4 || args.length == 5) && args[0].equals("watch")) {
      long origin = args.length == 5 ? Long.parseLong(args[4]) : System.currentTimeMillis();
      System.out.println(
          watch(args[1], Integer.parseInt(args[2]), Duration.ofSeconds(Long.parseLong(args[3])), origin));
    } else if ((args.length == 4 || args.length == 5) && args[0].equals("kept")) {
      List<double[]> status = status(Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8));
      double from = Double.parseDouble(args[2]);
      double to = Double.parseDouble(args[3]);
      double duringFrom = args.length == 5 ? Double.parseDouble(args[4]) : from;
      double before = mean(status, from - 30, from);
      double during = mean(status, duringFrom, to);
      System.out.printf(Locale.ROOT, "kept=%.2f before=%.0f during=%.0f%n",
          before > 0 ? during / before : 0, before, during);
    } else {
      System.err.println("usage: ElasticWatch watch ENDPOINTS NODES TIMEOUT_SECONDS [ORIGIN_EPOCH_MILLIS]"
          + " | ElasticWatch kept YCSB_STATUS_LOG FROM_SECOND TO_SECOND [DURING_FROM_SECOND]");
      System.exit(2);
    }
  }

  private static String watch(String endpoints, int nodes, Duration timeout, long originMillis)
      throws InterruptedException, IOException {
    int evenPolls = 0;
    double firstEven = -1;
    double moving = -1;
    try (JunctionClient client = JunctionClient.builder().endpoints(endpoints.split(","))
        .deadline(Duration.ofSeconds(5)).build()) {
      while (System.currentTimeMillis() - originMillis < timeout.toMillis()) {
        double t = (System.currentTimeMillis() - originMillis) / 1e3;
        try {
          LoadResponse load = client.load();
          List<Double> served = new ArrayList<>();
          if (t >= 0 && moving < 0 && load.getNodesList().stream().filter(n -> n.getReplicas() > 0).count() >= nodes) {
            moving = t;
          }
          StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "t=%.0f", t));
          for (NodeLoad n : load.getNodesList()) {
            double requests = n.getRecentRequestsPerSecond();
            served.add(requests);
            line.append(String.format(Locale.ROOT, "  %s: %d replicas (%d heads), %.0f req/s",
                n.getGrpcEndpoint().isEmpty() ? n.getNode() : n.getGrpcEndpoint(), n.getReplicas(), n.getHeads(),
                requests));
          }
          double spread = served.size() == nodes ? spread(served) : Double.NaN;
          line.append(String.format(Locale.ROOT, "  spread=%.2f", spread));
          System.err.println(line);
          if (t >= 0 && spread <= TOLERANCE) {
            if (evenPolls++ == 0) {
              firstEven = t;
            }
            if (evenPolls >= 2) {
              return String.format(Locale.ROOT, "converged_s=%.0f moving_s=%.0f", firstEven, moving);
            }
          } else {
            evenPolls = 0;
          }
        } catch (JunctionException e) {
          System.err.printf(Locale.ROOT, "t=%.0f  no load statistics: %s%n", t, e.getMessage());
        }
        Thread.sleep(2000); // the statistics' reporting interval
      }
    }
    return moving < 0 ? "converged_s=none moving_s=none" : String.format(Locale.ROOT, "converged_s=none moving_s=%.0f", moving);
  }

  /** The largest distance of a value from the mean, as a fraction of the mean (0 for all zero). */
  static double spread(List<Double> values) {
    double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    if (mean <= 0) {
      return values.isEmpty() ? Double.NaN : 0;
    }
    return values.stream().mapToDouble(v -> Math.abs(v - mean) / mean).max().orElse(0);
  }

  private static final Pattern STATUS = Pattern.compile(" (\\d+) sec: \\d+ operations; ([0-9.]+) current ops/sec");

  /** YCSB's status lines as (second, current ops/s). */
  static List<double[]> status(List<String> lines) {
    List<double[]> out = new ArrayList<>();
    for (String line : lines) {
      Matcher m = STATUS.matcher(line);
      if (m.find()) {
        out.add(new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))});
      }
    }
    return out;
  }

  /** The mean current ops/s of the status lines with a second in [from, to); 0 when there are none. */
  static double mean(List<double[]> status, double from, double to) {
    return status.stream().filter(s -> s[0] >= from && s[0] < to).mapToDouble(s -> s[1]).average().orElse(0);
  }
}
