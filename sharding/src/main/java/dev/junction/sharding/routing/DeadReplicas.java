package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.store.RangeMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * Which replicas' data in a node's store can never serve again, by the routing table: the store's range
 * metadata names each replica whose data it holds (range and slot), and a replica that is not in its live
 * range's chain and never can be is dead. Pure.
 *
 * <p>A slot joins a chain once, when it is new, and never again: the first table's chains use slots below
 * {@link Replacement#FIRST_ADDED_SLOT}; a replica added later gets {@code FIRST_ADDED_SLOT + epoch} at the
 * range's epoch then, and its copy is cancelled as soon as the epoch moves before it joined (which takes
 * the next epoch). So a slot that is not in the chain is dead when it is an initial slot, or an added one
 * from an epoch before the range's current one; a slot from the current epoch may still be copying and
 * join. A node's table may be older than the controller's: that only makes this keep more.
 *
 * <p>A range the table no longer has (it split or merged) is dead too, with its metadata's interval: the
 * ranges that took over its keys start from this node's data and inherit its log, but only where the
 * table places them on this node, and a wipe never touches keys of a range the table places here ({@code
 * Leftovers} checks before every batch). So what goes is the log and metadata of an ended range whose
 * successors all left this node, and any keys of it no successor here took over.
 */
public final class DeadReplicas {
  private DeadReplicas() {}

  /**
   * A replica's data that may go: its range, its slot, the range's interval, and whether the range ended
   * (split or merged) rather than the replica having left a live range's chain.
   */
  public record Dead(long rangeId, int slot, byte[] start, byte[] end, boolean ended) {}

  /** The dead replicas among {@code metas} (by range id) on node {@code self}, by {@code table}. */
  public static List<Dead> find(SortedMap<Long, RangeMeta> metas, RoutingTable table, String self) {
    List<Dead> dead = new ArrayList<>();
    for (Map.Entry<Long, RangeMeta> e : metas.entrySet()) {
      Optional<RangeConfig> range = table.range(e.getKey());
      int slot = e.getValue().slot();
      if (range.isEmpty()) {
        if (e.getKey() <= table.lastRangeId()) { // not a range this (perhaps older) table has not heard of
          dead.add(new Dead(e.getKey(), slot, e.getValue().start(), e.getValue().end(), true));
        }
        continue;
      }
      if (slot == RangeMeta.UNKNOWN_SLOT || inChain(range.get(), slot, self)) {
        continue;
      }
      RangeConfig r = range.get();
      boolean mayJoin = slot >= Replacement.FIRST_ADDED_SLOT && slot >= Replacement.slotFor(r);
      if (!mayJoin) {
        dead.add(new Dead(r.rangeId(), slot, r.start(), r.end(), false));
      }
    }
    return dead;
  }

  /** Whether the chain holds {@code slot}, or any replica on {@code self} (then the data is not dead). */
  private static boolean inChain(RangeConfig range, int slot, String self) {
    for (Replica r : range.chain()) {
      if (r.slot() == slot || r.node().equals(self)) {
        return true;
      }
    }
    return false;
  }
}
