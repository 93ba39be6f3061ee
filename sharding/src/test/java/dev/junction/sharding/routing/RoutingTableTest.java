package dev.junction.sharding.routing;

import static dev.junction.sharding.routing.Fixtures.CHAIN;
import static dev.junction.sharding.routing.Fixtures.OPEN;
import static dev.junction.sharding.routing.Fixtures.key;
import static dev.junction.sharding.routing.Fixtures.range;
import static dev.junction.sharding.routing.Fixtures.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.store.Keys;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Lookups, validation and versioning of the routing table. */
class RoutingTableTest {
  private static final RoutingTable QUARTERS =
      RoutingTable.initial(RoutingTable.evenSplitPoints(4), List.of("n1", "n2", "n3"), 3);

  private static long idOf(RoutingTable t, byte[] key) {
    return t.lookup(key).rangeId();
  }

  private static String messageOf(List<RangeConfig> ranges) {
    return assertThrows(IllegalArgumentException.class, () -> RoutingTable.of(1, ranges)).getMessage();
  }

  // ---- lookup

  @Test
  void theEmptyStartRangeHoldsTheSmallestKeys() {
    assertEquals(1, idOf(QUARTERS, OPEN));
    assertEquals(1, idOf(QUARTERS, key(0x00)));
    assertEquals(1, idOf(QUARTERS, key(0x00, 0x00, 0x00)));
  }

  @Test
  void theFirstKeyOfARangeBelongsToItAndTheKeysJustBeforeToThePreviousRange() {
    assertEquals(2, idOf(QUARTERS, key(0x40)));
    assertEquals(2, idOf(QUARTERS, key(0x40, 0x00)));
    assertEquals(1, idOf(QUARTERS, key(0x3f)));
    assertEquals(1, idOf(QUARTERS, key(0x3f, 0xff, 0xff, 0xff, 0xff)));
    assertEquals(3, idOf(QUARTERS, key(0x80)));
    assertEquals(2, idOf(QUARTERS, key(0x7f, 0xff)));
    assertEquals(4, idOf(QUARTERS, key(0xc0)));
    assertEquals(3, idOf(QUARTERS, key(0xbf, 0xff, 0xff)));
  }

  @Test
  void keysOfHighBytesFallInTheOpenEndedLastRange() {
    assertEquals(4, idOf(QUARTERS, key(0xff)));
    assertEquals(4, idOf(QUARTERS, key(0xff, 0xff, 0xff, 0xff)));
    assertEquals(4, idOf(QUARTERS, key(0xc0, 0x00)));
  }

  @Test
  void aSplitPointThatIsAPrefixOfAKeyOrdersBeforeIt() {
    RoutingTable t = Fixtures.letters();
    assertEquals(1, idOf(t, key('a', 0xff, 0xff)));
    assertEquals(2, idOf(t, s("b")));
    assertEquals(2, idOf(t, key('b', 0x00)));
    assertEquals(2, idOf(t, s("czzz")));
    assertEquals(4, idOf(t, s("f")));
    assertEquals(4, idOf(t, s("zebra")));
  }

  @Test
  void aOneRangeTableRoutesEveryKeyToIt() {
    RoutingTable t = RoutingTable.initial(List.of(), List.of("n1"), 1);
    for (byte[] k : List.of(OPEN, key(0), key(0x80), key(0xff, 0xff))) {
      assertEquals(1, idOf(t, k));
    }
  }

  @Test
  void binarySearchAgreesWithALinearScanOnRandomKeys() {
    Random rnd = new Random(20240611L);
    for (int round = 0; round < 20; round++) {
      RoutingTable t = RoutingTable.initial(randomSplitPoints(rnd, 1 + rnd.nextInt(60)),
          List.of("a", "b", "c", "d"), 3);
      List<byte[]> probes = new ArrayList<>();
      for (RangeConfig r : t.ranges()) {
        probes.add(r.start());
        probes.add(append(r.start(), 0x00));
        probes.add(append(r.start(), 0xff));
      }
      for (int i = 0; i < 2_000; i++) {
        probes.add(randomKey(rnd, 4));
      }
      for (byte[] k : probes) {
        List<RangeConfig> linear = t.ranges().stream().filter(r -> r.contains(k)).toList();
        assertEquals(1, linear.size(), () -> "exactly one range holds " + Keys.printable(k));
        assertSame(linear.get(0), t.lookup(k), () -> "lookup of " + Keys.printable(k) + " in " + t);
      }
    }
  }

  @Test
  void lookupRejectsANullKey() {
    assertThrows(IllegalArgumentException.class, () -> QUARTERS.lookup(null));
  }

