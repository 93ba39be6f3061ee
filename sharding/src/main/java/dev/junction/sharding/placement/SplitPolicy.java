package dev.junction.sharding.placement;

import java.time.Duration;

/**
 * When the controller splits a range by itself ({@link SplitScheduler}).
 *
 * @param maxBytes a range whose tail measured more bytes (keys and values) splits at the key near the
 *     middle of its bytes; 0: never by size
 * @param maxHeadRequestsPerSecond a range whose head served more writes and latest-reads per second (the
 *     gateways' last windows, not the moving averages) for {@code hotFor} splits at the median key of the
 *     requests sampled meanwhile; 0: never by load. Plain reads do not count: every replica serves them,
 *     a split would not spread them
 * @param minNodeShare and only while the range takes more than this fraction of a node's fair part of all
 *     the ranges' head requests (their sum over the nodes): a range lighter than that is balanced by
 *     moving its head whole, and a split of it only adds a range (and reconfigurations) to a cluster whose
 *     nodes are as busy as before. 0: the threshold alone decides
 * @param hotFor how long a range must stay above {@code maxHeadRequestsPerSecond}
 * @param maxConcurrent most splits under way at once
 * @param maxRanges no split by itself once the table holds this many ranges
 */
public record SplitPolicy(
    long maxBytes, double maxHeadRequestsPerSecond, double minNodeShare, Duration hotFor, int maxConcurrent,
    int maxRanges) {
  /**
   * 256 MiB; 500 head requests per second and more than a node's part for 5 s; 2 at a time; at
   * most 4,096 ranges.
   */
  public static final SplitPolicy DEFAULTS = new SplitPolicy(256L << 20, 500, 1.0, Duration.ofSeconds(5), 2, 4096);

  public SplitPolicy {
    if (maxBytes < 0 || !(maxHeadRequestsPerSecond >= 0) || !(minNodeShare >= 0) || hotFor.isNegative()
        || maxConcurrent < 1 || maxRanges < 1) {
      throw new IllegalArgumentException("junction.cluster.split: max-bytes, max-head-requests-per-second and "
          + "min-node-share must not be negative (0: off), hot-for not negative, max-concurrent and max-ranges at "
          + "least 1");
    }
  }
}
