package dev.junction.sharding.placement;

import static dev.junction.sharding.placement.MoveBook.Phase.COPYING;
import static dev.junction.sharding.placement.MoveBook.Phase.JOINING;
import static dev.junction.sharding.placement.MoveBook.Phase.RELEASING;
import static dev.junction.sharding.placement.MoveBook.Phase.RESERVING;
import static dev.junction.sharding.placement.MoveBook.Phase.SEALING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.ReplicaId;
import dev.junction.sharding.routing.RoutingTable;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The controller's operators, phase by phase, finished by what the table and the replicas report. */
class MoveBookTest {
  private static final long S = 1_000_000_000L;
  private final MoveBook book = new MoveBook(Duration.ofSeconds(300), Duration.ofSeconds(30));

  private static List<String> nodes(RoutingTable t, long id) {
    return t.range(id).orElseThrow().chain().stream().map(Replica::node).toList();
  }

  @Test
  void aReplicaMoveCopiesJoinsWaitsForTheOldLeaseAndRemovesTheOldReplica() {
    RoutingTable table = PlannerTest.table("a,b,c", "b,c,a");
    MoveBook.Operator op = book.start(new Move.ReplicaMove(1, "a", "d", "test"), table, 0).orElseThrow();
    assertEquals(MoveBook.Phase.COPYING, op.phase());
    assertEquals(65, op.slot(), "a slot never used in the range: 64 + epoch");
    assertEquals(List.of(new Move.ReplicaMove(1, "a", "d", "test")), book.inFlight());

    MoveBook.Step s1 = book.step(table, (r, slot) -> true, S);
    assertEquals(List.of(new MoveBook.Copy(table.range(1).orElseThrow(), 65, "d", true)), s1.copies());
    assertTrue(s1.table().isEmpty(), "nothing to publish while it copies");
    assertFalse(book.step(table, (r, slot) -> true, 2 * S).copies().get(0).place(), "placed once, asked every step");

    assertFalse(book.ready(1, 66, "d"), "another slot");
    assertFalse(book.ready(1, 65, "e"), "another node");
    assertTrue(book.ready(1, 65, "d"));
    MoveBook.Step join = book.step(table, (r, slot) -> false, 3 * S);
    table = join.table().orElseThrow();
    assertEquals(List.of("a", "b", "c", "d"), nodes(table, 1), "joined at the tail");
    assertEquals(List.of("b", "c", "a"), nodes(table, 2), "the other range untouched");

    MoveBook.Step wait = book.step(table, (r, slot) -> false, 4 * S);
    assertEquals(Set.of(new ReplicaId(1, 0)), wait.leaving(), "the old replica gets no more read leases");
    assertTrue(wait.table().isEmpty(), "not removed while its lease may run");
    assertEquals(MoveBook.Phase.RELEASING, book.operators().get(0).phase());
    assertEquals(List.of(new Move.ReplicaMove(1, "a", "d", "test")), book.inFlight());

    MoveBook.Step remove = book.step(table, (r, slot) -> r == 1 && slot == 0, 5 * S);
    table = remove.table().orElseThrow();
    assertEquals(List.of("b", "c", "d"), nodes(table, 1), "a head that leaves leaves the head to the next member");
    assertEquals(Set.of(new ReplicaId(1, 0)), remove.leaving());

    MoveBook.Step done = book.step(table, (r, slot) -> true, 6 * S);
    assertEquals(MoveBook.Phase.DONE, done.ended().get(0).phase());
    assertTrue(book.operators().isEmpty());
    assertTrue(done.table().isEmpty() && done.leaving().isEmpty());
  }

  @Test
  void aMovedMiddleOrTailTakesItsLeaversPlaceOnceThatLeaves() {
    for (String from : List.of("b", "c")) {
      MoveBook moves = new MoveBook(Duration.ofSeconds(300), Duration.ofSeconds(30));
      RoutingTable table = PlannerTest.table("a,b,c");
      int slot = List.of("a", "b", "c").indexOf(from);
      moves.start(new Move.ReplicaMove(1, from, "d", "test"), table, 0).orElseThrow();
      moves.step(table, (r, s) -> true, S);
      assertTrue(moves.ready(1, 65, "d"));
      table = moves.step(table, (r, s) -> false, 2 * S).table().orElseThrow();
      assertEquals(List.of("a", "b", "c", "d"), nodes(table, 1), "joined at the tail to catch up");
      moves.step(table, (r, s) -> false, 3 * S);
      table = moves.step(table, (r, s) -> r == 1 && s == slot, 4 * S).table().orElseThrow();
      List<String> expected = new java.util.ArrayList<>(List.of("a", "b", "c"));
      expected.set(slot, "d");
      assertEquals(expected, nodes(table, 1), "d takes " + from + "'s place");
    }
  }