  // ---- range(id) and covering

  @Test
  void rangesAreFoundById() {
    assertEquals(Optional.of(QUARTERS.ranges().get(2)), QUARTERS.range(3));
    assertEquals(Optional.empty(), QUARTERS.range(5));
    assertEquals(Optional.empty(), QUARTERS.range(0));
  }

  @Test
  void coveringListsTheIntersectingRangesInKeyOrder() {
    RoutingTable t = Fixtures.letters();
    assertEquals(List.of(1L, 2L, 3L, 4L), ids(t.covering(OPEN, OPEN)));
    assertEquals(List.of(1L, 2L, 3L), ids(t.covering(s("a"), s("e"))));
    assertEquals(List.of(2L), ids(t.covering(s("b"), s("d"))), "an end at a range start excludes it");
    assertEquals(List.of(2L, 3L), ids(t.covering(s("c"), key('d', 0))));
    assertEquals(List.of(3L, 4L), ids(t.covering(s("e"), OPEN)));
    assertEquals(List.of(4L), ids(t.covering(s("x"), s("y"))));
    assertEquals(List.of(), t.covering(s("c"), s("c")));
    assertThrows(IllegalArgumentException.class, () -> t.covering(s("d"), s("c")));
    assertThrows(IllegalArgumentException.class, () -> t.covering(null, OPEN));
  }

  // ---- validation

  @Test
  void aGapIsRejected() {
    String msg = messageOf(List.of(range(1, OPEN, s("b")), range(2, s("c"), OPEN)));
    assertTrue(msg.contains("gap"), msg);
  }

  @Test
  void anOverlapIsRejected() {
    String msg = messageOf(List.of(range(1, OPEN, s("c")), range(2, s("b"), OPEN)));
    assertTrue(msg.contains("overlap"), msg);
  }

  @Test
  void anOpenEndBeforeTheLastRangeIsAnOverlap() {
    String msg = messageOf(List.of(range(1, OPEN, OPEN), range(2, s("b"), OPEN)));
    assertTrue(msg.contains("overlap"), msg);
  }

  @Test
  void unsortedRangesAreRejected() {
    String msg = messageOf(List.of(
        range(1, OPEN, s("b")), range(3, s("d"), OPEN), range(2, s("b"), s("d"))));
    assertTrue(msg.contains("not sorted"), msg);
  }

  @Test
  void duplicateIdsAreRejected() {
    String msg = messageOf(List.of(range(7, OPEN, s("b")), range(7, s("b"), OPEN)));
    assertTrue(msg.contains("range id 7 appears twice"), msg);
  }

  @Test
  void aTableNotStartingAtTheEmptyKeyIsRejected() {
    String msg = messageOf(List.of(range(1, s("a"), s("b")), range(2, s("b"), OPEN)));
    assertTrue(msg.contains("empty key"), msg);
  }

  @Test
  void aTableWithABoundedLastRangeIsRejected() {
    String msg = messageOf(List.of(range(1, OPEN, s("b")), range(2, s("b"), s("z"))));
    assertTrue(msg.contains("last range"), msg);
  }

  @Test
  void emptyTablesEmptyChainsAndNonPositiveVersionsAreRejected() {
    assertTrue(messageOf(List.of()).contains("at least one range"));
    assertTrue(messageOf(List.of(new RangeConfig(1, OPEN, OPEN, 1, List.of())))
        .contains("empty chain"));
    assertThrows(IllegalArgumentException.class,
        () -> RoutingTable.of(0, List.of(range(1, OPEN, OPEN))));
  }

  // ---- versions

  @Test
  void withRangeReplacesOneRangeAndRaisesTheVersion() {
    RangeConfig r2 = QUARTERS.range(2).orElseThrow();
    RangeConfig moved = r2.withChain(List.of(new Replica(0, "n2"), new Replica(3, "n9")));
    RoutingTable next = QUARTERS.withRange(moved);
    assertEquals(QUARTERS.version() + 1, next.version());
    assertEquals(moved, next.range(2).orElseThrow());
    assertEquals(moved, next.lookup(key(0x41)));
    assertEquals(r2, QUARTERS.range(2).orElseThrow(), "the old table is unchanged");
    assertTrue(next.isNewerThan(QUARTERS));
    assertFalse(QUARTERS.isNewerThan(next));
    assertFalse(next.isNewerThan(next));
  }

