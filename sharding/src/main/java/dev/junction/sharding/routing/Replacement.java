package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Restoring a range's replication factor, as pure functions: where a range that runs short of replicas
 * gets its new one, under which slot, and the configuration that adds it at the tail.
 *
 * <p>Slots: the first table numbers a chain's replicas {@code 0 … rf - 1}; a replica added later gets
 * {@code FIRST_ADDED_SLOT + epoch}, the range's epoch when the copy started. A range's epoch grows with
 * every change of its chain, so two replicas added at different times never share a slot. A copy that
 * is retried before the epoch moved keeps the slot (and, on another node, is the same entity moved
 * there: only the node the controller names may report it ready).
 */
public final class Replacement {
  /** Slots of replicas added after the first table start here (above any initial chain's slots). */
  public static final int FIRST_ADDED_SLOT = 64;

  private Replacement() {}

  /** A range to copy to a node: its new replica's slot, and the replica to copy from (the tail). */
  public record Candidate(long rangeId, int slot, String node, int sourceSlot) {}

  /** The slot of a replica added to {@code range} now. */
  public static int slotFor(RangeConfig range) {
    return (int) Math.min(Integer.MAX_VALUE, FIRST_ADDED_SLOT + range.epoch());
  }

  /**
   * Where {@code range}, which has fewer than {@code replicationFactor} replicas, gets a new one: the
   * node of {@code live} that is not in its chain and hosts the fewest replicas of {@code table} (ties:
   * the lowest address). Empty when the chain is full or no live node is left outside it.
   */
  public static Optional<Candidate> forRange(
      RoutingTable table, RangeConfig range, Collection<String> live, int replicationFactor) {
    if (range.chain().size() >= replicationFactor) {
      return Optional.empty();
    }
    Map<String, Integer> load = new HashMap<>();
    for (RangeConfig r : table.ranges()) {
      for (Replica x : r.chain()) {
        load.merge(x.node(), 1, Integer::sum);
      }
    }
    String best = null;
    for (String node : live) {
      if (range.chain().stream().anyMatch(x -> x.node().equals(node))) {
        continue;
      }
      int l = load.getOrDefault(node, 0);
      if (best == null || l < load.getOrDefault(best, 0) || (l == load.getOrDefault(best, 0) && node.compareTo(best) < 0)) {
        best = node;
      }
    }
    return best == null
        ? Optional.empty()
        : Optional.of(new Candidate(range.rangeId(), slotFor(range), best, range.tail().slot()));
  }

  /** {@code range} with the replica {@code slot} on {@code node} added at the tail, at the next epoch. */
  public static RangeConfig withJoined(RangeConfig range, int slot, String node) {
    List<Replica> chain = new ArrayList<>(range.chain());
    chain.add(new Replica(slot, node));
    return range.withChain(chain);
  }
}