  @Test
  void aHeadMoveReordersTheChainAndNothingIsCopied() {
    RoutingTable table = PlannerTest.table("a,b,c");
    book.start(new Move.HeadMove(1, "a", "c", "test"), table, 0).orElseThrow();
    MoveBook.Step s = book.step(table, (r, slot) -> false, S);
    assertTrue(s.copies().isEmpty());
    table = s.table().orElseThrow();
    assertEquals(List.of("c", "a", "b"), nodes(table, 1));
    assertEquals(MoveBook.Phase.DONE, book.step(table, (r, slot) -> false, 2 * S).ended().get(0).phase());
  }

  @Test
  void aRemovalWaitsForTheLeaseThenDropsTheReplica() {
    RoutingTable table = PlannerTest.table("a,b,c,d");
    book.start(new Move.RemoveReplica(1, "c", "test"), table, 0).orElseThrow();
    MoveBook.Step wait = book.step(table, (r, slot) -> false, S);
    assertEquals(Set.of(new ReplicaId(1, 2)), wait.leaving());
    assertTrue(wait.table().isEmpty());
    table = book.step(table, (r, slot) -> slot == 2, 2 * S).table().orElseThrow();
    assertEquals(List.of("a", "b", "d"), nodes(table, 1));
    assertEquals(MoveBook.Phase.DONE, book.step(table, (r, slot) -> true, 3 * S).ended().get(0).phase());
  }

  @Test
  void aCopyIsCancelledWhenItsChainChangesMeanwhile() {
    RoutingTable table = PlannerTest.table("a,b,c");
    book.start(new Move.ReplicaMove(1, "a", "d", "test"), table, 0).orElseThrow();
    book.step(table, (r, slot) -> false, S);
    RangeConfig range = table.range(1).orElseThrow();
    RoutingTable repaired = table.withRange(range.withChain(range.chain().subList(0, 2))); // c was lost
    MoveBook.Step s = book.step(repaired, (r, slot) -> false, 2 * S);
    assertEquals(MoveBook.Phase.CANCELLED, s.ended().get(0).phase());
    assertTrue(s.copies().isEmpty() && s.table().isEmpty());
    assertFalse(book.ready(1, 65, "d"), "a late report changes nothing");
  }

  @Test
  void aPhaseThatOutlivesItsTimeoutExpires() {
    RoutingTable table = PlannerTest.table("a,b,c");
    book.start(new Move.ReplicaMove(1, "a", "d", "test"), table, 0).orElseThrow();
    assertTrue(book.step(table, (r, slot) -> false, 299 * S).ended().isEmpty());
    MoveBook.Step late = book.step(table, (r, slot) -> false, 301 * S);
    assertEquals(MoveBook.Phase.EXPIRED, late.ended().get(0).phase());
    assertTrue(book.inFlight().isEmpty());
  }

  @Test
  void oneOperatorPerRangeAndOnlyMovesThatFitTheChain() {
    RoutingTable table = PlannerTest.table("a,b,c", "b,c,a");
    assertTrue(book.start(new Move.ReplicaMove(1, "x", "d", "t"), table, 0).isEmpty(), "x holds no replica");
    assertTrue(book.start(new Move.ReplicaMove(1, "a", "b", "t"), table, 0).isEmpty(), "b holds one already");
    assertTrue(book.start(new Move.HeadMove(1, "a", "a", "t"), table, 0).isEmpty(), "a is the head");
    assertTrue(book.start(new Move.AddReplica(1, "d", "t"), table, 0).isEmpty(), "the replacement planner's");
    assertTrue(book.start(new Move.HeadMove(1, "a", "b", "t"), table, 0).isPresent());
    assertTrue(book.start(new Move.ReplicaMove(1, "a", "d", "t"), table, 0).isEmpty(), "range 1 is busy");
    assertTrue(book.start(new Move.ReplicaMove(2, "b", "d", "t"), table, 0).isPresent());
    assertEquals(List.of(new Move.HeadMove(1, "a", "b", "t"), new Move.ReplicaMove(2, "b", "d", "t")), book.inFlight());
    long id = book.operators().get(0).id();
    assertTrue(book.cancel(id));
    assertEquals(1, book.inFlight().size());
  }

