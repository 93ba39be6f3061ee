package dev.junction.sharding.placement;

/**
 * What one range weighs, averaged over the last reports: the bytes one replica stores, and the requests
 * per second its clients send.
 */
public record RangeStats(long rangeId, long bytes, double readsPerSecond, double writesPerSecond) {
  public RangeStats {
    if (bytes < 0 || readsPerSecond < 0 || writesPerSecond < 0) {
      throw new IllegalArgumentException("range " + rangeId + ": negative statistics");
    }
  }

  /** A range nothing is known of yet (weighs nothing). */
  public static RangeStats unknown(long rangeId) {
    return new RangeStats(rangeId, 0, 0, 0);
  }
}