  @Test
  void withRangeRejectsAnEqualOrLowerEpoch() {
    RangeConfig r2 = QUARTERS.range(2).orElseThrow();
    RangeConfig sameEpoch = new RangeConfig(2, r2.start(), r2.end(), r2.epoch(), CHAIN);
    assertThrows(IllegalArgumentException.class, () -> QUARTERS.withRange(sameEpoch));
    RoutingTable raised = QUARTERS.withRange(r2.withChain(CHAIN).withChain(CHAIN));
    RangeConfig lower = r2.withChain(CHAIN);
    String msg = assertThrows(IllegalArgumentException.class, () -> raised.withRange(lower))
        .getMessage();
    assertTrue(msg.contains("higher epoch"), msg);
  }

  @Test
  void withRangeRejectsAChangedIntervalOrAnUnknownRange() {
    RangeConfig r2 = QUARTERS.range(2).orElseThrow();
    RangeConfig narrower = new RangeConfig(2, r2.start(), key(0x70), r2.epoch() + 1, CHAIN);
    assertThrows(IllegalArgumentException.class, () -> QUARTERS.withRange(narrower));
    RangeConfig unknown = new RangeConfig(9, r2.start(), r2.end(), 5, CHAIN);
    assertThrows(IllegalArgumentException.class, () -> QUARTERS.withRange(unknown));
  }

  @Test
  void withRangesInstallsASplitAtTheNextVersion() {
    RoutingTable t = Fixtures.letters();
    RangeConfig r2 = t.range(2).orElseThrow();
    List<RangeConfig> split = new ArrayList<>(t.ranges());
    split.set(1, new RangeConfig(2, s("b"), s("c"), r2.epoch() + 1, r2.chain()));
    split.add(2, new RangeConfig(5, s("c"), s("d"), 1, r2.chain()));
    RoutingTable next = t.withRanges(split);
    assertEquals(t.version() + 1, next.version());
    assertEquals(List.of(1L, 2L, 5L, 3L, 4L), ids(next.ranges()));
    assertEquals(5, idOf(next, s("cat")));
  }

  @Test
  void withRangesRejectsAnEpochThatGoesBackOrAChangeWithoutANewEpoch() {
    RoutingTable t = Fixtures.letters();
    RangeConfig r2 = t.range(2).orElseThrow();
    RoutingTable raised = t.withRange(r2.withChain(CHAIN));
    assertThrows(IllegalArgumentException.class, () -> raised.withRanges(t.ranges()));
    List<RangeConfig> sameEpoch = new ArrayList<>(t.ranges());
    sameEpoch.set(1, new RangeConfig(2, s("b"), s("d"), r2.epoch(), CHAIN));
    assertThrows(IllegalArgumentException.class, () -> t.withRanges(sameEpoch));
    List<RangeConfig> gap = List.of(range(1, OPEN, s("b")), range(2, s("c"), OPEN));
    assertThrows(IllegalArgumentException.class, () -> t.withRanges(gap));
  }

  // ---- value semantics

