package dev.junction.sharding.routing;

import static dev.junction.sharding.routing.Fixtures.OPEN;
import static dev.junction.sharding.routing.Fixtures.key;
import static dev.junction.sharding.routing.Fixtures.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.store.Keys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The first table of a cluster: layout from split points, round-robin chains, even split points. */
class InitialPlacementTest {
  private static final List<String> FIVE = List.of("n0", "n1", "n2", "n3", "n4");

  @Test
  void rangesFollowTheSplitPointsWithIdsFromOneAtEpochOneAndVersionOne() {
    RoutingTable t = RoutingTable.initial(List.of(s("g"), s("p")), FIVE, 3);
    assertEquals(1, t.version());
    assertEquals(3, t.size());
    List<RangeConfig> r = t.ranges();
    assertEquals(List.of(1L, 2L, 3L), r.stream().map(RangeConfig::rangeId).toList());
    assertTrue(r.stream().allMatch(x -> x.epoch() == 1));
    assertArrayEquals(OPEN, r.get(0).start());
    assertArrayEquals(s("g"), r.get(0).end());
    assertArrayEquals(s("g"), r.get(1).start());
    assertArrayEquals(s("p"), r.get(1).end());
    assertArrayEquals(s("p"), r.get(2).start());
    assertArrayEquals(OPEN, r.get(2).end());
  }

  @Test
  void chainsAreRoundRobinWithSlotsFromZeroHeadFirst() {
    RoutingTable t = RoutingTable.initial(RoutingTable.evenSplitPoints(7), FIVE, 3);
    for (int i = 0; i < 7; i++) {
      List<Replica> expected = new ArrayList<>();
      for (int j = 0; j < 3; j++) {
        expected.add(new Replica(j, FIVE.get((i + j) % 5)));
      }
      assertEquals(expected, t.ranges().get(i).chain(), "range " + (i + 1));
    }
    assertEquals("n0", t.range(1).orElseThrow().head().node());
    assertEquals("n2", t.range(1).orElseThrow().tail().node());
    assertEquals("n4", t.range(5).orElseThrow().head().node());
    assertEquals("n1", t.range(5).orElseThrow().tail().node());
  }

  @Test
  void theReplicationFactorIsCappedAtTheNodeCount() {
    RoutingTable t = RoutingTable.initial(RoutingTable.evenSplitPoints(3), List.of("a", "b"), 3);
    for (RangeConfig r : t.ranges()) {
      assertEquals(2, r.chain().size());
      assertEquals(List.of(0, 1), r.chain().stream().map(Replica::slot).toList());
    }
    assertEquals(List.of(new Replica(0, "b"), new Replica(1, "a")), t.range(2).orElseThrow().chain());
  }

  @Test
  void everyChainHasDistinctNodesAndHeadsAndTailsAreSpreadEvenly() {
    for (int nodes = 1; nodes <= 6; nodes++) {
      List<String> names = IntStream.range(0, nodes).mapToObj(i -> "node-" + i).toList();
      for (int rf = 1; rf <= 7; rf++) {
        for (int ranges = 1; ranges <= 12; ranges++) {
          RoutingTable t = RoutingTable.initial(RoutingTable.evenSplitPoints(ranges), names, rf);
          String where = nodes + " nodes, rf " + rf + ", " + ranges + " ranges";
          Map<String, Integer> heads = new HashMap<>();
          Map<String, Integer> tails = new HashMap<>();
          for (RangeConfig r : t.ranges()) {
            List<String> chainNodes = r.chain().stream().map(Replica::node).toList();
            assertEquals(Math.min(rf, nodes), chainNodes.size(), where);
            assertEquals(chainNodes.size(), chainNodes.stream().distinct().count(), where);
            assertEquals(IntStream.range(0, chainNodes.size()).boxed().toList(),
                r.chain().stream().map(Replica::slot).toList(), where);
            heads.merge(r.head().node(), 1, Integer::sum);
            tails.merge(r.tail().node(), 1, Integer::sum);
          }
          assertSpreadEvenly(heads, names, ranges, where + ": heads");
          assertSpreadEvenly(tails, names, ranges, where + ": tails");
        }
      }
    }
  }

  @Test
  void noSplitPointsGiveOneRangeOverTheWholeKeySpace() {
    RoutingTable t = RoutingTable.initial(List.of(), List.of("solo"), 3);
    RangeConfig only = t.ranges().get(0);
    assertArrayEquals(OPEN, only.start());
    assertArrayEquals(OPEN, only.end());
    assertEquals(List.of(new Replica(0, "solo")), only.chain());
  }

