package dev.junction.sharding.routing;

import static dev.junction.sharding.routing.Fixtures.OPEN;
import static dev.junction.sharding.routing.Fixtures.key;
import static dev.junction.sharding.routing.Fixtures.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReadOp;
import dev.junction.store.Keys;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Cutting a scan along range boundaries, merging the answers, and walking the parts with a cursor. */
class ScanPlanTest {
  /** Ranges 1 [, b), 2 [b, d), 3 [d, f), 4 [f, +inf). */
  private static final RoutingTable T = Fixtures.letters();

  private static ScanPlan.Part part(long rangeId, byte[] from, byte[] to) {
    return new ScanPlan.Part(T.range(rangeId).orElseThrow(), from, to);
  }

  // ---- plan

  @Test
  void aScanOverSeveralRangesIsClampedAtBothEnds() {
    assertEquals(
        List.of(part(1, s("a2"), s("b")), part(2, s("b"), s("d")), part(3, s("d"), s("e5"))),
        ScanPlan.plan(T, s("a2"), s("e5")));
  }

  @Test
  void openBoundsTakeTheRangesOwnBounds() {
    assertEquals(
        List.of(part(1, OPEN, s("b")), part(2, s("b"), s("d")), part(3, s("d"), s("f")),
            part(4, s("f"), OPEN)),
        ScanPlan.plan(T, OPEN, OPEN));
    assertEquals(List.of(part(2, s("c"), s("d")), part(3, s("d"), s("f")), part(4, s("f"), OPEN)),
        ScanPlan.plan(T, s("c"), OPEN));
    assertEquals(List.of(part(1, OPEN, s("b")), part(2, s("b"), s("bb"))),
        ScanPlan.plan(T, OPEN, s("bb")));
  }

  @Test
  void aScanInsideOneRangeHasOnePart() {
    assertEquals(List.of(part(2, s("b1"), s("c9"))), ScanPlan.plan(T, s("b1"), s("c9")));
    assertEquals(List.of(part(4, s("x"), OPEN)), ScanPlan.plan(T, s("x"), OPEN));
  }

  @Test
  void boundsOnRangeStartsDoNotProduceEmptyParts() {
    assertEquals(List.of(part(2, s("b"), s("d"))), ScanPlan.plan(T, s("b"), s("d")));
    assertEquals(List.of(part(3, s("d"), key('d', 0))), ScanPlan.plan(T, s("d"), key('d', 0)));
  }

  @Test
  void anEmptyIntervalHasNoPartsAndAnInvertedOneIsRejected() {
    assertEquals(List.of(), ScanPlan.plan(T, s("c"), s("c")));
    assertThrows(IllegalArgumentException.class, () -> ScanPlan.plan(T, s("c"), s("b")));
    assertThrows(IllegalArgumentException.class, () -> ScanPlan.plan(T, s("c"), null));
  }

  @Test
  void partsAreAdjacentInsideTheirRangesAndTogetherExactlyTheInterval() {
    Random rnd = new Random(7L);
    RoutingTable t = RoutingTable.initial(RoutingTable.evenSplitPoints(16), List.of("a", "b"), 2);
    for (int i = 0; i < 2_000; i++) {
      byte[] x = randomBound(rnd);
      byte[] y = randomBound(rnd);
      boolean ordered = y.length == 0 || Keys.compare(x, y) <= 0;
      byte[] from = ordered ? x : y;
      byte[] to = ordered ? y : x;
      List<ScanPlan.Part> parts = ScanPlan.plan(t, from, to);
      if (to.length != 0 && Keys.compare(from, to) == 0) {
        assertEquals(List.of(), parts);
        continue;
      }
      assertArrayEquals(from, parts.get(0).subFrom());
      assertArrayEquals(to, parts.get(parts.size() - 1).subTo());
      for (int p = 0; p < parts.size(); p++) {
        ScanPlan.Part part = parts.get(p);
        assertTrue(part.range().contains(part.subFrom()), "a part starts inside its range");
        if (p > 0) {
          assertArrayEquals(parts.get(p - 1).subTo(), part.subFrom(), "adjacent");
          assertTrue(parts.get(p - 1).range().rangeId() < part.range().rangeId(), "key order");
        }
      }
    }
  }

  // ---- Part

  @Test
  void aPartMustBeANonEmptyIntervalInsideItsRange() {
    RangeConfig r2 = T.range(2).orElseThrow();
    assertThrows(IllegalArgumentException.class, () -> new ScanPlan.Part(r2, s("a"), s("c")));
    assertThrows(IllegalArgumentException.class, () -> new ScanPlan.Part(r2, s("c"), s("e")));
    assertThrows(IllegalArgumentException.class, () -> new ScanPlan.Part(r2, s("c"), OPEN));
    assertThrows(IllegalArgumentException.class, () -> new ScanPlan.Part(r2, s("c"), s("c")));
    assertThrows(IllegalArgumentException.class, () -> new ScanPlan.Part(null, s("c"), s("d")));
  }

  @Test
  void aPartKeepsItsOwnBoundsAndMakesTheTailRequest() {
    byte[] from = s("c");
    ScanPlan.Part p = new ScanPlan.Part(T.range(2).orElseThrow(), from, s("d"));
    from[0] = 'z';
    p.subFrom()[0] = 'z';
    assertArrayEquals(s("c"), p.subFrom());
    ReadOp.Scan scan = p.scan(10);
    assertArrayEquals(s("c"), scan.from());
    assertArrayEquals(s("d"), scan.to());
    assertEquals(10, scan.limit());
    assertThrows(IllegalArgumentException.class, () -> p.scan(0));
    assertEquals("Part[2 [c, d)]", p.toString());
    assertEquals("Part[4 [x, +inf)]", part(4, s("x"), OPEN).toString());
  }