  @Test
  void tablesAreEqualByVersionAndRanges() {
    RoutingTable a = Fixtures.letters();
    RoutingTable b = Fixtures.letters();
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, Fixtures.atVersion(a, 2));
    assertNotEquals(a, QUARTERS);
  }

  @Test
  void toStringShowsTheVersionAndTheRanges() {
    String text = Fixtures.letters().toString();
    assertTrue(text.startsWith("RoutingTable v1 ["), text);
    assertTrue(text.contains("Range[2 [b, d) epoch 1 chain [0@n2, 1@n3]]"), text);
    assertTrue(text.contains("[f, +inf)"), text);
  }

  @Test
  void rangesIsImmutable() {
    assertThrows(UnsupportedOperationException.class, () -> QUARTERS.ranges().remove(0));
  }

  // ---- helpers

  private static List<Long> ids(List<RangeConfig> ranges) {
    return ranges.stream().map(RangeConfig::rangeId).toList();
  }

  private static List<byte[]> randomSplitPoints(Random rnd, int count) {
    TreeSet<byte[]> points = new TreeSet<>(Keys::compare);
    while (points.size() < count) {
      byte[] k = randomKey(rnd, 3);
      if (k.length > 0) {
        points.add(k);
      }
    }
    return new ArrayList<>(points);
  }

  private static byte[] randomKey(Random rnd, int maxLength) {
    byte[] k = new byte[rnd.nextInt(maxLength + 1)];
    for (int i = 0; i < k.length; i++) {
      // Few distinct byte values, so that keys share prefixes and hit range starts.
      k[i] = (byte) new int[] {0x00, 0x01, 0x40, 0x7f, 0x80, 0xc0, 0xfe, 0xff}[rnd.nextInt(8)];
    }
    return k;
  }

  private static byte[] append(byte[] k, int b) {
    byte[] out = Arrays.copyOf(k, k.length + 1);
    out[k.length] = (byte) b;
    return out;
  }

  @Test
  void aSplitReplacesARangeByTwoOnItsChainWithIdsHandedOutBefore() {
    RoutingTable t = QUARTERS; // ids 1..4, cut at 0x40, 0x80, 0xC0
    assertEquals(4, t.lastRangeId());
    RoutingTable reserved = t.reserveIds(2);
    assertEquals(6, reserved.lastRangeId());
    assertEquals(t.version() + 1, reserved.version());
    assertEquals(t.ranges(), reserved.ranges());
    assertNotEquals(t.withRanges(t.ranges()), reserved, "the ids handed out are part of the table");

    String notHandedOut = assertThrows(IllegalArgumentException.class,
        () -> t.withSplit(2, key(0x50), 5, 6)).getMessage();
    assertEquals("range id 5 is in use or was not handed out (last handed out: 4)", notHandedOut);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> reserved.withSplit(2, key(0x40), 5, 6))
        .getMessage().startsWith("range 2 cannot be split at '@': the key must be strictly inside"), "not at its start");
    assertThrows(IllegalArgumentException.class, () -> reserved.withSplit(2, key(0x80), 5, 6), "not at its end");
    assertThrows(IllegalArgumentException.class, () -> reserved.withSplit(2, key(0x50), 3, 6), "an id in use");
    assertThrows(IllegalArgumentException.class, () -> reserved.withSplit(9, key(0x50), 5, 6), "an unknown range");

    RoutingTable split = reserved.withSplit(2, key(0x50), 5, 6);
    RangeConfig parent = t.range(2).orElseThrow();
    assertEquals(List.of(1L, 5L, 6L, 3L, 4L), split.ranges().stream().map(RangeConfig::rangeId).toList());
    RangeConfig left = split.range(5).orElseThrow();
    RangeConfig right = split.range(6).orElseThrow();
    assertEquals(new RangeConfig(5, key(0x40), key(0x50), parent.epoch() + 1, parent.chain()), left);
    List<Replica> rotated = List.of(parent.chain().get(1), parent.chain().get(2), parent.chain().get(0));
    assertEquals(new RangeConfig(6, key(0x50), key(0x80), parent.epoch() + 1, rotated), right,
        "the right part's head is the parent's second replica: the parts' writes enter at different nodes");
    assertEquals(5, idOf(split, key(0x4f)));
    assertEquals(6, idOf(split, key(0x50)));
    assertEquals(6, split.lastRangeId());
    assertEquals(6, split.withRange(left.withChain(List.of(new Replica(0, "n1")))).lastRangeId(), "kept by changes");
    assertEquals(9, RoutingTable.of(3, t.ranges(), 9).lastRangeId());
    assertEquals(4, RoutingTable.of(3, t.ranges(), 1).lastRangeId(), "never below an id in use");
  }

  @Test
  void aMergeReplacesTwoAdjacentRangesByOneOnTheLeftChainLessNodesTheRightDoesNotUse() {
    RoutingTable t = QUARTERS.reserveIds(1); // ids 1..4 on n1..n3, id 5 handed out
    RangeConfig left = t.range(2).orElseThrow();
    RangeConfig right = t.range(3).orElseThrow();
    RoutingTable merged = t.withMerge(2, 3, 5);
    assertEquals(List.of(1L, 5L, 4L), merged.ranges().stream().map(RangeConfig::rangeId).toList());
    assertEquals(new RangeConfig(5, key(0x40), key(0xC0), Math.max(left.epoch(), right.epoch()) + 1, left.chain()),
        merged.range(5).orElseThrow());
    assertEquals(5, idOf(merged, key(0x80)));
    assertEquals("range 4 does not follow range 2",
        assertThrows(IllegalArgumentException.class, () -> t.withMerge(2, 4, 5)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> t.withMerge(4, 1, 5), "the last range has nothing after it");
    assertThrows(IllegalArgumentException.class, () -> QUARTERS.withMerge(2, 3, 5), "id 5 not handed out");
    assertThrows(IllegalArgumentException.class, () -> t.withMerge(2, 3, 1), "id 1 in use");
    RoutingTable shorter = t.withRange(right.withChain(List.of(right.chain().get(0), right.chain().get(1))));
    List<String> nodes = shorter.withMerge(2, 3, 5).range(5).orElseThrow().chain().stream().map(Replica::node).toList();
    assertEquals(left.chain().stream().map(Replica::node).filter(n -> !n.equals(right.chain().get(2).node())).toList(),
        nodes, "a node only the left range used holds only half of the data: it is left out");
  }
}
