package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The controller's first checker, as a pure function: which chains drop which replicas when nodes are
 * lost. Following the chain replication paper, a lost head is replaced by the next replica and a lost
 * middle is bridged (its predecessor resends to the new successor); each changed range gets the next
 * epoch, which fences every message of the old configuration.
 *
 * <p>A lost <b>tail</b> is not removed yet: promoting its predecessor is only safe once the old tail can no
 * longer serve reads, which needs tail read leases (the next step of failure handling). Until then a range
 * whose tail is lost stays unavailable rather than risk a stale read. A chain never drops its last replica.
 */
public final class ChainRepair {
  private ChainRepair() {}

  /** What a repair changes: the new table, and the ranges left waiting for their lost tail. */
  public record Plan(RoutingTable table, List<Long> changed, List<Long> waitingForTail) {}

  /**
   * The table without the {@code lost} nodes' heads and middles, or empty when nothing changes.
   *
   * @param lost node addresses considered lost (unreachable or removed)
   */
  public static Optional<Plan> withoutLostNodes(RoutingTable table, Set<String> lost) {
    List<RangeConfig> next = new ArrayList<>(table.size());
    List<Long> changed = new ArrayList<>();
    List<Long> waiting = new ArrayList<>();
    for (RangeConfig range : table.ranges()) {
      List<Replica> chain = range.chain();
      List<Replica> kept = new ArrayList<>();
      for (int i = 0; i < chain.size(); i++) {
        Replica r = chain.get(i);
        boolean isTail = i == chain.size() - 1;
        if (lost.contains(r.node()) && !isTail) {
          continue;
        }
        kept.add(r);
      }
      if (lost.contains(range.tail().node())) {
        waiting.add(range.rangeId());
      }
      if (kept.size() < chain.size() && !kept.isEmpty()) {
        next.add(range.withChain(kept));
        changed.add(range.rangeId());
      } else {
        next.add(range);
      }
    }
    if (changed.isEmpty()) {
      return waiting.isEmpty() ? Optional.empty() : Optional.of(new Plan(table, List.of(), waiting));
    }
    return Optional.of(new Plan(table.withRanges(next), changed, waiting));
  }
}
