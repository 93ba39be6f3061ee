package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReadOp;
import dev.junction.store.Keys;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * How a scan of {@code [from, to)} is cut along range boundaries: one {@link Part} per range the interval
 * intersects, in key order, each clamped to its range. A router asks each part's tail in turn and stops
 * when it has {@code limit} entries ({@link ScanCursor} keeps that count). As the design says, the result
 * is each range's committed state at the moment its tail answered, not one snapshot of all ranges.
 */
public final class ScanPlan {
  private ScanPlan() {}

  /**
   * One range's share of a scan: the non-empty interval {@code [subFrom, subTo)} inside {@code range}
   * (an empty {@code subFrom} is the start of the key space, an empty {@code subTo} is open).
   *
   * @param range the range to ask (its tail serves the scan at its epoch)
   * @param subFrom the first key asked for, at or after {@code range.start()}
   * @param subTo the end, exclusive, at or before {@code range.end()} (open only if the range is)
   */
  public record Part(RangeConfig range, byte[] subFrom, byte[] subTo) {
    /**
     * Copies the bounds.
     *
     * @throws IllegalArgumentException if an argument is null, the interval is empty or inverted, or it
     *     is not inside {@code range}
     */
    public Part {
      if (range == null) {
        throw new IllegalArgumentException("range is missing");
      }
      Intervals.check(subFrom, subTo);
      if (Intervals.isEmpty(subFrom, subTo)) {
        throw new IllegalArgumentException("a scan part cannot be empty: " + Keys.printable(subFrom));
      }
      if (Keys.compare(subFrom, range.start()) < 0 || !endsWithin(subTo, range.end())) {
        throw new IllegalArgumentException(
            "[" + Keys.printable(subFrom) + ", " + Keys.printable(subTo) + ") is not inside " + range);
      }
      subFrom = subFrom.clone();
      subTo = subTo.clone();
    }

    /** The first key asked for, as a copy (the record keeps its own). */
    @Override
    public byte[] subFrom() {
      return subFrom.clone();
    }

    /** The exclusive end, as a copy (the record keeps its own); empty when open. */
    @Override
    public byte[] subTo() {
      return subTo.clone();
    }

    /** The read to send to this part's tail: a scan of this part's interval, up to {@code limit}. */
    public ReadOp.Scan scan(int limit) {
      if (limit < 1) {
        throw new IllegalArgumentException("scan limit must be positive, not " + limit);
      }
      return new ReadOp.Scan(subFrom.clone(), subTo.clone(), limit);
    }

    /** Equal when the ranges are equal and the bounds hold the same bytes. */
    @Override
    public boolean equals(Object o) {
      return o instanceof Part p
          && range.equals(p.range)
          && Arrays.equals(subFrom, p.subFrom)
          && Arrays.equals(subTo, p.subTo);
    }

    /** Consistent with {@link #equals}: over the range and the bytes of the bounds. */
    @Override
    public int hashCode() {
      return (range.hashCode() * 31 + Arrays.hashCode(subFrom)) * 31 + Arrays.hashCode(subTo);
    }

    private static boolean endsWithin(byte[] subTo, byte[] end) {
      return end.length == 0 || (subTo.length != 0 && Keys.compare(subTo, end) <= 0);
    }

    /** The range id and the clamped interval, e.g. {@code Part[2 [b, c)]}. */
    @Override
    public String toString() {
      return "Part[" + range.rangeId() + " [" + Keys.printable(subFrom) + ", "
          + (subTo.length == 0 ? "+inf" : Keys.printable(subTo)) + ")]";
    }
  }

  /**
   * The parts of a scan of {@code [from, to)} over {@code table}, in key order: one per range the interval
   * intersects, with {@code subFrom = max(from, range.start)} and {@code subTo = min(to, range.end)}
   * (empty bounds are open). The parts are disjoint, adjacent and together exactly {@code [from, to)};
   * an empty interval ({@code from == to}) has no parts.
   *
   * @throws IllegalArgumentException if a bound is null or {@code from > to} with {@code to} bounded
   */
  public static List<Part> plan(RoutingTable table, byte[] from, byte[] to) {
    List<RangeConfig> ranges = table.covering(from, to);
    List<Part> parts = new ArrayList<>(ranges.size());
    for (RangeConfig r : ranges) {
      parts.add(new Part(r, Intervals.maxStart(from, r.start()), Intervals.minEnd(to, r.end())));
    }
    return List.copyOf(parts);
  }

  /**
   * The answers of the parts, concatenated in part order and cut at {@code limit} elements. Since the
   * parts are in key order and each answer is in key order, the result is in key order; it holds the
   * first {@code limit} entries of the whole scan provided each part's answer holds that part's first
   * entries (as a tail's scan with the same limit does).
   *
   * @param perPartResults one list per part, in part order (later parts may be missing once the limit is
   *     reached)
   * @param limit positive
   * @return a new immutable list of at most {@code limit} elements
   */
  public static <T> List<T> mergeInOrder(List<? extends List<? extends T>> perPartResults, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("scan limit must be positive, not " + limit);
    }
    List<T> merged = new ArrayList<>();
    for (List<? extends T> part : perPartResults) {
      for (T entry : part) {
        if (merged.size() == limit) {
          return Collections.unmodifiableList(merged);
        }
        merged.add(entry);
      }
    }
    return Collections.unmodifiableList(merged);
  }
}
