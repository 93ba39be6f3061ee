package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.ReplicaId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The controller's failure checker, as a pure function: which chains drop which replicas when nodes are
 * lost. Following the chain replication paper, a lost head is replaced by the next replica, a lost middle
 * is bridged (its predecessor resends to the new successor), and a lost tail is replaced by its
 * predecessor, which commits what is durable at it. Each changed range gets the next epoch, which fences
 * every message of the old configuration.
 *
 * <p>Every replica serves reads under a lease (CRAQ), so a lost replica is dropped only once its read
 * lease is released ({@link Release}): until then it may still serve reads where it runs, and a chain
 * committing writes without it would make those reads stale. A range with such a replica is reported as
 * waiting. A chain never drops its last replica.
 */
public final class ChainRepair {
  private ChainRepair() {}

  /** Whether a lost replica can no longer hold a read lease. */
  @FunctionalInterface
  public interface Release {
    boolean released(long rangeId, int slot);
  }

  /**
   * What a repair changes: the new table, and the ranges left waiting (a lost replica whose lease may
   * still run, or a lost last replica).
   */
  public record Plan(RoutingTable table, List<Long> changed, List<Long> waiting) {}

  /**
   * The table without the {@code lost} nodes' replicas, each only once {@code release} says its lease is
   * released; empty when nothing is lost.
   *
   * @param lost node addresses considered lost (unreachable or removed)
   */
  public static Optional<Plan> withoutLostNodes(RoutingTable table, Set<String> lost, Release release) {
    List<RangeConfig> next = new ArrayList<>(table.size());
    List<Long> changed = new ArrayList<>();
    List<Long> waiting = new ArrayList<>();
    for (RangeConfig range : table.ranges()) {
      List<Replica> chain = range.chain();
      if (chain.stream().allMatch(r -> lost.contains(r.node()))) {
        next.add(range); // every replica lost: nothing to promote, wait for one to return
        waiting.add(range.rangeId());
        continue;
      }
      List<Replica> kept = new ArrayList<>();
      boolean waits = false;
      for (Replica r : chain) {
        if (!lost.contains(r.node())) {
          kept.add(r);
        } else if (!release.released(range.rangeId(), r.slot())) {
          kept.add(r); // keep it until its lease ran out
          waits = true;
        }
      }
      if (waits) {
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

  /** The replicas of {@code table} on {@code lost} nodes, for the lease table to revoke. */
  public static Set<ReplicaId> lostReplicas(RoutingTable table, Set<String> lost) {
    Set<ReplicaId> out = new HashSet<>();
    for (RangeConfig range : table.ranges()) {
      for (Replica r : range.chain()) {
        if (lost.contains(r.node())) {
          out.add(range.replicaId(r.slot()));
        }
      }
    }
    return out;
  }
}
