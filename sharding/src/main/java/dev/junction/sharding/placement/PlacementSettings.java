package dev.junction.sharding.placement;

/**
 * The planner's knobs.
 *
 * @param margin a node is relieved only when its utilization is above the mean of the up nodes by this
 *     fraction of the mean (0.1: 10 %), and a move must lower the larger utilization of the two nodes by
 *     at least half of that: hysteresis, so that plans do not oscillate on small changes of load
 * @param maxMoves most moves in one plan
 * @param maxPerNode most moves, planned and in flight, that involve one node (as source or target)
 * @param maxCopiesPerNode most copies, planned and in flight, that one node receives at once (a replica
 *     move's or an added replica's target): a copy is the costly part of a move for the node that takes
 *     it (it writes the whole range while it serves), so a new node fills one range at a time while a
 *     draining node, whose copies go to several nodes, still gives away {@code maxPerNode} at once
 * @param headWeight the extra operations a head serves per write (it takes the client's call and
 *     sequences it), relative to one replica applying it
 */
public record PlacementSettings(double margin, int maxMoves, int maxPerNode, int maxCopiesPerNode, double headWeight) {
  /** A 10 % margin, 16 moves per plan, 2 per node, 1 copy into a node, a head's write counting double. */
  public static final PlacementSettings DEFAULTS = new PlacementSettings(0.10, 16, 2, 1, 1.0);

  public PlacementSettings {
    if (!(margin >= 0) || maxMoves < 0 || maxPerNode < 1 || maxCopiesPerNode < 1 || !(headWeight >= 0)) {
      throw new IllegalArgumentException(
          "invalid placement settings: margin " + margin + ", max moves " + maxMoves + ", per node " + maxPerNode
              + ", copies per node " + maxCopiesPerNode + ", head weight " + headWeight);
    }
  }
}
