package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import dev.junction.store.Keys;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The checks that make a list of ranges a valid routing table layout, each failing with an {@link
 * IllegalArgumentException} that names the ranges and keys at fault. Package-private: {@link RoutingTable}
 * is the only caller.
 */
final class Layout {
  private Layout() {}

  /**
   * Checks that {@code ranges} cover the whole key space exactly once, in key order: the first starts at
   * the empty key, each next one starts where the previous one ends, the last has an open end; range ids
   * are distinct and every chain has at least one replica.
   */
  static void checkCoversKeySpace(List<RangeConfig> ranges) {
    if (ranges == null || ranges.isEmpty()) {
      throw new IllegalArgumentException("a routing table needs at least one range");
    }
    if (ranges.stream().anyMatch(Objects::isNull)) {
      throw new IllegalArgumentException("a routing table cannot hold a null range");
    }
    for (int i = 1; i < ranges.size(); i++) {
      checkSorted(ranges.get(i - 1), ranges.get(i));
    }
    checkFirst(ranges.get(0));
    for (int i = 1; i < ranges.size(); i++) {
      checkAdjacent(ranges.get(i - 1), ranges.get(i));
    }
    checkLast(ranges.get(ranges.size() - 1));
    checkDistinctIds(ranges);
    checkChains(ranges);
  }

  /**
   * Checks that no range that {@code before} and {@code after} share (by id) goes back in epoch, and that a
   * shared range whose configuration changed has a higher epoch: a {@code (rangeId, epoch)} pair names one
   * configuration only.
   */
  static void checkEpochsMoveForward(List<RangeConfig> before, List<RangeConfig> after) {
    Map<Long, RangeConfig> old = new HashMap<>();
    before.forEach(r -> old.put(r.rangeId(), r));
    for (RangeConfig next : after) {
      RangeConfig prev = old.get(next.rangeId());
      if (prev == null || prev.equals(next)) {
        continue;
      }
      if (next.epoch() <= prev.epoch()) {
        throw new IllegalArgumentException(
            "range " + next.rangeId() + " changed without a higher epoch (was " + prev.epoch() + ", now "
                + next.epoch() + "): " + prev + " -> " + next);
      }
    }
  }

  private static void checkFirst(RangeConfig first) {
    if (first.start().length != 0) {
      throw new IllegalArgumentException(
          "the first range (id " + first.rangeId() + ") starts at '" + Keys.printable(first.start())
              + "', not at the empty key: the keys before it would have no range");
    }
  }

  private static void checkLast(RangeConfig last) {
    if (last.end().length != 0) {
      throw new IllegalArgumentException(
          "the last range (id " + last.rangeId() + ") ends at '" + Keys.printable(last.end())
              + "' instead of being open: the keys from there on would have no range");
    }
  }

  private static void checkSorted(RangeConfig prev, RangeConfig next) {
    if (Keys.compare(next.start(), prev.start()) <= 0) {
      throw new IllegalArgumentException(
          "ranges are not sorted by start: range " + next.rangeId() + " starts at '"
              + Keys.printable(next.start()) + "', not after range " + prev.rangeId() + "'s start '"
              + Keys.printable(prev.start()) + "'");
    }
  }

  private static void checkAdjacent(RangeConfig prev, RangeConfig next) {
    if (prev.end().length == 0) {
      throw new IllegalArgumentException(
          "range " + prev.rangeId() + " has an open end but range " + next.rangeId()
              + " follows it: they overlap");
    }
    int cmp = Keys.compare(next.start(), prev.end());
    if (cmp < 0) {
      throw new IllegalArgumentException(
          "ranges " + prev.rangeId() + " and " + next.rangeId() + " overlap: range " + prev.rangeId()
              + " ends at '" + Keys.printable(prev.end()) + "' but range " + next.rangeId()
              + " starts at '" + Keys.printable(next.start()) + "'");
    }
    if (cmp > 0) {
      throw new IllegalArgumentException(
          "gap between ranges " + prev.rangeId() + " and " + next.rangeId() + ": the keys from '"
              + Keys.printable(prev.end()) + "' to '" + Keys.printable(next.start())
              + "' would have no range");
    }
  }

  private static void checkDistinctIds(List<RangeConfig> ranges) {
    Set<Long> seen = new HashSet<>();
    for (RangeConfig r : ranges) {
      if (!seen.add(r.rangeId())) {
        throw new IllegalArgumentException("range id " + r.rangeId() + " appears twice");
      }
    }
  }

  private static void checkChains(List<RangeConfig> ranges) {
    for (RangeConfig r : ranges) {
      if (r.chain().isEmpty()) {
        throw new IllegalArgumentException(
            "range " + r.rangeId() + " has an empty chain: requests to it could not be routed");
      }
    }
  }
}
