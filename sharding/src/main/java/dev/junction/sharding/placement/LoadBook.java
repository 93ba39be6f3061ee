package dev.junction.sharding.placement;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.sharding.routing.LoadSnapshot;
import dev.junction.sharding.routing.RoutingTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The controller's load statistics: what every node's gateway counted per range and per serving node,
 * turned into moving averages of requests and bytes per second, and what the replicas measured of their
 * ranges' sizes. Pure: fed with reports and a clock, read as {@link RangeLoad}s, {@link NodeLoad}s and
 * the planner's {@link RangeStats}.
 *
 * <p>Every client request passes through exactly one gateway (the node a client, routing itself, sends it
 * to, or the node that forwards it), and that gateway counts it once against its range and once against
 * the node that serves it; so a range's rate is the sum of its gateways' rates. Each (gateway, range)
 * rate is an exponentially weighted moving average with the configured half-life, updated by every report
 * of that gateway (a range it did not mention decays as if it counted zero; one it mentions first starts
 * from zero, so that a range's rate always equals the sum of the rates it gives its nodes). A gateway that stops
 * reporting (a node gone) is forgotten after {@code expireAfter}, and so are the sizes of ranges that
 * are no longer in the table.
 */
public final class LoadBook {
  /** One range's load: its rates (per second, moving averages) and the newest size measured by a replica. */
  public record RangeLoad(
      long rangeId,
      double readsPerSecond,
      double writesPerSecond,
      double scansPerSecond,
      double bytesInPerSecond,
      double bytesOutPerSecond,
      double latestReadsPerSecond,
      boolean sized,
      long keys,
      long bytes,
      byte[] middleKey,
      long appliedSeq) {
    /** Requests of any kind per second. */
    public double requestsPerSecond() {
      return readsPerSecond + writesPerSecond + scansPerSecond;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof RangeLoad r && r.rangeId == rangeId && r.readsPerSecond == readsPerSecond
          && r.writesPerSecond == writesPerSecond && r.scansPerSecond == scansPerSecond
          && r.bytesInPerSecond == bytesInPerSecond && r.bytesOutPerSecond == bytesOutPerSecond
          && r.latestReadsPerSecond == latestReadsPerSecond
          && r.sized == sized && r.keys == keys && r.bytes == bytes && r.appliedSeq == appliedSeq
          && java.util.Arrays.equals(r.middleKey, middleKey);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(rangeId) * 31 + Double.hashCode(readsPerSecond + writesPerSecond) + Long.hashCode(bytes);
    }

    @Override
    public String toString() {
      return String.format("RangeLoad[range=%d, reads/s=%.1f, writes/s=%.1f, scans/s=%.1f, keys=%d, bytes=%d]",
          rangeId, readsPerSecond, writesPerSecond, scansPerSecond, keys, bytes);
    }
  }

  /**
   * One node's load: the requests per second it served (as the gateways counted them, by the node they
   * sent to), the replicas and heads the table gives it, and the bytes those replicas hold (each replica
   * counted with its range's newest measured size). {@code recentRequestsPerSecond} is what it served in
   * the gateways' last windows alone (reads, writes and scans): it follows a change within one report,
   * where the moving averages take about two half-lives.
   */
  public record NodeLoad(
      String node,
      double readsPerSecond,
      double writesPerSecond,
      double scansPerSecond,
      int replicas,
      int heads,
      long bytes,
      double recentRequestsPerSecond) {}

  /** Rates per second, each an exponentially weighted moving average. */
  private static final class Rates {
    double reads;
    double writes;
    double scans;
    double bytesIn;
    double bytesOut;
    double latest;

    void update(LoadSnapshot.Counts c, double seconds, double alpha) {
      reads = mix(reads, c.reads() / seconds, alpha);
      writes = mix(writes, c.writes() / seconds, alpha);
      scans = mix(scans, c.scans() / seconds, alpha);
      bytesIn = mix(bytesIn, c.bytesIn() / seconds, alpha);
      bytesOut = mix(bytesOut, c.bytesOut() / seconds, alpha);
      latest = mix(latest, c.latestReads() / seconds, alpha);
    }

    private static double mix(double old, double sample, double alpha) {
      return alpha * sample + (1 - alpha) * old;
    }

    void addTo(Rates sum) {
      sum.reads += reads;
      sum.writes += writes;
      sum.scans += scans;
      sum.bytesIn += bytesIn;
      sum.bytesOut += bytesOut;
      sum.latest += latest;
    }
  }

  /** What one gateway reported. */
  private static final class Gateway {
    final Map<Long, Rates> ranges = new HashMap<>();
    final Map<String, Rates> nodes = new HashMap<>();
    /** Head requests (writes and latest-reads) per second of each range in the last window alone. */
    Map<Long, Double> lastWindow = Map.of();
    /** Requests per second each node served in the last window alone. */
    Map<String, Double> lastNodes = Map.of();
    long lastReport;
  }

  /** A size with when it arrived. */
  private record Sized(ReplicaSize size, long at) {}

  private final double halfLifeSeconds;
  private final long expireAfterNanos;
  private final Map<String, Gateway> gateways = new HashMap<>();
  private final Map<Long, Sized> sizes = new HashMap<>();

  public LoadBook(Duration halfLife, Duration expireAfter) {
    if (halfLife.isNegative() || halfLife.isZero() || expireAfter.isNegative() || expireAfter.isZero()) {
      throw new IllegalArgumentException("the half-life and the expiry of load statistics must be positive");
    }
    this.halfLifeSeconds = halfLife.toNanos() / 1e9;
    this.expireAfterNanos = expireAfter.toNanos();
  }

  /**
   * Takes one report of {@code gateway}: what it counted over the last {@code window} (its ranges and the
   * nodes it sent to), and the sizes its node measured of its replicas, at {@code now}.
   */
  public void report(String gateway, Duration window, LoadSnapshot counted, List<ReplicaSize> measured, long now) {
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("a report's window must be positive, not " + window);
    }
    double seconds = window.toNanos() / 1e9;
    double alpha = 1 - Math.pow(0.5, seconds / halfLifeSeconds);
    Gateway g = gateways.get(gateway);
    boolean fresh = g == null || now - g.lastReport > expireAfterNanos;
    if (fresh) {
      g = new Gateway();
      gateways.put(gateway, g);
    }
    g.lastReport = now;
    fold(g.ranges, counted.byRange(), seconds, alpha);
    Map<Long, Double> last = new HashMap<>();
    counted.byRange().forEach((id, c) -> last.put(id, (c.writes() + c.latestReads()) / seconds));
    g.lastWindow = last;
    Map<String, Double> lastNodes = new HashMap<>();
    counted.byNode().forEach((node, c) -> lastNodes.put(node, (c.reads() + c.writes() + c.scans()) / seconds));
    g.lastNodes = lastNodes;
    fold(g.nodes, counted.byNode(), seconds, alpha);
    for (ReplicaSize s : measured) {
      sizes.put(s.rangeId(), new Sized(s, now));
    }
  }

  private static <K> void fold(Map<K, Rates> rates, Map<K, LoadSnapshot.Counts> counted, double seconds, double alpha) {
    for (Map.Entry<K, Rates> e : rates.entrySet()) {
      if (!counted.containsKey(e.getKey())) {
        e.getValue().update(LoadSnapshot.Counts.ZERO, seconds, alpha);
      }
    }
    // A key first seen starts from zero like any average: so a range's rate stays the sum of its nodes'.
    counted.forEach((key, c) -> rates.computeIfAbsent(key, k -> new Rates()).update(c, seconds, alpha));
  }

  /** Forgets gateways that stopped reporting and sizes of ranges not in {@code table}. */
  private void expire(RoutingTable table, long now) {
    gateways.values().removeIf(g -> now - g.lastReport > expireAfterNanos);
    sizes.keySet().removeIf(id -> table.range(id).isEmpty());
  }

  /** Every range of {@code table} with its load now (zero rates and unsized when nothing was reported). */
  public List<RangeLoad> ranges(RoutingTable table, long now) {
    expire(table, now);
    Map<Long, Rates> sums = new HashMap<>();
    for (Gateway g : gateways.values()) {
      g.ranges.forEach((id, r) -> r.addTo(sums.computeIfAbsent(id, x -> new Rates())));
    }
    List<RangeLoad> out = new ArrayList<>();
    for (RangeConfig range : table.ranges()) {
      Rates r = sums.getOrDefault(range.rangeId(), new Rates());
      Sized s = sizes.get(range.rangeId());
      out.add(new RangeLoad(range.rangeId(), r.reads, r.writes, r.scans, r.bytesIn, r.bytesOut, r.latest, s != null,
          s == null ? 0 : s.size().keys(), s == null ? 0 : s.size().bytes(),
          s == null ? new byte[0] : s.size().middleKey(), s == null ? 0 : s.size().appliedSeq()));
    }
    return out;
  }

  /**
   * Each range's head requests (writes and latest-reads) per second over the gateways' last windows
   * alone: the recent rate, which follows a change of load within one report rather than the half-life
   * (what the load-based split watches). Ranges no gateway counted in its last window are absent.
   */
  public Map<Long, Double> recentHeadRequestsPerSecond(RoutingTable table, long now) {
    expire(table, now);
    Map<Long, Double> out = new HashMap<>();
    for (Gateway g : gateways.values()) {
      g.lastWindow.forEach((id, rate) -> out.merge(id, rate, Double::sum));
    }
    out.keySet().removeIf(id -> table.range(id).isEmpty());
    return out;
  }

  /** Every node that the table places a replica on or that served requests, with its load now, by name. */
  public List<NodeLoad> nodes(RoutingTable table, long now) {
    List<RangeLoad> ranges = ranges(table, now);
    Map<Long, RangeLoad> byId = new HashMap<>();
    ranges.forEach(r -> byId.put(r.rangeId(), r));
    Map<String, Rates> served = new TreeMap<>();
    Map<String, Double> recent = new HashMap<>();
    for (Gateway g : gateways.values()) {
      g.nodes.forEach((node, r) -> r.addTo(served.computeIfAbsent(node, x -> new Rates())));
      g.lastNodes.forEach((node, rate) -> recent.merge(node, rate, Double::sum));
    }
    Map<String, int[]> counts = new TreeMap<>();
    Map<String, Long> bytes = new HashMap<>();
    for (RangeConfig range : table.ranges()) {
      for (Replica r : range.chain()) {
        int[] c = counts.computeIfAbsent(r.node(), x -> new int[2]);
        c[0]++;
        if (r.equals(range.head())) {
          c[1]++;
        }
        bytes.merge(r.node(), byId.get(range.rangeId()).bytes(), Long::sum);
      }
    }
    TreeMap<String, NodeLoad> out = new TreeMap<>();
    for (String node : counts.keySet()) {
      served.putIfAbsent(node, new Rates());
    }
    for (Map.Entry<String, Rates> e : served.entrySet()) {
      int[] c = counts.getOrDefault(e.getKey(), new int[2]);
      Rates r = e.getValue();
      out.put(e.getKey(), new NodeLoad(e.getKey(), r.reads, r.writes, r.scans, c[0], c[1],
          bytes.getOrDefault(e.getKey(), 0L), recent.getOrDefault(e.getKey(), 0.0)));
    }
    return new ArrayList<>(out.values());
  }

  /**
   * What each range of {@code table} weighs for the planner: its newest measured bytes and its rates (a
   * scan counted as a read; latest-reads as reads its head serves), each at least {@code floor}'s, so that ranges nothing is known of yet, or
   * idle ones, still weigh something and the planner evens out their replicas.
   */
  public Map<Long, RangeStats> stats(RoutingTable table, RangeStats floor, long now) {
    Map<Long, RangeStats> out = new HashMap<>();
    for (RangeLoad r : ranges(table, now)) {
      out.put(r.rangeId(), new RangeStats(r.rangeId(), Math.max(r.bytes(), floor.bytes()),
          Math.max(r.readsPerSecond() + r.scansPerSecond(), floor.readsPerSecond()),
          Math.max(r.writesPerSecond(), floor.writesPerSecond()), r.latestReadsPerSecond()));
    }
    return out;
  }
}
