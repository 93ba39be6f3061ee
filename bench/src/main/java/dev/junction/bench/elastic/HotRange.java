package dev.junction.bench.elastic;

import dev.junction.client.JunctionClient;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.RoutingTableResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import site.ycsb.generator.ScrambledZipfianGenerator;

/**
 * The hot-range half of {@code bench/elastic.sh}: a load concentrated on one range, and how long the
 * controller takes to split it so that its parts take their writes at different nodes.
 *
 * <pre>
 * HotRange ENDPOINTS PREFIX KEYS SECONDS THREADS
 * </pre>
 *
 * Writes {@code KEYS} records of 1 KB, {@code PREFIX} followed by an 8-digit number (all in the one range
 * that holds {@code PREFIX}), then runs {@code THREADS} clients for {@code SECONDS}: half reads, half
 * updates, keys chosen by a scrambled zipfian over the records (YCSB's, so hot keys are spread over the
 * range). Every 500 ms it reads the routing table: {@code split_s} is the first time, in seconds since the
 * load started, that the records span two or more ranges with heads on different nodes. Prints a line
 * per second to stderr (its wall-clock start, operations, p99, the slowest) and last, on stdout: {@code split_s=N p99_before_ms=X
 * p99_after_ms=Y ops_before=R ops_after=R} (before: seconds 2 until the split; after: from 5 s after the
 * split to the end; {@code split_s=none} and after = n/a when it did not split). Every loop is bounded by
 * {@code SECONDS}.
 */
public final class HotRange {
  private static final int VALUE_BYTES = 1000;

  private HotRange() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: HotRange ENDPOINTS PREFIX KEYS SECONDS THREADS");
      System.exit(2);
    }
    List<String> endpoints = List.of(args[0].split(","));
    String prefix = args[1];
    int keys = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    int threads = Integer.parseInt(args[4]);
    try (JunctionClient client = JunctionClient.builder().endpoints(endpoints).deadline(Duration.ofSeconds(5)).build()) {
      System.out.println(run(client, prefix, keys, seconds, threads));
    }
  }

  static String run(JunctionClient client, String prefix, int keys, int seconds, int threads) throws Exception {
    byte[] value = new byte[VALUE_BYTES];
    ThreadLocalRandom.current().nextBytes(value);
    for (int i = 0; i < keys; i++) {
      client.put(key(prefix, i), value);
    }
    System.err.printf("hot-range: %d records under '%s' written; %d clients for %d s%n", keys, prefix, threads,
        seconds);
    Histogram[] perSecond = new Histogram[seconds + 1];
    for (int s = 0; s <= seconds; s++) {
      perSecond[s] = new ConcurrentHistogram(60_000_000L, 2); // microseconds, up to a minute
    }
    AtomicLong errors = new AtomicLong();
    long start = System.nanoTime();
    long startMillis = System.currentTimeMillis();
    long end = start + Duration.ofSeconds(seconds).toNanos();
    ScrambledZipfianGenerator chooser = new ScrambledZipfianGenerator(0, keys - 1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        while (System.nanoTime() < end) {
          byte[] k = key(prefix, chooser.nextValue().intValue());
          long t0 = System.nanoTime();
          try {
            if (ThreadLocalRandom.current().nextBoolean()) {
              client.get(k);
            } else {
              client.put(k, value);
            }
            long t1 = System.nanoTime();
            int second = (int) Math.min(seconds, (t1 - start) / 1_000_000_000L);
            perSecond[second].recordValue(Math.max(1, (t1 - t0) / 1000));
          } catch (RuntimeException e) {
            errors.incrementAndGet();
          }
        }
      }, "hot-range-" + t);
      w.start();
      workers.add(w);
    }
    double splitAt = -1;
    byte[] from = prefix.getBytes(StandardCharsets.UTF_8);
    byte[] to = key(prefix, keys); // past the last record
    while (System.nanoTime() < end) {
      if (splitAt < 0) {
        try {
          if (spread(client.routingTable(), from, to)) {
            splitAt = (System.nanoTime() - start) / 1e9;
            System.err.printf("hot-range: split, parts headed on different nodes, at %.1f s%n", splitAt);
          }
        } catch (RuntimeException e) {
          System.err.println("hot-range: the routing table did not come: " + e.getMessage());
        }
      }
      Thread.sleep(500); // the polling interval of the routing table
    }
    for (Thread w : workers) {
      w.join(Duration.ofSeconds(30).toMillis());
    }
    java.time.format.DateTimeFormatter clock = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS")
        .withZone(java.time.ZoneId.systemDefault());
    for (int s = 0; s < seconds; s++) {
      Histogram h = perSecond[s];
      // The wall-clock time of the second's start, to find it in the nodes' logs; the slowest operation
      // that ended in it shows a stall that the p99 of a busy second hides.
      System.err.printf("hot-range: %3d s (%s) %6d ops/s p99 %.1f ms max %.1f ms%n", s,
          clock.format(java.time.Instant.ofEpochMilli(startMillis + s * 1000L)), h.getTotalCount(),
          h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0);
    }
    int split = splitAt < 0 ? seconds : (int) Math.ceil(splitAt);
    Window before = window(perSecond, 2, split);
    Window after = splitAt < 0 ? null : window(perSecond, split + 5, seconds);
    return String.format("split_s=%s p99_before_ms=%s p99_after_ms=%s ops_before=%s ops_after=%s errors=%d",
        splitAt < 0 ? "none" : String.format("%.1f", splitAt), before.p99(), after == null ? "n/a" : after.p99(),
        before.ops(), after == null ? "n/a" : after.ops(), errors.get());
  }

  /** A window's p99 and throughput; n/a when it holds no second (the split came too early or too late). */
  private record Window(double p99Ms, double opsPerSecond, boolean empty) {
    String p99() {
      return empty ? "n/a" : String.format("%.1f", p99Ms);
    }

    String ops() {
      return empty ? "n/a" : String.format("%.0f", opsPerSecond);
    }
  }

  private static Window window(Histogram[] perSecond, int from, int to) {
    Histogram all = new Histogram(60_000_000L, 2);
    int n = 0;
    for (int s = Math.max(0, from); s < Math.min(to, perSecond.length - 1); s++) {
      all.add(perSecond[s]);
      n++;
    }
    return new Window(all.getValueAtPercentile(99) / 1000.0, n == 0 ? 0 : all.getTotalCount() / (double) n,
        all.getTotalCount() == 0);
  }

  /** True when {@code [from, to)} spans two or more ranges whose heads are on different nodes. */
  static boolean spread(RoutingTableResponse table, byte[] from, byte[] to) {
    Set<String> heads = new HashSet<>();
    int ranges = 0;
    for (RangeInfo r : table.getRangesList()) {
      byte[] start = r.getStart().toByteArray();
      byte[] end = r.getEnd().toByteArray();
      boolean overlaps = (end.length == 0 || Arrays.compareUnsigned(from, end) < 0)
          && Arrays.compareUnsigned(start, to) < 0;
      if (overlaps && r.getChainCount() > 0) {
        ranges++;
        heads.add(r.getChain(0).getNode());
      }
    }
    return ranges >= 2 && heads.size() >= 2;
  }

  static byte[] key(String prefix, int i) {
    return String.format("%s%08d", prefix, i).getBytes(StandardCharsets.UTF_8);
  }
}
