package dev.junction.sharding.placement;

import java.util.List;
import java.util.SortedMap;

/**
 * What the planner proposes now, and why.
 *
 * @param moves the moves, in the order to start them (checkers' first, then the balancer's)
 * @param rejected moves the balancer considered and did not take, with the reason
 * @param before the highest utilization of an up node before the moves (counting moves in flight as done)
 * @param after the same once the proposed moves are done
 * @param lowerBound no placement can do better than this highest utilization: {@code max(Σsize / S,
 *     Σops / B)}, with {@code S} and {@code B} the storage and bandwidth of all up nodes together
 * @param utilization each up node's utilization once the moves are done
 */
public record Plan(
    List<Move> moves,
    List<Rejected> rejected,
    double before,
    double after,
    double lowerBound,
    SortedMap<String, Double> utilization) {
  /** A move not taken, and why. */
  public record Rejected(Move move, String why) {}

  public Plan {
    moves = List.copyOf(moves);
    rejected = List.copyOf(rejected);
    utilization = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(utilization));
  }

  public boolean isEmpty() {
    return moves.isEmpty();
  }
}
