package dev.junction.sharding.placement;

/**
 * The planner's knobs.
 *
 * @param margin a node is relieved only when its utilization is above the mean of the up nodes by this
 *     fraction of the mean (0.1: 10 %), and a move must lower the larger utilization of the two nodes by
 *     at least half of that: hysteresis, so that plans do not oscillate on small changes of load
 * @param maxMoves most moves in one plan
 * @param maxPerNode most moves, planned and in flight, that involve one node (as source or target)
 * @param headWeight the extra operations a head serves per write (it takes the client's call and
 *     sequences it), relative to one replica applying it
 */
public record PlacementSettings(double margin, int maxMoves, int maxPerNode, double headWeight) {
  /** A 10 % margin, 16 moves per plan, 2 per node, a head's write counting double. */
  public static final PlacementSettings DEFAULTS = new PlacementSettings(0.10, 16, 2, 1.0);

  public PlacementSettings {
    if (!(margin >= 0) || maxMoves < 0 || maxPerNode < 1 || !(headWeight >= 0)) {
      throw new IllegalArgumentException(
          "invalid placement settings: margin " + margin + ", max moves " + maxMoves + ", per node " + maxPerNode
              + ", head weight " + headWeight);
    }
  }
}