  @Test
  void invalidArgumentsAreRejectedWithAReason() {
    assertRejected("at least one node", () -> RoutingTable.initial(List.of(), List.of(), 1));
    assertRejected("listed twice", () -> RoutingTable.initial(List.of(), List.of("a", "a"), 1));
    assertRejected("empty", () -> RoutingTable.initial(List.of(), List.of("a", ""), 1));
    assertRejected("at least 1", () -> RoutingTable.initial(List.of(), List.of("a"), 0));
    assertRejected("strictly increasing",
        () -> RoutingTable.initial(List.of(s("b"), s("a")), List.of("a"), 1));
    assertRejected("strictly increasing",
        () -> RoutingTable.initial(List.of(s("b"), s("b")), List.of("a"), 1));
    assertRejected("empty", () -> RoutingTable.initial(List.of(OPEN), List.of("a"), 1));
    assertRejected("missing", () -> RoutingTable.initial(null, List.of("a"), 1));
  }

  // ---- split points

  @Test
  void evenSplitPointsSpreadOverTheFirstByte() {
    assertSplitPoints(List.of(key(0x40), key(0x80), key(0xc0)), RoutingTable.evenSplitPoints(4));
    assertSplitPoints(List.of(key(0x80)), RoutingTable.evenSplitPoints(2));
    assertSplitPoints(List.of(key(0x55), key(0xaa)), RoutingTable.evenSplitPoints(3));
    assertEquals(List.of(), RoutingTable.evenSplitPoints(1));
    List<byte[]> all = RoutingTable.evenSplitPoints(256);
    assertEquals(255, all.size());
    for (int i = 0; i < 255; i++) {
      assertArrayEquals(key(i + 1), all.get(i));
    }
  }

  @Test
  void moreThan256RangesUseTwoBytesAndStayStrictlyIncreasing() {
    List<byte[]> points = RoutingTable.evenSplitPoints(1000);
    assertEquals(999, points.size());
    for (int i = 0; i < points.size(); i++) {
      assertEquals(2, points.get(i).length);
      assertTrue(i == 0 || Keys.compare(points.get(i - 1), points.get(i)) < 0);
    }
    assertEquals(1000, RoutingTable.initial(points, List.of("a"), 1).size());
    assertThrows(IllegalArgumentException.class, () -> RoutingTable.evenSplitPoints(0));
    assertThrows(IllegalArgumentException.class, () -> RoutingTable.evenSplitPoints(65_537));
  }

  @Test
  void printableSplitPointsPickEvenlyFromTheAlphabetAfterThePrefix() {
    assertEquals(List.of("user2", "user4", "user6", "user8"),
        text(RoutingTable.evenSplitPoints("user", "0123456789", 5)));
    assertEquals(List.of("g", "n", "t"),
        text(RoutingTable.evenSplitPoints("", "abcdefghijklmnopqrstuvwxyz", 4)));
    assertEquals(List.of(), text(RoutingTable.evenSplitPoints("k", "01", 1)));
    RoutingTable t = RoutingTable.initial(
        RoutingTable.evenSplitPoints("user", "0123456789", 5), List.of("a", "b", "c"), 3);
    assertEquals(1, t.lookup(s("user1999")).rangeId());
    assertEquals(3, t.lookup(s("user4")).rangeId());
    assertEquals(5, t.lookup(s("user9")).rangeId());
    assertRejected("alphabet", () -> RoutingTable.evenSplitPoints("u", "10", 2));
    assertRejected("between 1 and 16", () -> RoutingTable.evenSplitPoints("u", "01", 17));
    // More ranges than characters: two characters after the prefix.
    assertEquals(List.of("u01", "u10", "u11"), text(RoutingTable.evenSplitPoints("u", "01", 4)));
    List<String> twenty = text(RoutingTable.evenSplitPoints("user", "0123456789", 20));
    assertEquals(19, twenty.size());
    assertEquals(List.of("user05", "user10", "user15"), twenty.subList(0, 3));
    assertEquals("user95", twenty.get(18));
    assertEquals(List.of("u001", "u010", "u011", "u100", "u101", "u110", "u111"),
        text(RoutingTable.evenSplitPoints("u", "01", 8)));
    assertRejected("ASCII", () -> RoutingTable.evenSplitPoints("ü", "01", 2));
  }

  // ---- helpers

  private static void assertSpreadEvenly(
      Map<String, Integer> counts, List<String> nodes, int ranges, String where) {
    int min = nodes.stream().mapToInt(n -> counts.getOrDefault(n, 0)).min().orElseThrow();
    int max = nodes.stream().mapToInt(n -> counts.getOrDefault(n, 0)).max().orElseThrow();
    assertTrue(max - min <= 1, where + ": " + counts + " over " + ranges + " ranges");
  }

  private static void assertSplitPoints(List<byte[]> expected, List<byte[]> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), "split point " + i);
    }
  }

  private static List<String> text(List<byte[]> keys) {
    return keys.stream().map(k -> new String(k, StandardCharsets.US_ASCII)).toList();
  }

  private static void assertRejected(String reason, Runnable call) {
    String msg = assertThrows(IllegalArgumentException.class, call::run).getMessage();
    assertTrue(msg.contains(reason), () -> "expected '" + reason + "' in: " + msg);
  }
}
