package dev.junction.sharding.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.junction.sharding.routing.RoutingTable;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Moves and drains asked for by hand: what starts, and the reason when nothing does. */
class RequestsTest {
  private static final RoutingTable TABLE = PlannerTest.table("a,b,c", "b,c,d");
  private static final List<String> UP = List.of("a", "b", "c", "d");

  private static Requests.Decision move(long range, String from, String to, Set<String> draining, boolean publishing,
      List<MoveBook.Operator> running) {
    return Requests.move(TABLE, range, from, to, UP, draining, publishing, running);
  }

  @Test
  void aReplicaMoveAHeadMoveAndEachRefusal() {
    assertEquals(Optional.of(new Move.ReplicaMove(1, "c", "d", "asked for")),
        move(1, "c", "d", Set.of(), false, List.of()).move());
    assertEquals(Optional.of(new Move.HeadMove(1, "a", "b", "asked for")),
        move(1, "a", "b", Set.of(), true, List.of()).move(), "a head move copies nothing: no wait for a publish");
    assertEquals("there is no range 9 (ranges: [1, 2])", move(9, "a", "d", Set.of(), false, List.of()).refused());
    assertEquals("the source and the target are the same node", move(1, "a", "a", Set.of(), false, List.of()).refused());
    assertEquals("range 1 has no replica on d (its chain: [a, b, c])",
        move(1, "d", "a", Set.of(), false, List.of()).refused());
    assertEquals("node e is not an up member of the cluster (members up: [a, b, c, d])",
        move(1, "a", "e", Set.of(), false, List.of()).refused());
    assertEquals("node c holds a replica of range 1 already; only the head (a) can move to it",
        move(1, "b", "c", Set.of(), false, List.of()).refused());
    assertEquals("node d is being drained", move(1, "c", "d", Set.of("d"), false, List.of()).refused());
    assertEquals("the controller is publishing a routing table; try again",
        move(1, "c", "d", Set.of(), true, List.of()).refused());
    MoveBook.Operator running = new MoveBook.Operator(3, new Move.HeadMove(1, "a", "c", "hot"), 2, 1,
        MoveBook.Phase.PROMOTING, 0, false);
    assertEquals("range 1 has a move under way already (operator 3, " + running.move() + ")",
        move(1, "c", "d", Set.of(), false, List.of(running)).refused());
  }

  @Test
  void aDrainNeedsAnUpMemberRebalancingAndEnoughNodesLeft() {
    assertEquals("", Requests.drainRefusal("d", UP, Set.of(), true, 3));
    assertEquals("", Requests.drainRefusal("d", UP, Set.of("d"), true, 3), "under way already");
    assertEquals("draining c would leave 2 node(s) to hold chains of 3 replicas; add a node first",
        Requests.drainRefusal("c", UP, Set.of("d"), true, 3));
    assertEquals("rebalancing is off (junction.cluster.rebalance.interval = 0): nothing would move",
        Requests.drainRefusal("d", UP, Set.of(), false, 3));
    assertEquals("node e is not an up member of the cluster (members up: [a, b, c, d])",
        Requests.drainRefusal("e", UP, Set.of(), true, 3));
  }

  @Test
  void aSplitAtAKeyOrAtTheMeasuredMiddleAndEachRefusal() {
    byte[] none = new byte[0];
    assertEquals(Optional.of(new Move.SplitRange(1, new byte[] {0x10}, 0, 0, "asked for")),
        Requests.split(TABLE, 1, new byte[] {0x10}, none, List.of()).move());
    assertEquals(Optional.of(new Move.SplitRange(1, new byte[] {0x20}, 0, 0, "asked for, at its middle")),
        Requests.split(TABLE, 1, none, new byte[] {0x20}, List.of()).move());
    assertEquals("there is no range 9 (ranges: [1, 2])", Requests.split(TABLE, 9, new byte[] {1}, none, List.of()).refused());
    assertEquals("range 2 has not been measured yet, so its middle is unknown; name the split key (--at), or try again"
        + " in a little while", Requests.split(TABLE, 2, none, none, List.of()).refused());
    assertEquals("'\\x80' is not strictly inside range 2 [\\x80, +inf): a range splits at a key after its start and"
        + " before its end", Requests.split(TABLE, 2, new byte[] {(byte) 0x80}, none, List.of()).refused());
    MoveBook.Operator running = new MoveBook.Operator(4, new Move.HeadMove(1, "a", "b", "t"), 1, 1,
        MoveBook.Phase.PROMOTING, 0, false);
    assertEquals("range 1 has an operator under way already (operator 4, " + running.move() + ")",
        Requests.split(TABLE, 1, new byte[] {0x10}, none, List.of(running)).refused());
  }

  @Test
  void aMergeWithTheNextRangeAndEachRefusal() {
    RoutingTable table = PlannerTest.table("a,b,c", "c,a,b", "b,c,d");
    assertEquals(Optional.of(new Move.MergeRanges(1, 2, 0, 0, "asked for")), Requests.merge(table, 1, List.of()).move());
    assertEquals("there is no range 9 (ranges: [1, 2, 3])", Requests.merge(table, 9, List.of()).refused());
    assertEquals("range 3 is the last range: it has no range after it to merge with",
        Requests.merge(table, 3, List.of()).refused());
    assertEquals("ranges 2 and 3 are not on the same nodes ([a, b, c] and [b, c, d]); move replicas first"
        + " (junctionctl move), a merge copies nothing", Requests.merge(table, 2, List.of()).refused());
    MoveBook.Operator onRight = new MoveBook.Operator(4, new Move.HeadMove(2, "c", "a", "t"), 1, 1,
        MoveBook.Phase.PROMOTING, 0, false);
    assertEquals("range 2 has an operator under way already (operator 4, " + onRight.move() + ")",
        Requests.merge(table, 1, List.of(onRight)).refused());
  }
}