  @Test
  void aSplitReservesItsIdsThenAsksTheHeadUntilTheTableHoldsBothParts() {
    RoutingTable table = PlannerTest.table("a,b,c", "b,c,a"); // [, 0x80) and [0x80, )
    MoveBook.Operator first = book.start(new Move.SplitRange(1, new byte[] {0x40}, 0, 0, "t"), table, 0).orElseThrow();
    MoveBook.Operator second = book.start(new Move.SplitRange(2, new byte[] {(byte) 0xc0}, 0, 0, "t"), table, 0)
        .orElseThrow();
    assertEquals(MoveBook.Phase.RESERVING, first.phase());
    assertEquals(List.of(3L, 4L), ids(first));
    assertEquals(List.of(5L, 6L), ids(second), "ids reserved by a split under way are not handed out again");
    assertTrue(book.start(new Move.ReplicaMove(1, "a", "d", "t"), table, 0).isEmpty(), "one operator per range");

    MoveBook.Step reserve = book.step(table, (r, slot) -> true, S);
    RoutingTable reserved = reserve.table().orElseThrow();
    assertEquals(6, reserved.lastRangeId(), "one table hands out every id the splits need");
    assertTrue(reserve.seals().isEmpty(), "no head learns an id before a table handed it out");

    MoveBook.Step seal = book.step(reserved, (r, slot) -> true, 2 * S);
    assertEquals(List.of(1L, 2L), seal.seals().stream().map(x -> x.range().rangeId()).toList());
    assertTrue(seal.table().isEmpty());
    assertEquals(replicas(reserved.withSplit(1, new byte[] {0x40}, 3, 4), 3, 4),
        seal.seals().get(0).createdReplicas(reserved),
        "where the parts' replicas will run, as the table after the split places them (told to sharding first)");
    assertEquals(List.of("3.0", "3.1", "3.2", "4.0", "4.1", "4.2"),
        List.copyOf(seal.seals().get(0).createdReplicas(reserved).keySet()));
    assertEquals(List.of(1L, 2L), book.step(reserved, (r, slot) -> true, 3 * S).seals().stream()
        .map(x -> x.range().rangeId()).toList(), "asked again every step until it reports");

    RoutingTable split = reserved.withSplit(1, new byte[] {0x40}, 3, 4); // the head reported, the controller published
    MoveBook.Step done = book.step(split, (r, slot) -> true, 4 * S);
    assertEquals(List.of(MoveBook.Phase.DONE), done.ended().stream().map(MoveBook.Operator::phase).toList());
    assertEquals(List.of(2L), done.seals().stream().map(x -> x.range().rangeId()).toList());
    assertEquals(MoveBook.Phase.EXPIRED, book.step(split, (r, slot) -> true, 40 * S).ended().get(0).phase(),
        "a head that never seals: the operator expires (a late report is still published)");
    assertTrue(book.operators().isEmpty());
  }

  @Test
  void aSplitAtTheRangesStartOrOutsideItDoesNotStart() {
    RoutingTable table = PlannerTest.table("a,b,c", "b,c,a");
    assertTrue(book.start(new Move.SplitRange(2, new byte[] {(byte) 0x80}, 0, 0, "t"), table, 0).isEmpty());
    assertTrue(book.start(new Move.SplitRange(1, new byte[] {(byte) 0x90}, 0, 0, "t"), table, 0).isEmpty());
    assertTrue(book.operators().isEmpty());
  }

  /** The replicas of {@code ids} in {@code table}, by entity id, with their nodes. */
  private static java.util.SortedMap<String, String> replicas(RoutingTable table, long... ids) {
    java.util.SortedMap<String, String> out = new java.util.TreeMap<>();
    for (long id : ids) {
      RangeConfig r = table.range(id).orElseThrow();
      r.chain().forEach(x -> out.put(r.replicaId(x.slot()).entityId(), x.node()));
    }
    return out;
  }

  private static List<Long> ids(MoveBook.Operator op) {
    Move.SplitRange s = (Move.SplitRange) op.move();
    return List.of(s.leftId(), s.rightId());
  }

