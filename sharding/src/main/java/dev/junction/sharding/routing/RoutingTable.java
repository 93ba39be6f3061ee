package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.store.Keys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The match-action table of the emulated switch (TurboKV): key to range to chain. Immutable and versioned.
 *
 * <p>Guarantees, checked when a table is made (an {@link IllegalArgumentException} says what is wrong
 * otherwise):
 *
 * <ul>
 *   <li>the ranges cover the whole key space exactly once, sorted by start: the first starts at the empty
 *       key, each next one starts where the previous one ends, the last has an open end. So every key
 *       has exactly one range, and {@link #lookup} never fails;
 *   <li>range ids are distinct and every chain has at least one replica;
 *   <li>the version is positive. The controller is the only writer and raises the version with every
 *       change ({@link #withRange}, {@link #withRanges}), so a version names one table and gateways apply
 *       versions in order ({@link TableHolder}).
 * </ul>
 *
 * <p>The table also records the highest range id ever handed out ({@link #lastRangeId}), so that a range
 * id names one range for good: a split takes its new ids from there ({@link #reserveIds}) before any
 * replica learns them, and a controller that takes over goes on from the published table.
 *
 * <p>Lookups are binary searches over the sorted starts: O(log n) for n ranges.
 */
public final class RoutingTable {
  private final long version;
  private final List<RangeConfig> ranges;
  private final Map<Long, Integer> indexById;
  private final long lastRangeId;

  private RoutingTable(long version, List<RangeConfig> ranges, long lastRangeId) {
    if (version < 1) {
      throw new IllegalArgumentException("a routing table version must be positive, not " + version);
    }
    Layout.checkCoversKeySpace(ranges);
    this.version = version;
    this.ranges = List.copyOf(ranges);
    this.indexById = indexById(this.ranges);
    long highest = lastRangeId;
    for (RangeConfig r : this.ranges) {
      highest = Math.max(highest, r.rangeId());
    }
    this.lastRangeId = highest;
  }

  /**
   * A table of {@code ranges} at {@code version}.
   *
   * @param version positive
   * @param ranges sorted by start, covering the whole key space exactly once (see the class comment)
   * @throws IllegalArgumentException if the version is not positive or the ranges are not a valid layout
   */
  public static RoutingTable of(long version, List<RangeConfig> ranges) {
    return new RoutingTable(version, ranges, 0);
  }

  /**
   * The same, recording {@code lastRangeId} as the highest range id handed out (raised to the highest id
   * in {@code ranges} if lower).
   */
  public static RoutingTable of(long version, List<RangeConfig> ranges, long lastRangeId) {
    return new RoutingTable(version, ranges, lastRangeId);
  }

  /**
   * The first table of a new cluster, version 1: {@code splitPoints.size() + 1} ranges with ids 1, 2, …
   * in key order, all at epoch 1. Chains are spread round-robin: the range at position {@code i}
   * (0-based, id {@code i + 1}) has the chain {@code nodes[(i + j) % nodes.size()]} for {@code j = 0 …
   * rf - 1} with slots {@code 0 … rf - 1}, head first, where {@code rf = min(replicationFactor,
   * nodes.size())}. So the replicas of one range are on distinct nodes, and heads and tails are spread
   * evenly.
   *
   * @param splitPoints the starts of all ranges but the first: non-empty keys, strictly increasing
   * @param nodes the nodes to place on: non-empty, no empty name, no name twice
   * @param replicationFactor at least 1; capped at the number of nodes
   * @throws IllegalArgumentException if an argument breaks the rules above
   */
  public static RoutingTable initial(
      List<byte[]> splitPoints, List<String> nodes, int replicationFactor) {
    checkSplitPoints(splitPoints);
    checkNodes(nodes);
    if (replicationFactor < 1) {
      throw new IllegalArgumentException(
          "the replication factor must be at least 1, not " + replicationFactor);
    }
    int rf = Math.min(replicationFactor, nodes.size());
    List<RangeConfig> ranges = new ArrayList<>(splitPoints.size() + 1);
    for (int i = 0; i <= splitPoints.size(); i++) {
      byte[] start = i == 0 ? Keys.unbounded() : splitPoints.get(i - 1);
      byte[] end = i == splitPoints.size() ? Keys.unbounded() : splitPoints.get(i);
      ranges.add(new RangeConfig(i + 1, start, end, 1, roundRobinChain(i, nodes, rf)));
    }
    return new RoutingTable(1, ranges, 0);
  }

  /**
   * Split points that cut the key space into {@code ranges} ranges spread evenly over the leading bytes
   * of a key: for up to 256 ranges, one-byte keys {@code floor(i * 256 / ranges)} for {@code i = 1 …
   * ranges - 1} (for 4 ranges: {@code 0x40, 0x80, 0xC0}); for 257 to 65536 ranges, two-byte keys
   * {@code floor(i * 65536 / ranges)}, big-endian. This balances keys whose leading bytes are uniform
   * (hashed keys, random binary keys); for printable keys use {@link #evenSplitPoints(String, String,
   * int)}.
   *
   * @param ranges between 1 and 65536; 1 gives no split points
   * @return strictly increasing, non-empty keys, ready for {@link #initial}
   * @throws IllegalArgumentException if {@code ranges} is out of bounds
   */
  public static List<byte[]> evenSplitPoints(int ranges) {
    if (ranges < 1 || ranges > 1 << 16) {
      throw new IllegalArgumentException("ranges must be between 1 and 65536, not " + ranges);
    }
    int width = ranges <= 256 ? 1 : 2;
    long space = 1L << (8 * width);
    List<byte[]> points = new ArrayList<>(ranges - 1);
    for (int i = 1; i < ranges; i++) {
      points.add(bigEndian(i * space / ranges, width));
    }
    return List.copyOf(points);
  }

  /**
   * Split points for printable keys: {@code prefix} followed by {@code w} characters picked evenly from
   * {@code alphabet}, where {@code w} is the fewest characters that give {@code ranges} distinct points
   * ({@code alphabet.length()^w >= ranges}): point {@code i} ({@code 1 … ranges - 1}) is the
   * {@code floor(i * n^w / ranges)}-th string of {@code w} characters in order. For example {@code
   * evenSplitPoints("user", "0123456789", 5)} gives {@code user2, user4, user6, user8}, which balances YCSB's
   * {@code user<digits>} keys, and 20 ranges over the same alphabet give {@code user05, user10, …, user95}.
   * Keys before {@code prefix} fall in the first range and keys after {@code prefix}'s subtree in the last.
   *
   * @param prefix the common prefix of the keys, ASCII, possibly empty
   * @param alphabet the characters that follow the prefix, ASCII, in strictly increasing order
   * @param ranges between 1 and {@code alphabet.length()^4} (and 65,536)
   * @return strictly increasing, non-empty keys, ready for {@link #initial}
   * @throws IllegalArgumentException if an argument breaks the rules above
   */
  public static List<byte[]> evenSplitPoints(String prefix, String alphabet, int ranges) {
    checkAscii(prefix, "prefix");
    checkAlphabet(alphabet);
    int n = alphabet.length();
    long most = Math.min(65_536, (long) n * n * n * n);
    if (ranges < 1 || ranges > most) {
      throw new IllegalArgumentException(
          "ranges must be between 1 and " + most + " (for an alphabet of " + n + "), not " + ranges);
    }
    int width = 1;
    long space = n;
    while (space < ranges) {
      width++;
      space *= n;
    }
    List<byte[]> points = new ArrayList<>(ranges - 1);
    for (int i = 1; i < ranges; i++) {
      long q = i * space / ranges;
      char[] chars = new char[width];
      for (int d = width - 1; d >= 0; d--) {
        chars[d] = alphabet.charAt((int) (q % n));
        q /= n;
      }
      points.add((prefix + new String(chars)).getBytes(StandardCharsets.US_ASCII));
    }
    return List.copyOf(points);
  }

  /** The version: positive, raised by one with every change. */
  public long version() {
    return version;
  }

  /** All ranges, sorted by start, covering the whole key space; an immutable list. */
  public List<RangeConfig> ranges() {
    return ranges;
  }

  /** The highest range id ever handed out: at least every id in the table; new ranges take higher ones. */
  public long lastRangeId() {
    return lastRangeId;
  }

  /** The number of ranges, at least 1. */
  public int size() {
    return ranges.size();
  }

  /**
   * The range that holds {@code key}: the one with the greatest start not after the key. Never fails for a
   * non-null key, because the table covers the whole key space. O(log n).
   *
   * @throws IllegalArgumentException if {@code key} is null
   */
  public RangeConfig lookup(byte[] key) {
    if (key == null) {
      throw new IllegalArgumentException("key is missing");
    }
    return ranges.get(floorIndex(key, true));
  }

  /** How many replicas the chains place on {@code node}. */
  public int replicasOn(String node) {
    int n = 0;
    for (RangeConfig range : ranges) {
      for (Replica r : range.chain()) {
        if (r.node().equals(node)) {
          n++;
        }
      }
    }
    return n;
  }

  /** The range right after range {@code rangeId} in key order (empty: none, or no such range). */
  public Optional<RangeConfig> after(long rangeId) {
    Integer i = indexById.get(rangeId);
    return i == null || i + 1 >= ranges.size() ? Optional.empty() : Optional.of(ranges.get(i + 1));
  }

  /** The range right before range {@code rangeId} in key order (empty: none, or no such range). */
  public Optional<RangeConfig> before(long rangeId) {
    Integer i = indexById.get(rangeId);
    return i == null || i == 0 ? Optional.empty() : Optional.of(ranges.get(i - 1));
  }

  /** The range with id {@code rangeId}, or empty if this table has none. */
  public Optional<RangeConfig> range(long rangeId) {
    Integer i = indexById.get(rangeId);
    return i == null ? Optional.empty() : Optional.of(ranges.get(i));
  }

  /**
   * The ranges that intersect {@code [from, to)}, in key order (an empty {@code from} is the start of the
   * key space, an empty {@code to} is open). Empty for an empty interval ({@code from == to}). O(log n + k)
   * for k ranges returned; the list is immutable.
   *
   * @throws IllegalArgumentException if a bound is null or {@code from > to} with {@code to} bounded
   */
  public List<RangeConfig> covering(byte[] from, byte[] to) {
    Intervals.check(from, to);
    if (Intervals.isEmpty(from, to)) {
      return List.of();
    }
    int first = floorIndex(from, true);
    int last = to.length == 0 ? ranges.size() - 1 : floorIndex(to, false);
    return ranges.subList(first, last + 1);
  }

  /**
   * A table with one range's configuration replaced (a chain change), at version + 1.
   *
   * @param updated a range of this table (by id) with the same interval and a higher epoch
   * @throws IllegalArgumentException if the range is unknown, its interval differs, or its epoch is not
   *     higher than the current one
   */
  public RoutingTable withRange(RangeConfig updated) {
    if (updated == null) {
      throw new IllegalArgumentException("updated range is missing");
    }
    RangeConfig current = range(updated.rangeId()).orElseThrow(() -> new IllegalArgumentException(
        "table version " + version + " has no range " + updated.rangeId()));
    checkSameInterval(current, updated);
    if (updated.epoch() <= current.epoch()) {
      throw new IllegalArgumentException(
          "range " + updated.rangeId() + " is at epoch " + current.epoch()
              + "; an update needs a higher epoch, not " + updated.epoch());
    }
    List<RangeConfig> next = new ArrayList<>(ranges);
    next.set(indexById.get(updated.rangeId()), updated);
    return new RoutingTable(version + 1, next, lastRangeId);
  }

  /** The same table at version + 1 (for a publication that changes only what travels with the table). */
  public RoutingTable next() {
    return new RoutingTable(version + 1, ranges, lastRangeId);
  }

  /**
   * The same ranges at version + 1 with {@code n} more range ids handed out: ids {@code lastRangeId() + 1
   * … lastRangeId() + n} of this table belong to whoever asked, once the new table is published.
   *
   * @param n at least 1
   */
  public RoutingTable reserveIds(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("reserve at least one range id, not " + n);
    }
    return new RoutingTable(version + 1, ranges, lastRangeId + n);
  }

  /**
   * The table at version + 1 with range {@code rangeId} split at {@code at}: {@code [start, at)} becomes
   * range {@code leftId} and {@code [at, end)} range {@code rightId}, both at the parent's epoch + 1 on the
   * parent's replicas (each starts from the parent's data on its node): the left part with the parent's
   * chain, the right part with it rotated by one (head second, the parent's head last), so that the two
   * parts' writes enter at different nodes at once, which is what splitting a busy range is for.
   *
   * @throws IllegalArgumentException if the range is unknown, {@code at} is not strictly inside it, or an
   *     id is in use or not handed out yet ({@link #reserveIds})
   */
  public RoutingTable withSplit(long rangeId, byte[] at, long leftId, long rightId) {
    RangeConfig parent = range(rangeId).orElseThrow(() -> new IllegalArgumentException(
        "table version " + version + " has no range " + rangeId));
    if (at == null || !parent.contains(at) || Keys.compare(at, parent.start()) <= 0) {
      throw new IllegalArgumentException("range " + rangeId + " cannot be split at '"
          + (at == null ? "null" : Keys.printable(at)) + "': the key must be strictly inside " + parent);
    }
    for (long id : new long[] {leftId, rightId}) {
      if (indexById.containsKey(id) || id > lastRangeId || id < 1) {
        throw new IllegalArgumentException("range id " + id + " is in use or was not handed out (last handed out: "
            + lastRangeId + ")");
      }
    }
    if (leftId == rightId) {
      throw new IllegalArgumentException("a split needs two distinct ids, not " + leftId + " twice");
    }
    int i = indexById.get(rangeId);
    List<RangeConfig> next = new ArrayList<>(ranges);
    List<Replica> rotated = new ArrayList<>(parent.chain());
    java.util.Collections.rotate(rotated, -1);
    next.set(i, new RangeConfig(rightId, at, parent.end(), parent.epoch() + 1, rotated));
    next.add(i, new RangeConfig(leftId, parent.start(), at, parent.epoch() + 1, parent.chain()));
    return new RoutingTable(version + 1, next, lastRangeId);
  }

  /**
   * The table at version + 1 with range {@code leftId} and the range after it, {@code rightId}, merged into
   * range {@code mergedId}: from the left range's start to the right range's end, at the higher of their
   * epochs + 1, with the left range's chain less the nodes the right range does not use (their replicas
   * there start from both ranges' data on the node; a node that held only one gets a copy later).
   *
   * @throws IllegalArgumentException if a range is unknown, they are not adjacent, no node holds both, or
   *     the merged id is in use or not handed out yet ({@link #reserveIds})
   */
  public RoutingTable withMerge(long leftId, long rightId, long mergedId) {
    RangeConfig left = range(leftId).orElseThrow(() -> new IllegalArgumentException(
        "table version " + version + " has no range " + leftId));
    RangeConfig right = range(rightId).orElseThrow(() -> new IllegalArgumentException(
        "table version " + version + " has no range " + rightId));
    if (after(leftId).map(r -> r.rangeId() != rightId).orElse(true)) {
      throw new IllegalArgumentException("range " + rightId + " does not follow range " + leftId);
    }
    int i = indexById.get(leftId);
    if (indexById.containsKey(mergedId) || mergedId > lastRangeId || mergedId < 1) {
      throw new IllegalArgumentException("range id " + mergedId + " is in use or was not handed out (last handed out: "
          + lastRangeId + ")");
    }
    Set<String> rightNodes = new HashSet<>();
    right.chain().forEach(r -> rightNodes.add(r.node()));
    List<Replica> chain = left.chain().stream().filter(r -> rightNodes.contains(r.node())).toList();
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("ranges " + leftId + " and " + rightId + " share no node");
    }
    List<RangeConfig> next = new ArrayList<>(ranges);
    next.remove(i + 1);
    next.set(i, new RangeConfig(mergedId, left.start(), right.end(), Math.max(left.epoch(), right.epoch()) + 1, chain));
    return new RoutingTable(version + 1, next, lastRangeId);
  }

  /**
   * A table with a whole new layout (after splits, merges or moves), at version + 1. Besides the layout
   * rules of the class comment, a range id that stays must not go back in epoch, and if its configuration
   * changed its epoch must be higher: a {@code (rangeId, epoch)} pair always names one configuration.
   *
   * @param newRanges sorted by start, covering the whole key space exactly once
   * @throws IllegalArgumentException if the layout is invalid or an epoch does not move forward
   */
  public RoutingTable withRanges(List<RangeConfig> newRanges) {
    RoutingTable next = new RoutingTable(version + 1, newRanges, lastRangeId);
    Layout.checkEpochsMoveForward(ranges, next.ranges);
    return next;
  }

  /**
   * True when this table's version is higher than {@code other}'s (non-null), i.e. a gateway holding
   * {@code other} should take this one.
   */
  public boolean isNewerThan(RoutingTable other) {
    return version > other.version;
  }

  /** Equal when the versions, all ranges (ids, intervals, epochs, chains) and the last ids handed out are equal. */
  @Override
  public boolean equals(Object o) {
    return o instanceof RoutingTable t && version == t.version && ranges.equals(t.ranges)
        && lastRangeId == t.lastRangeId;
  }

  /** Consistent with {@link #equals}. */
  @Override
  public int hashCode() {
    return Long.hashCode(version) * 31 + ranges.hashCode();
  }

  /** The version followed by every range in key order: {@code RoutingTable v<version> [<range>, …]}. */
  @Override
  public String toString() {
    return "RoutingTable v" + version + " " + ranges;
  }

  /**
   * The index of the last range whose start is before {@code key} ({@code inclusive}: not after it).
   * Relies on the first start being the empty key, which is before every non-empty key.
   */
  private int floorIndex(byte[] key, boolean inclusive) {
    int lo = 0;
    int hi = ranges.size() - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      int cmp = Keys.compare(ranges.get(mid).start(), key);
      if (cmp < 0 || (inclusive && cmp == 0)) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  private static Map<Long, Integer> indexById(List<RangeConfig> ranges) {
    Map<Long, Integer> byId = new HashMap<>();
    for (int i = 0; i < ranges.size(); i++) {
      byId.put(ranges.get(i).rangeId(), i);
    }
    return Map.copyOf(byId);
  }

  private static void checkSameInterval(RangeConfig current, RangeConfig updated) {
    if (Keys.compare(current.start(), updated.start()) != 0
        || Keys.compare(current.end(), updated.end()) != 0) {
      throw new IllegalArgumentException(
          "range " + updated.rangeId() + " cannot change its interval in withRange (use withRanges): "
              + current + " -> " + updated);
    }
  }

  private static List<Replica> roundRobinChain(int position, List<String> nodes, int rf) {
    List<Replica> chain = new ArrayList<>(rf);
    for (int j = 0; j < rf; j++) {
      chain.add(new Replica(j, nodes.get((position + j) % nodes.size())));
    }
    return chain;
  }

  private static void checkSplitPoints(List<byte[]> splitPoints) {
    if (splitPoints == null) {
      throw new IllegalArgumentException("split points are missing (use an empty list for one range)");
    }
    for (int i = 0; i < splitPoints.size(); i++) {
      byte[] point = splitPoints.get(i);
      if (point == null || point.length == 0) {
        throw new IllegalArgumentException(
            "split point " + i + " is empty; only the first range starts at the empty key");
      }
      if (i > 0 && Keys.compare(splitPoints.get(i - 1), point) >= 0) {
        throw new IllegalArgumentException(
            "split points must be strictly increasing: '" + Keys.printable(splitPoints.get(i - 1))
                + "' is not before '" + Keys.printable(point) + "'");
      }
    }
  }

  private static void checkNodes(List<String> nodes) {
    if (nodes == null || nodes.isEmpty()) {
      throw new IllegalArgumentException("at least one node is needed to place ranges");
    }
    Set<String> seen = new HashSet<>();
    for (String node : nodes) {
      if (node == null || node.isEmpty()) {
        throw new IllegalArgumentException("a node name is empty");
      }
      if (!seen.add(node)) {
        throw new IllegalArgumentException("node " + node + " is listed twice");
      }
    }
  }

  private static void checkAscii(String s, String what) {
    if (s == null) {
      throw new IllegalArgumentException(what + " is missing");
    }
    if (!s.chars().allMatch(c -> c < 0x80)) {
      throw new IllegalArgumentException(what + " must be ASCII: " + s);
    }
  }

  private static void checkAlphabet(String alphabet) {
    checkAscii(alphabet, "alphabet");
    if (alphabet.isEmpty()) {
      throw new IllegalArgumentException("alphabet is empty");
    }
    for (int i = 1; i < alphabet.length(); i++) {
      if (alphabet.charAt(i - 1) >= alphabet.charAt(i)) {
        throw new IllegalArgumentException(
            "alphabet must be in strictly increasing order: '" + alphabet.charAt(i - 1)
                + "' is not before '" + alphabet.charAt(i) + "'");
      }
    }
  }

  private static byte[] bigEndian(long value, int width) {
    byte[] out = new byte[width];
    for (int i = width - 1; i >= 0; i--) {
      out[i] = (byte) value;
      value >>>= 8;
    }
    return out;
  }
}
