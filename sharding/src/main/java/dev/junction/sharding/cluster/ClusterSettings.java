package dev.junction.sharding.cluster;

import com.typesafe.config.Config;
import dev.junction.sharding.placement.PlacementSettings;
import dev.junction.sharding.placement.RangeStats;
import dev.junction.sharding.placement.SplitPolicy;
import dev.junction.sharding.routing.RoutingTable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** Settings of the cluster layer: the only place that reads {@code junction.cluster.*}. */
public record ClusterSettings(
    int minNodes,
    int replicationFactor,
    List<byte[]> splitPoints,
    Duration askTimeout,
    Duration ddataTimeout,
    Duration wakeInterval,
    Duration readLease,
    Duration replaceAfter,
    int bulkPort,
    int bulkBufferSize,
    int bulkBuffers,
    RoutingMode routing,
    Rebalance rebalance,
    Stats stats,
    Duration leaveDrainTimeout,
    boolean announceTables) {

  /**
   * Load statistics: every {@code interval} each node reports to the controller what its gateway counted
   * and the sizes of some of its replicas (each replica measured about every {@code sizeInterval}); the
   * controller keeps moving averages with {@code halfLife} and forgets a node silent for 5 intervals.
   */
  public record Stats(Duration interval, Duration halfLife, Duration sizeInterval) {
    public Stats {
      if (!positive(interval) || !positive(halfLife) || !positive(sizeInterval)) {
        throw new IllegalArgumentException("junction.cluster.stats: interval, half-life and size-interval must be positive");
      }
    }

    /** How long the controller keeps a node's statistics after its last report. */
    public Duration expireAfter() {
      return interval.multipliedBy(5);
    }

    private static boolean positive(Duration d) {
      return !d.isNegative() && !d.isZero();
    }
  }

  /**
   * The controller's rebalancing: how often it plans ({@code interval}; zero: never), the planner's
   * knobs, how long a move's copy and each of its other steps may take, and what a range weighs at least
   * ({@code floor}: below it, sizes and rates do not move replicas; idle ranges spread by count), and when
   * a range splits by itself ({@code split}; only while rebalancing is on).
   */
  public record Rebalance(
      Duration interval, PlacementSettings planner, Duration copyTimeout, Duration stepTimeout, RangeStats floor,
      SplitPolicy split, Duration moveBackAfter) {
    public Rebalance {
      if (interval.isNegative() || copyTimeout.isNegative() || copyTimeout.isZero()
          || stepTimeout.isNegative() || stepTimeout.isZero() || moveBackAfter.isNegative()) {
        throw new IllegalArgumentException(
            "junction.cluster.rebalance: interval and move-back-after must not be negative (0: off), the timeouts"
                + " must be positive");
      }
    }

    public boolean enabled() {
      return !interval.isZero();
    }
  }

  /** How a gateway sends requests. */
  public enum RoutingMode {
    /** Straight to the head (writes) or tail (reads): TurboKV's switch. */
    SWITCH,
    /** To a random node, which routes: only to measure what the switch saves. */
    SERVER_DRIVEN
  }

  public ClusterSettings {
    if (minNodes < 1 || replicationFactor < 1) {
      throw new IllegalArgumentException("junction.cluster.min-nodes and replication-factor must be >= 1");
    }
    splitPoints = List.copyOf(splitPoints);
    if (readLease.isNegative() || readLease.isZero()) {
      throw new IllegalArgumentException("junction.cluster.read-lease must be positive");
    }
    if (replaceAfter.isNegative()) {
      throw new IllegalArgumentException("junction.cluster.replace-after must not be negative");
    }
    if (leaveDrainTimeout.isNegative()) {
      throw new IllegalArgumentException("junction.cluster.leave.drain-timeout must not be negative (0: no drain)");
    }
    if (bulkPort < 0 || bulkPort > 65535 || bulkBufferSize < 64 * 1024 || bulkBuffers < 2) {
      throw new IllegalArgumentException(
          "junction.cluster.bulk: port 0..65535 (0: any), buffer-size at least 64KiB, buffers at least 2");
    }
  }

  public static ClusterSettings fromConfig(Config config) {
    Config c = config.getConfig("junction.cluster");
    List<String> explicit = c.getStringList("split-points");
    List<byte[]> points;
    if (!explicit.isEmpty()) {
      points = explicit.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
    } else if (!c.getString("split-alphabet").isEmpty()) {
      points =
          RoutingTable.evenSplitPoints(
              c.getString("split-prefix"), c.getString("split-alphabet"), c.getInt("initial-ranges"));
    } else {
      points = RoutingTable.evenSplitPoints(c.getInt("initial-ranges"));
    }
    String routing = c.getString("routing");
    RoutingMode mode =
        switch (routing) {
          case "switch" -> RoutingMode.SWITCH;
          case "server-driven" -> RoutingMode.SERVER_DRIVEN;
          default ->
              throw new IllegalArgumentException(
                  "junction.cluster.routing must be 'switch' or 'server-driven', not '" + routing + "'");
        };
    return new ClusterSettings(
        c.getInt("min-nodes"),
        c.getInt("replication-factor"),
        points,
        c.getDuration("ask-timeout"),
        c.getDuration("ddata-timeout"),
        c.getDuration("wake-interval"),
        c.getDuration("read-lease"),
        c.getDuration("replace-after"),
        c.getInt("bulk.port"),
        (int) Math.min(Integer.MAX_VALUE, c.getBytes("bulk.buffer-size")),
        c.getInt("bulk.buffers"),
        mode,
        new Rebalance(
            c.getDuration("rebalance.interval"),
            new PlacementSettings(
                c.getDouble("rebalance.margin"),
                c.getInt("rebalance.max-moves"),
                c.getInt("rebalance.max-moves-per-node"),
                c.getInt("rebalance.max-copies-per-node"),
                c.getDouble("rebalance.head-weight")),
            c.getDuration("rebalance.copy-timeout"),
            c.getDuration("rebalance.step-timeout"),
            new RangeStats(0, c.getBytes("rebalance.range-floor.bytes"),
                c.getDouble("rebalance.range-floor.reads-per-second"),
                c.getDouble("rebalance.range-floor.writes-per-second")),
            new SplitPolicy(c.getBytes("split.max-bytes"), c.getDouble("split.max-head-requests-per-second"),
                c.getDouble("split.min-node-share"),
                c.getDuration("split.hot-for"), c.getInt("split.max-concurrent"), c.getInt("split.max-ranges")),
            c.getDuration("rebalance.move-back-after")),
        new Stats(c.getDuration("stats.interval"), c.getDuration("stats.half-life"),
            c.getDuration("stats.size-interval")),
        c.getDuration("leave.drain-timeout"),
        c.getBoolean("announce-tables"));
  }
}
