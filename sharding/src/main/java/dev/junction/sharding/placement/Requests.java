package dev.junction.sharding.placement;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.sharding.routing.RoutingTable;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What an operator asks of placement by hand (junctionctl move, split and drain), decided from the routing
 * table and the nodes' standing: the move to start, or why nothing changes. Pure; the controller feeds it
 * and carries the answer out.
 */
public final class Requests {
  private Requests() {}

  /** A move to start, or the reason none does ({@code refused} is empty exactly when {@code move} is present). */
  public record Decision(Optional<Move> move, String refused) {
    static Decision refuse(String why) {
      return new Decision(Optional.empty(), why);
    }

    static Decision start(Move m) {
      return new Decision(Optional.of(m), "");
    }
  }

  /**
   * Moving range {@code rangeId}'s replica on {@code from} to {@code to}: a replica move, or a head move
   * when {@code to} holds a replica of the range already and {@code from} is its head.
   *
   * @param up the up nodes the controller does not count as lost
   * @param draining the nodes being drained
   * @param publishing whether a routing table is being published (a replica move then waits)
   * @param running the operators under way (one per range at a time)
   */
  public static Decision move(RoutingTable table, long rangeId, String from, String to, List<String> up,
      Set<String> draining, boolean publishing, Collection<MoveBook.Operator> running) {
    RangeConfig range = table.range(rangeId).orElse(null);
    Move move;
    if (range == null) {
      return Decision.refuse("there is no range " + rangeId + " (ranges: "
          + table.ranges().stream().map(RangeConfig::rangeId).toList() + ")");
    } else if (from.equals(to)) {
      return Decision.refuse("the source and the target are the same node");
    } else if (!holds(range, from)) {
      return Decision.refuse("range " + rangeId + " has no replica on " + from + " (its chain: "
          + range.chain().stream().map(Replica::node).toList() + ")");
    } else if (!up.contains(to)) {
      return Decision.refuse("node " + to + " is not an up member of the cluster (members up: " + up + ")");
    } else if (holds(range, to)) {
      if (!range.head().node().equals(from)) {
        return Decision.refuse("node " + to + " holds a replica of range " + rangeId + " already; only the head ("
            + range.head().node() + ") can move to it");
      }
      move = new Move.HeadMove(rangeId, from, to, "asked for");
    } else if (draining.contains(to)) {
      return Decision.refuse("node " + to + " is being drained");
    } else if (publishing) {
      return Decision.refuse("the controller is publishing a routing table; try again");
    } else {
      move = new Move.ReplicaMove(rangeId, from, to, "asked for");
    }
    for (MoveBook.Operator op : running) {
      if (Move.involves(op.move(), rangeId)) {
        return Decision.refuse("range " + rangeId + " has a move under way already (operator " + op.id() + ", "
            + op.move() + ")");
      }
    }
    return Decision.start(move);
  }

  /**
   * Why draining {@code node} is refused, or empty when it may start (or is under way already): it must
   * be an up member, rebalancing must be on, and {@code replicationFactor} nodes that are not drained
   * must remain.
   */
  public static String drainRefusal(String node, List<String> up, Set<String> draining, boolean rebalancing,
      int replicationFactor) {
    if (!up.contains(node)) {
      return "node " + node + " is not an up member of the cluster (members up: " + up + ")";
    }
    if (!rebalancing) {
      return "rebalancing is off (junction.cluster.rebalance.interval = 0): nothing would move";
    }
    if (draining.contains(node)) {
      return "";
    }
    long left = up.stream().filter(n -> !n.equals(node) && !draining.contains(n)).count();
    if (left < replicationFactor) {
      return "draining " + node + " would leave " + left + " node(s) to hold chains of " + replicationFactor
          + " replicas; add a node first";
    }
    return "";
  }

  /**
   * Splitting range {@code rangeId} at {@code at}, or, when {@code at} is empty, at {@code middle} (the key
   * near the middle of its bytes, as its tail last measured it; empty when not measured yet). The key must
   * be strictly inside the range (not its start), and no operator may run on the range.
   */
  public static Decision split(RoutingTable table, long rangeId, byte[] at, byte[] middle,
      Collection<MoveBook.Operator> running) {
    RangeConfig range = table.range(rangeId).orElse(null);
    if (range == null) {
      return Decision.refuse("there is no range " + rangeId + " (ranges: "
          + table.ranges().stream().map(RangeConfig::rangeId).toList() + ")");
    }
    byte[] point = at.length > 0 ? at : middle;
    if (point.length == 0) {
      return Decision.refuse("range " + rangeId + " has not been measured yet, so its middle is unknown; name the "
          + "split key (--at), or try again in a little while");
    }
    if (!range.contains(point) || dev.junction.store.Keys.compare(point, range.start()) == 0) {
      return Decision.refuse("'" + dev.junction.store.Keys.printable(point) + "' is not strictly inside range "
          + rangeId + " [" + dev.junction.store.Keys.printable(range.start()) + ", "
          + (range.end().length == 0 ? "+inf" : dev.junction.store.Keys.printable(range.end()))
          + "): a range splits at a key after its start and before its end");
    }
    String busy = busy(running, rangeId);
    if (!busy.isEmpty()) {
      return Decision.refuse(busy);
    }
    return Decision.start(new Move.SplitRange(rangeId, point, 0, 0, at.length > 0 ? "asked for" : "asked for, at its middle"));
  }

  /**
   * Merging range {@code rangeId} with the range after it: both chains must use the same nodes (a merge
   * copies nothing), and no operator may run on either.
   */
  public static Decision merge(RoutingTable table, long rangeId, Collection<MoveBook.Operator> running) {
    RangeConfig left = table.range(rangeId).orElse(null);
    if (left == null) {
      return Decision.refuse("there is no range " + rangeId + " (ranges: "
          + table.ranges().stream().map(RangeConfig::rangeId).toList() + ")");
    }
    RangeConfig right = table.after(rangeId).orElse(null);
    if (right == null) {
      return Decision.refuse("range " + rangeId + " is the last range: it has no range after it to merge with");
    }
    if (!MoveBook.sameNodes(left, right)) {
      return Decision.refuse("ranges " + rangeId + " and " + right.rangeId() + " are not on the same nodes ("
          + left.chain().stream().map(Replica::node).sorted().toList() + " and "
          + right.chain().stream().map(Replica::node).sorted().toList()
          + "); move replicas first (junctionctl move), a merge copies nothing");
    }
    for (long id : new long[] {rangeId, right.rangeId()}) {
      String busy = busy(running, id);
      if (!busy.isEmpty()) {
        return Decision.refuse(busy);
      }
    }
    return Decision.start(new Move.MergeRanges(rangeId, right.rangeId(), 0, 0, "asked for"));
  }

  private static String busy(Collection<MoveBook.Operator> running, long rangeId) {
    for (MoveBook.Operator op : running) {
      if (Move.involves(op.move(), rangeId)) {
        return "range " + rangeId + " has an operator under way already (operator " + op.id() + ", " + op.move() + ")";
      }
    }
    return "";
  }

  private static boolean holds(RangeConfig range, String node) {
    return range.chain().stream().anyMatch(r -> r.node().equals(node));
  }
}
