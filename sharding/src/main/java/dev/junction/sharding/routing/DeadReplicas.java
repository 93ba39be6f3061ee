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
 * <p>The metadata of a range the table no longer has (it split or merged) is left alone: the ranges that
 * took over its keys may start from this node's data.
 */
public final class DeadReplicas {
  private DeadReplicas() {}

  /** A replica's data that may go: its range, its slot and the range's interval. */
  public record Dead(long rangeId, int slot, byte[] start, byte[] end) {}

  /** The dead replicas among {@code metas} (by range id) on node {@code self}, by {@code table}. */
  public static List<Dead> find(SortedMap<Long, RangeMeta> metas, RoutingTable table, String self) {
    List<Dead> dead = new ArrayList<>();
    for (Map.Entry<Long, RangeMeta> e : metas.entrySet()) {
      Optional<RangeConfig> range = table.range(e.getKey());
      int slot = e.getValue().slot();
      if (range.isEmpty() || slot == RangeMeta.UNKNOWN_SLOT || inChain(range.get(), slot, self)) {
        continue;
      }
      RangeConfig r = range.get();
      boolean mayJoin = slot >= Replacement.FIRST_ADDED_SLOT && slot >= Replacement.slotFor(r);
      if (!mayJoin) {
        dead.add(new Dead(r.rangeId(), slot, r.start(), r.end()));
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