  // ---- mergeInOrder

  @Test
  void mergeConcatenatesInPartOrderUpToTheLimit() {
    List<List<String>> answers = List.of(List.of("a1", "a2"), List.of(), List.of("c1", "c2", "c3"));
    assertEquals(List.of("a1", "a2", "c1", "c2"), ScanPlan.mergeInOrder(answers, 4));
    assertEquals(List.of("a1"), ScanPlan.mergeInOrder(answers, 1));
    assertEquals(List.of("a1", "a2", "c1", "c2", "c3"), ScanPlan.mergeInOrder(answers, 100));
    assertEquals(List.of(), ScanPlan.mergeInOrder(List.of(), 3));
    assertThrows(IllegalArgumentException.class, () -> ScanPlan.mergeInOrder(answers, 0));
  }

  // ---- ScanCursor

  @Test
  void theCursorMovesOnWhenAPartIsExhaustedAndStopsAtTheLimit() {
    ScanCursor c = ScanCursor.start(T, s("a"), OPEN, 5);
    assertFalse(c.isDone());
    assertEquals(part(1, s("a"), s("b")), c.nextPart());
    assertEquals(5, c.nextLimit());
    c = c.afterReply(2);
    assertEquals(part(2, s("b"), s("d")), c.nextPart());
    assertEquals(3, c.nextLimit());
    ReadOp.Scan request = c.nextRequest();
    assertArrayEquals(s("b"), request.from());
    assertEquals(3, request.limit());
    c = c.afterReply(3);
    assertTrue(c.isDone(), "the limit is reached although ranges 3 and 4 are left");
    assertEquals(5, c.received());
    assertEquals(0, c.nextLimit());
    assertEquals(List.of(), c.remainingParts());
    ScanCursor done = c;
    assertThrows(IllegalStateException.class, done::nextPart);
    assertThrows(IllegalStateException.class, () -> done.afterReply(0));
  }

  @Test
  void aReplyCutShortBySizeContinuesTheSamePartAfterItsLastKey() {
    ScanCursor c = ScanCursor.start(T, s("b"), OPEN, 10);
    c = c.afterPartialReply(3, s("bx"));
    assertEquals(part(2, s("bx\0"), s("d")), c.nextPart(), "range 2 again, right after bx");
    assertEquals(7, c.nextLimit());
    c = c.afterPartialReply(2, s("c\0\0"));
    assertEquals(2, c.nextPart().range().rangeId());
    // When nothing can follow the last key inside the part, the cursor moves to the next part.
    ScanCursor atEnd = ScanCursor.start(T, s("b"), s("c\0"), 10).afterPartialReply(1, s("c"));
    assertTrue(atEnd.isDone(), "[b, c\\0) holds nothing after c");
    assertEquals(1, atEnd.received());
    assertThrows(IllegalArgumentException.class, () -> ScanCursor.start(T, OPEN, OPEN, 4).afterPartialReply(0, s("a")));
  }

  @Test
  void theCursorIsDoneWhenEveryPartIsReadBeforeTheLimit() {
    ScanCursor c = ScanCursor.start(T, s("c"), s("e"), 100);
    c = c.afterReply(0).afterReply(7);
    assertTrue(c.isDone());
    assertEquals(7, c.received());
  }

  @Test
  void anEmptyScanIsDoneAtOnceAndRepliesLargerThanAskedAreRejected() {
    assertTrue(ScanCursor.start(T, s("c"), s("c"), 10).isDone());
    ScanCursor c = ScanCursor.start(T, OPEN, OPEN, 4);
    assertThrows(IllegalArgumentException.class, () -> c.afterReply(5));
    assertThrows(IllegalArgumentException.class, () -> c.afterReply(-1));
    assertThrows(IllegalArgumentException.class, () -> ScanCursor.start(T, OPEN, OPEN, 0));
  }

  @Test
  void replanCutsTheUnreadRestAlongANewerTablesRanges() {
    ScanCursor c = ScanCursor.start(T, s("a"), s("e"), 10).afterReply(1);
    RangeConfig r2 = T.range(2).orElseThrow();
    List<RangeConfig> split = new ArrayList<>(T.ranges());
    split.set(1, new RangeConfig(2, s("b"), s("c"), r2.epoch() + 1, r2.chain()));
    split.add(2, new RangeConfig(5, s("c"), s("d"), 1, r2.chain()));
    RoutingTable newer = T.withRanges(split);
    ScanCursor re = c.replan(newer);
    assertEquals(1, re.received());
    assertEquals(9, re.nextLimit());
    assertEquals(List.of(2L, 5L, 3L),
        re.remainingParts().stream().map(p -> p.range().rangeId()).toList());
    assertArrayEquals(s("b"), re.nextPart().subFrom());
    assertArrayEquals(s("e"), re.remainingParts().get(2).subTo());
  }

  private static byte[] randomBound(Random rnd) {
    if (rnd.nextInt(8) == 0) {
      return OPEN;
    }
    byte[] k = new byte[1 + rnd.nextInt(2)];
    rnd.nextBytes(k);
    if (rnd.nextInt(4) == 0) {
      k[0] = (byte) (rnd.nextInt(16) * 16); // exactly on a range start
    }
    return k;
  }
}
