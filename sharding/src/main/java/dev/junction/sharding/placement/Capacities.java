package dev.junction.sharding.placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What each node offers the planner, per dimension (storage bytes, operations per second): what the nodes
 * announce ({@code junction.cluster.capacity}) when every node that takes replicas announces it, else an
 * equal share of what all replicas need (so a utilization of 1 is a node's fair share). All or nothing per
 * dimension: a mix of absolute and relative capacities would compare apples with pears. Pure.
 */
public final class Capacities {
  private Capacities() {}

  /**
   * The planner's nodes.
   *
   * @param up the up nodes, in order
   * @param draining the nodes being drained (they take nothing; they do not count for the fair share)
   * @param racks each node's rack label (absent: none)
   * @param storage each node's announced storage in bytes (absent or 0: not announced)
   * @param ops each node's announced operations per second (absent or 0: not announced)
   * @param neededBytes what all replicas need in bytes
   * @param neededOps what all replicas need in operations per second
   */
  public static List<NodeSpec> nodes(List<String> up, Set<String> draining, Map<String, String> racks,
      Map<String, Long> storage, Map<String, Double> ops, double neededBytes, double neededOps) {
    List<String> takers = up.stream().filter(n -> !draining.contains(n)).toList();
    long share = Math.max(1, Math.round(neededBytes / Math.max(1, takers.size())));
    double opsShare = Math.max(1e-9, neededOps / Math.max(1, takers.size()));
    boolean absoluteStorage = announcedByAll(takers, storage.keySet(), n -> storage.get(n) > 0);
    boolean absoluteOps = announcedByAll(takers, ops.keySet(), n -> ops.get(n) > 0);
    List<NodeSpec> out = new ArrayList<>();
    for (String n : up) {
      long bytes = absoluteStorage && storage.getOrDefault(n, 0L) > 0 ? storage.get(n) : share;
      double rate = absoluteOps && ops.getOrDefault(n, 0.0) > 0 ? ops.get(n) : opsShare;
      out.add(new NodeSpec(n, racks.getOrDefault(n, ""), bytes, rate,
          draining.contains(n) ? NodeSpec.State.DRAINING : NodeSpec.State.UP));
    }
    return out;
  }

  private static boolean announcedByAll(List<String> takers, Collection<String> announcing,
      java.util.function.Predicate<String> positive) {
    return !takers.isEmpty() && takers.stream().allMatch(n -> announcing.contains(n) && positive.test(n));
  }
}
