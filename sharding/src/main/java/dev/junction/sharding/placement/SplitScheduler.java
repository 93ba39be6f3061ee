package dev.junction.sharding.placement;

import dev.junction.chain.core.RangeConfig;
import dev.junction.sharding.routing.RoutingTable;
import dev.junction.store.Keys;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Proposes splits from the load statistics (it only proposes: the controller starts them as operators).
 * Pure, on a caller-supplied clock (nanoseconds).
 *
 * <ul>
 *   <li>By size: a range whose tail measured more than {@link SplitPolicy#maxBytes} splits at the key near
 *       the middle of its bytes.
 *   <li>By load: a range whose head's recent rate (writes and latest-reads in the gateways' last windows,
 *       not the slow moving averages) stays above {@link SplitPolicy#maxHeadRequestsPerSecond} for {@link SplitPolicy#hotFor} splits at the
 *       key that cuts the requests the gateways sampled in two ({@link KeySamples#splitKeys}), so each part
 *       takes about half of them (a single hot key cannot be split: then nothing is proposed), provided it
 *       also takes more than {@link SplitPolicy#minNodeShare} of a node's fair part of all the head
 *       requests. A split spreads one range's head work over two nodes; when every range is lighter than a
 *       node's part, moving heads whole balances the nodes, and splits would only reconfigure chains under
 *       the clients (measured: YCSB A on 3 nodes and 9 ranges, ~11 % of the requests each, split 5 ranges
 *       and moved heads 12 times in its first 20 s, and ran at 0.77 of its throughput without them).
 * </ul>
 *
 * A range with an operator under way is left alone, at most {@link SplitPolicy#maxConcurrent} splits run
 * at once (those under way count), and none is proposed once the table holds {@link SplitPolicy#maxRanges}
 * ranges.
 */
public final class SplitScheduler {
  private final SplitPolicy policy;
  /** Since when each range has been above the load threshold. */
  private final Map<Long, Long> hotSince = new HashMap<>();

  public SplitScheduler(SplitPolicy policy) {
    this.policy = policy;
  }

  /**
   * The splits to start now, on {@code table} with the ranges' {@code loads} (sizes), their recent
   * request rates ({@code recent}; absent: idle), where each range's sampled requests would be cut in two
   * ({@code cuts}, {@link KeySamples#splitKeys}; a range without such a key is absent), the operators
   * under way, and the number of {@code nodes} that share the head requests (the up members).
   */
  public List<Move.SplitRange> propose(RoutingTable table, Collection<LoadBook.RangeLoad> loads,
      Map<Long, Double> recent, Map<Long, byte[]> cuts, Collection<MoveBook.Operator> running, int nodes, long now) {
    double total = 0;
    for (RangeConfig range : table.ranges()) {
      total += recent.getOrDefault(range.rangeId(), 0.0);
    }
    double share = total / Math.max(1, nodes); // a node's fair part of the head requests
    Map<Long, LoadBook.RangeLoad> byRange = new HashMap<>();
    loads.forEach(l -> byRange.put(l.rangeId(), l));
    hotSince.keySet().removeIf(id -> table.range(id).isEmpty());
    long underWay = running.stream().filter(op -> op.move() instanceof Move.SplitRange).count();
    List<Move.SplitRange> out = new ArrayList<>();
    int ranges = table.size();
    for (RangeConfig range : table.ranges()) {
      LoadBook.RangeLoad load = byRange.get(range.rangeId());
      if (load == null) {
        continue;
      }
      Move.SplitRange split = byLoad(range, recent.getOrDefault(range.rangeId(), 0.0), share, cuts.get(range.rangeId()), now);
      if (split == null) {
        split = bySize(range, load);
      }
      boolean busy = running.stream().anyMatch(op -> Move.involves(op.move(), range.rangeId()));
      if (split != null && !busy && underWay + out.size() < policy.maxConcurrent() && ranges < policy.maxRanges()) {
        out.add(split);
        ranges++;
        hotSince.remove(range.rangeId());
      }
    }
    return out;
  }

  private Move.SplitRange byLoad(RangeConfig range, double rate, double share, byte[] cut, long now) {
    if (policy.maxHeadRequestsPerSecond() <= 0 || rate <= policy.maxHeadRequestsPerSecond()
        || rate <= policy.minNodeShare() * share) {
      hotSince.remove(range.rangeId());
      return null;
    }
    long since = hotSince.computeIfAbsent(range.rangeId(), id -> now);
    if (now - since < policy.hotFor().toNanos() || !strictlyInside(range, cut)) {
      return null;
    }
    return new Move.SplitRange(range.rangeId(), cut, 0, 0, String.format(
        "%.0f head requests/s for %ds, above split.max-head-requests-per-second (%.0f) and %.0f%% of a node's part "
            + "(%.0f): split where its sampled requests divide in two",
        rate, (now - since) / 1_000_000_000L, policy.maxHeadRequestsPerSecond(), 100 * rate / share, share));
  }

  private Move.SplitRange bySize(RangeConfig range, LoadBook.RangeLoad load) {
    if (policy.maxBytes() <= 0 || !load.sized() || load.bytes() <= policy.maxBytes()
        || !strictlyInside(range, load.middleKey())) {
      return null;
    }
    return new Move.SplitRange(range.rangeId(), load.middleKey(), 0, 0, String.format(
        "holds %d MiB, above split.max-bytes (%d MiB): split at the middle of its bytes",
        load.bytes() >> 20, policy.maxBytes() >> 20));
  }

  private static boolean strictlyInside(RangeConfig range, byte[] key) {
    return key != null && key.length > 0 && range.contains(key) && Keys.compare(key, range.start()) > 0;
  }
}
