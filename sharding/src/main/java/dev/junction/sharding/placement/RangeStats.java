package dev.junction.sharding.placement;

/**
 * What one range weighs, averaged over the last reports: the bytes one replica stores, and the requests
 * per second its clients send.
 */
public record RangeStats(
    long rangeId, long bytes, double readsPerSecond, double writesPerSecond, double headReadsPerSecond) {
  public RangeStats {
    if (bytes < 0 || readsPerSecond < 0 || writesPerSecond < 0 || headReadsPerSecond < 0) {
      throw new IllegalArgumentException("range " + rangeId + ": negative statistics");
    }
    headReadsPerSecond = Math.min(headReadsPerSecond, readsPerSecond);
  }

  /** A range whose reads may be served by any replica. */
  public RangeStats(long rangeId, long bytes, double readsPerSecond, double writesPerSecond) {
    this(rangeId, bytes, readsPerSecond, writesPerSecond, 0);
  }

  /** A range nothing is known of yet (weighs nothing). */
  public static RangeStats unknown(long rangeId) {
    return new RangeStats(rangeId, 0, 0, 0);
  }
}
