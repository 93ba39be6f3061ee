package dev.junction.sharding.placement;

/**
 * A node as the planner sees it: what it offers and whether it may take replicas.
 *
 * @param node the node's address (as in the routing table)
 * @param rack its rack label, or empty when racks are not configured
 * @param storageBytes the bytes of replica data it may hold
 * @param opsPerSecond the replica operations per second it serves at full load
 * @param state whether it takes replicas ({@link State#UP}), gives all of them away ({@link
 *     State#DRAINING}) or is lost ({@link State#DOWN})
 */
public record NodeSpec(String node, String rack, long storageBytes, double opsPerSecond, State state) {
  /** A node's standing for placement. */
  public enum State {
    UP,
    DRAINING,
    DOWN
  }

  public NodeSpec {
    if (node == null || node.isEmpty()) {
      throw new IllegalArgumentException("a node needs a name");
    }
    rack = rack == null ? "" : rack;
    if (storageBytes <= 0 || !(opsPerSecond > 0)) {
      throw new IllegalArgumentException(
          "node " + node + " needs positive capacities, not " + storageBytes + " bytes and " + opsPerSecond + " ops/s");
    }
  }

  /** An up node without a rack. */
  public static NodeSpec up(String node, long storageBytes, double opsPerSecond) {
    return new NodeSpec(node, "", storageBytes, opsPerSecond, State.UP);
  }

  /** Whether it may take new replicas. */
  public boolean accepting() {
    return state == State.UP;
  }

  /** This node in another state. */
  public NodeSpec in(State next) {
    return new NodeSpec(node, rack, storageBytes, opsPerSecond, next);
  }
}