  @Test
  void aMergeReservesItsIdSealsTheLeftRangeThenEndsTheRightOneIntoIt() {
    RoutingTable table = PlannerTest.table("a,b,c", "c,a,b", "b,c,d"); // cut at 0x55, 0xaa
    assertTrue(book.start(new Move.MergeRanges(2, 3, 0, 0, "t"), table, 0).isEmpty(), "2 and 3 do not share nodes");
    MoveBook.Operator op = book.start(new Move.MergeRanges(1, 2, 0, 0, "t"), table, 0).orElseThrow();
    assertEquals(4, ((Move.MergeRanges) op.move()).mergedId());
    assertTrue(book.busy(2), "a merge occupies its right range too");
    assertTrue(book.start(new Move.HeadMove(2, "c", "a", "t"), table, 0).isEmpty());

    RoutingTable reserved = book.step(table, (r, s) -> true, S).table().orElseThrow();
    assertEquals(4, reserved.lastRangeId());
    MoveBook.Step seal = book.step(reserved, (r, s) -> true, 2 * S);
    assertEquals(1, seal.seals().size());
    assertEquals(1, seal.seals().get(0).range().rangeId(), "the left range is sealed first");
    assertEquals(new dev.junction.chain.core.Mutation.Seal(new byte[] {0x55}, 4).intoId(),
        ((dev.junction.chain.core.Mutation.Seal) seal.seals().get(0).ending()).intoId());
    java.util.SortedMap<String, String> mergedReplicas = replicas(reserved.withMerge(1, 2, 4), 4);
    assertEquals(mergedReplicas, seal.seals().get(0).createdReplicas(reserved),
        "the merged range's replicas, placed before the left range is sealed");
    assertEquals(3, mergedReplicas.size(), "ranges 1 and 2 share all three nodes");

    assertTrue(book.leftSealed(reserved, 1, 4, 17, 3 * S));
    MoveBook.Step merge = book.step(reserved, (r, s) -> true, 4 * S);
    assertEquals(2, merge.seals().get(0).range().rangeId(), "then the right one is asked to end into the merged range");
    dev.junction.chain.core.Mutation.MergeInto into = (dev.junction.chain.core.Mutation.MergeInto) merge.seals().get(0).ending();
    assertEquals(17, into.leftSeq());
    assertEquals(reserved.range(1).orElseThrow().chain(), into.leftChain());
    assertEquals(mergedReplicas, merge.seals().get(0).createdReplicas(reserved), "the same from the right range");

    MoveBook.Step done = book.step(reserved.withMerge(1, 2, 4), (r, s) -> true, 5 * S);
    assertEquals(MoveBook.Phase.DONE, done.ended().get(0).phase());
    assertTrue(!book.busy(2) && book.operators().isEmpty());
  }

  @Test
  void aRangeSealedForAMergeNoOperatorRemembersGetsOneThatFinishesIt() {
    RoutingTable table = PlannerTest.table("a,b,c", "c,a,b").reserveIds(1); // id 3 handed out
    assertTrue(book.leftSealed(table, 1, 3, 9, 0), "a controller that lost the operator starts it again");
    MoveBook.Operator op = book.operators().get(0);
    assertEquals(MoveBook.Phase.MERGING, op.phase());
    assertEquals(new Move.MergeRanges(1, 2, 3, 9, "its left range was sealed for it"), op.move());
    assertEquals(false, new MoveBook(Duration.ofSeconds(1), Duration.ofSeconds(1)).leftSealed(table, 1, 4, 9, 0),
        "not for an id the table did not hand out");
  }

  @Test
  void onlyStartsAndStepsATakeoverCannotInferArePublishedAtOnce() {
    List<MoveBook.Work> published = List.of(at(4, COPYING), at(5, JOINING), drain("n2"));
    assertFalse(MoveBook.urgent(published, published), "nothing changed");
    assertTrue(MoveBook.urgent(published, List.of(at(4, COPYING), at(5, JOINING), at(6, COPYING), drain("n2"))),
        "a new operator");
    assertTrue(MoveBook.urgent(published, List.of(at(4, JOINING), at(5, JOINING), drain("n2"))), "a copy joined");
    assertTrue(MoveBook.urgent(published, List.of(at(4, COPYING), at(5, JOINING), drain("n2"), drain("n3"))),
        "a new drain");
    assertTrue(MoveBook.urgent(List.of(at(7, RESERVING)), List.of(at(7, SEALING))), "a split seals its range");
    assertFalse(MoveBook.urgent(published, List.of(at(4, COPYING), drain("n2"))), "an operator ended");
    assertFalse(MoveBook.urgent(published, List.of(at(4, COPYING), at(5, RELEASING), drain("n2"))),
        "an operator waits for the leaver's lease");
    assertFalse(MoveBook.urgent(published, List.of(at(4, COPYING), at(5, JOINING))), "a drain ended");
    assertTrue(MoveBook.urgent(List.of(at(4, COPYING)), List.of(drain("4"))), "a drain is not an operator");
  }

  private static MoveBook.Work at(long id, MoveBook.Phase phase) {
    return new MoveBook.OperatorAt(id, phase);
  }

  private static MoveBook.Work drain(String node) {
    return new MoveBook.Drain(node);
  }
}
