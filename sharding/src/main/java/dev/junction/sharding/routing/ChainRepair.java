package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The controller's failure checker, as a pure function: which chains drop which replicas when nodes are
 * lost. Following the chain replication paper, a lost head is replaced by the next replica, a lost middle
 * is bridged (its predecessor resends to the new successor), and a lost tail is replaced by its
 * predecessor, which commits what it holds. Each changed range gets the next epoch, which fences every
 * message of the old configuration.
 *
 * <p>A lost <b>tail</b> is dropped only once its read lease is released ({@link TailRelease}): until then
 * it may still serve reads where it runs, and a new tail committing writes would make those reads stale.
 * Such a range is reported as waiting. A chain never drops its last replica.
 */
public final class ChainRepair {
  private ChainRepair() {}

  /** Whether a lost tail can no longer hold a read lease. */
  @FunctionalInterface
  public interface TailRelease {
    boolean released(long rangeId, int slot);
  }

  /**
   * What a repair changes: the new table, and the ranges left waiting (a lost tail whose lease may still
   * run, or a lost last replica).
   */
  public record Plan(RoutingTable table, List<Long> changed, List<Long> waitingForTail) {}

  /**
   * The table without the {@code lost} nodes' replicas, lost tails only when {@code tails} says their
   * lease is released; empty when nothing is lost.
   *
   * @param lost node addresses considered lost (unreachable or removed)
   */
  public static Optional<Plan> withoutLostNodes(RoutingTable table, Set<String> lost, TailRelease tails) {
    List<RangeConfig> next = new ArrayList<>(table.size());
    List<Long> changed = new ArrayList<>();
    List<Long> waiting = new ArrayList<>();
    for (RangeConfig range : table.ranges()) {
      List<Replica> chain = range.chain();
      List<Replica> kept = new ArrayList<>();
      for (Replica r : chain) {
        if (!lost.contains(r.node())) {
          kept.add(r);
        }
      }
      Replica tail = range.tail();
      if (kept.isEmpty()) {
        next.add(range); // every replica lost: nothing to promote, wait for one to return
        waiting.add(range.rangeId());
        continue;
      }
      if (lost.contains(tail.node()) && !tails.released(range.rangeId(), tail.slot())) {
        kept.add(tail); // keep it until its lease ran out
        waiting.add(range.rangeId());
      }
      if (kept.size() < chain.size()) {
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

  /** The lost tails of {@code table}: range id to the tail's slot, for the lease table to revoke. */
  public static Map<Long, Integer> lostTails(RoutingTable table, Set<String> lost) {
    Map<Long, Integer> out = new HashMap<>();
    for (RangeConfig range : table.ranges()) {
      if (lost.contains(range.tail().node())) {
        out.put(range.rangeId(), range.tail().slot());
      }
    }
    return out;
  }
}
