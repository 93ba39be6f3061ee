package dev.junction.sharding.routing;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The switch's counters at one moment: per range and per node, the requests and bytes counted since the
 * counters were created or last reset. Immutable; the maps are sorted (range ids ascending, node names in
 * {@link String} order), so printing or comparing snapshots is deterministic. Only ranges and nodes with at
 * least one request or byte counted appear.
 *
 * @param byRange counts per range id
 * @param byNode counts per node
 */
public record LoadSnapshot(SortedMap<Long, Counts> byRange, SortedMap<String, Counts> byNode) {
  /** A snapshot with nothing counted. */
  public static final LoadSnapshot EMPTY = new LoadSnapshot(new TreeMap<>(), new TreeMap<>());

  /** Copies both maps into unmodifiable sorted maps in natural key order. */
  public LoadSnapshot {
    byRange = Collections.unmodifiableSortedMap(new TreeMap<>(byRange));
    byNode = Collections.unmodifiableSortedMap(new TreeMap<>(byNode));
  }

  /** The counts of one range, zero if it had no traffic. */
  public Counts range(long rangeId) {
    return byRange.getOrDefault(rangeId, Counts.ZERO);
  }

  /** The counts of one node, zero if it had no traffic. */
  public Counts node(String node) {
    return byNode.getOrDefault(node, Counts.ZERO);
  }

  /** The sum over all ranges (every request is counted once per range and once per node). */
  public Counts total() {
    return byRange.values().stream().reduce(Counts.ZERO, Counts::plus);
  }

  /**
   * Requests and bytes of one range or node. A read's and a scan's bytes are what they returned (out); a
   * write's bytes are what it carried (in).
   *
   * @param reads single-key reads
   * @param writes writes of any kind (put, delete, compare-and-set)
   * @param scans scan requests (one per range part asked)
   * @param bytesIn bytes carried in by writes
   * @param bytesOut bytes returned by reads and scans
   * @param latestReads the reads among {@code reads} that were latest-reads (served at the range's head)
   */
  public record Counts(long reads, long writes, long scans, long bytesIn, long bytesOut, long latestReads) {
    /** Nothing counted. */
    public static final Counts ZERO = new Counts(0, 0, 0, 0, 0, 0);

    /** Rejects negative counts, and more latest-reads than reads. */
    public Counts {
      if (reads < 0 || writes < 0 || scans < 0 || bytesIn < 0 || bytesOut < 0 || latestReads < 0) {
        throw new IllegalArgumentException("counts must not be negative");
      }
      if (latestReads > reads) {
        throw new IllegalArgumentException("latest-reads are reads: " + latestReads + " of " + reads);
      }
    }

    /** Counts without latest-reads. */
    public Counts(long reads, long writes, long scans, long bytesIn, long bytesOut) {
      this(reads, writes, scans, bytesIn, bytesOut, 0);
    }

    /** Reads, writes and scans together. */
    public long requests() {
      return reads + writes + scans;
    }

    /** True when nothing was counted. */
    public boolean isZero() {
      return equals(ZERO);
    }

    /** The field-by-field sum of this and {@code other}. */
    public Counts plus(Counts other) {
      return new Counts(reads + other.reads, writes + other.writes, scans + other.scans,
          bytesIn + other.bytesIn, bytesOut + other.bytesOut, latestReads + other.latestReads);
    }
  }
}
