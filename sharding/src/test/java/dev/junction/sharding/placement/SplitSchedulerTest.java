package dev.junction.sharding.placement;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.sharding.routing.RoutingTable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The splits the statistics call for: too large at once, too busy only after a while, never too many. */
class SplitSchedulerTest {
  private static final long S = 1_000_000_000L;
  private static final RoutingTable TABLE = PlannerTest.table("a,b,c", "b,c,a", "c,a,b"); // cut at 0x55, 0xaa
  private static final SplitPolicy POLICY = new SplitPolicy(100 << 20, 1000, 1.0, Duration.ofSeconds(10), 2, 4096);

  private static LoadBook.RangeLoad load(long id, double reads, long bytes, byte[] middle) {
    return new LoadBook.RangeLoad(id, reads, 0, 0, 0, 0, 0, bytes > 0, bytes / 1000, bytes, middle, 1);
  }

  @Test
  void aLargeRangeSplitsAtTheMiddleOfItsBytes() {
    SplitScheduler s = new SplitScheduler(POLICY);
    List<Move.SplitRange> out = s.propose(TABLE, List.of(load(1, 10, 200 << 20, new byte[] {0x20}),
        load(2, 10, 50 << 20, new byte[] {0x60})), Map.of(), Map.of(), List.of(), 3, 0);
    assertEquals(1, out.size());
    assertEquals(1, out.get(0).rangeId());
    assertArrayEquals(new byte[] {0x20}, out.get(0).at());
    assertEquals("holds 200 MiB, above split.max-bytes (100 MiB): split at the middle of its bytes", out.get(0).reason());
    assertTrue(s.propose(TABLE, List.of(load(1, 10, 200 << 20, new byte[0])), Map.of(), Map.of(), List.of(), 3, 0).isEmpty(),
        "no middle measured: nothing");
  }

  @Test
  void aBusyRangeSplitsAtItsMedianRequestedKeyOnlyAfterStayingBusy() {
    SplitScheduler s = new SplitScheduler(POLICY);
    Map<Long, byte[]> medians = Map.of(2L, new byte[] {0x70});
    List<LoadBook.RangeLoad> loads = List.of(load(2, 10, 0, new byte[0]));
    Map<Long, Double> hot = Map.of(2L, 1500.0);
    assertTrue(s.propose(TABLE, loads, hot, medians, List.of(), 3, 0).isEmpty(), "busy since now");
    assertTrue(s.propose(TABLE, loads, hot, medians, List.of(), 3, 9 * S).isEmpty(), "not for 10 s yet");
    assertTrue(s.propose(TABLE, loads, Map.of(2L, 900.0), medians, List.of(), 3, 10 * S).isEmpty(),
        "it cooled down: the clock starts again");
    assertTrue(s.propose(TABLE, loads, hot, medians, List.of(), 3, 11 * S).isEmpty());
    List<Move.SplitRange> out = s.propose(TABLE, loads, hot, medians, List.of(), 3, 21 * S);
    assertEquals(1, out.size());
    assertArrayEquals(new byte[] {0x70}, out.get(0).at());
    assertEquals("1500 head requests/s for 10s, above split.max-head-requests-per-second (1000) and 300% of a node's part (500): split "
            + "where its sampled requests divide in two",
        out.get(0).reason());
    assertTrue(s.propose(TABLE, loads, hot, Map.of(2L, new byte[] {0x55}), List.of(), 3, 40 * S).isEmpty(),
        "a median at the range's start (one hot key there) cannot split it");
  }

  @Test
  void aBusyRangeLighterThanANodesPartOfAllTheHeadRequestsIsNotSplit() {
    SplitScheduler s = new SplitScheduler(POLICY);
    Map<Long, byte[]> medians = Map.of(1L, new byte[] {0x20}, 2L, new byte[] {0x70}, 3L, new byte[] {(byte) 0xc0});
    List<LoadBook.RangeLoad> loads = List.of(load(1, 10, 0, new byte[0]), load(2, 10, 0, new byte[0]),
        load(3, 10, 0, new byte[0]));
    // Three busy ranges, one per node: each is a node's part (1,500 of 4,500 over 3 nodes); moving heads
    // balances them, a split would not.
    Map<Long, Double> even = Map.of(1L, 1500.0, 2L, 1500.0, 3L, 1500.0);
    assertTrue(s.propose(TABLE, loads, even, medians, List.of(), 3, 0).isEmpty());
    assertTrue(s.propose(TABLE, loads, even, medians, List.of(), 3, 20 * S).isEmpty(), "however long it lasts");
    // Range 2 takes 2,400 of 4,200: 171 % of a node's part (1,400); range 1 is above the threshold too,
    // but takes only 86 % of a node's part.
    Map<Long, Double> skewed = Map.of(1L, 1200.0, 2L, 2400.0, 3L, 600.0);
    assertTrue(s.propose(TABLE, loads, skewed, medians, List.of(), 3, 30 * S).isEmpty(), "busy since now");
    List<Move.SplitRange> out = s.propose(TABLE, loads, skewed, medians, List.of(), 3, 40 * S);
    assertEquals(List.of(2L), out.stream().map(Move.SplitRange::rangeId).toList());
    assertEquals("2400 head requests/s for 10s, above split.max-head-requests-per-second (1000) and 171% of a node's "
        + "part (1400): split where its sampled requests divide in two", out.get(0).reason());
    assertTrue(s.propose(TABLE, loads, skewed, medians, List.of(), 6, 60 * S).isEmpty(), "busy since now");
    assertEquals(List.of(1L, 2L), s.propose(TABLE, loads, skewed, medians, List.of(), 6, 70 * S).stream()
        .map(Move.SplitRange::rangeId).toList(), "with 6 nodes a node's part is 700: ranges 1 and 2 split");
  }

  @Test
  void rangesWithAnOperatorAndSplitsBeyondTheLimitsWait() {
    SplitScheduler s = new SplitScheduler(POLICY);
    List<LoadBook.RangeLoad> large = List.of(load(1, 0, 200 << 20, new byte[] {0x20}),
        load(2, 0, 200 << 20, new byte[] {0x60}), load(3, 0, 200 << 20, new byte[] {(byte) 0xc0}));
    assertEquals(List.of(1L, 2L), s.propose(TABLE, large, Map.of(), Map.of(), List.of(), 3, 0).stream()
        .map(Move.SplitRange::rangeId).toList(), "two at a time");
    MoveBook.Operator splitting = new MoveBook.Operator(1, new Move.SplitRange(1, new byte[] {0x20}, 4, 5, "t"), -1, 1,
        MoveBook.Phase.SEALING, 0, false);
    MoveBook.Operator moving = new MoveBook.Operator(2, new Move.HeadMove(2, "b", "c", "t"), 1, 1,
        MoveBook.Phase.PROMOTING, 0, false);
    assertEquals(List.of(3L), s.propose(TABLE, large, Map.of(), Map.of(), List.of(splitting, moving), 3, 0).stream()
        .map(Move.SplitRange::rangeId).toList(), "one under way counts; a range with an operator waits");
    SplitScheduler capped = new SplitScheduler(new SplitPolicy(100 << 20, 1000, 1.0, Duration.ofSeconds(10), 2, 3));
    assertTrue(capped.propose(TABLE, large, Map.of(), Map.of(), List.of(), 3, 0).isEmpty(), "the table holds max-ranges already");
  }

  @Test
  void theNewestSamplesOfEachRangeAreCutAtTheirMedian() {
    KeySamples samples = new KeySamples(3);
    samples.report(Map.of(1L, List.of(new byte[] {1}, new byte[] {9}), 2L, List.of(new byte[] {(byte) 0x90})));
    samples.report(Map.of(1L, List.of(new byte[] {5}, new byte[] {7})));
    Map<Long, byte[]> cuts = samples.splitKeys(TABLE);
    assertArrayEquals(new byte[] {7}, cuts.get(1L), "of 9, 5, 7 (1 is the oldest of four, forgotten)");
    assertFalse(cuts.containsKey(2L), "one key: no cut spreads its requests");
    assertEquals(Map.of(), samples.splitKeys(PlannerTest.table("a,b,c").reserveIds(5).withSplit(1, new byte[] {1}, 4, 5)),
        "ranges no longer in the table are forgotten");
  }

  @Test
  void aCutGivesEachPartAtLeastAQuarterOfTheSamples() {
    assertArrayEquals(new byte[] {2}, cut(1, 1, 2, 2, 2, 3), "before the median key's first sample: 2 | 4");
    assertArrayEquals(new byte[] {2}, cut(1, 1, 1, 1, 2, 3), "the lowest key is the median: after it, 4 | 2");
    assertArrayEquals(new byte[] {4}, cut(1, 2, 3, 4, 4, 4, 4, 5), "3 | 5");
    assertNull(cut(1, 1, 1, 1, 1, 1, 1, 2), "one key takes 7 of 8: a split would not relieve its head");
    assertNull(cut(3, 3, 3), "one key");
  }

  private static byte[] cut(int... keys) {
    KeySamples samples = new KeySamples(64);
    List<byte[]> list = new java.util.ArrayList<>();
    for (int k : keys) {
      list.add(new byte[] {(byte) k});
    }
    java.util.Collections.shuffle(list, new java.util.Random(keys.length));
    samples.report(Map.of(1L, list));
    return samples.splitKeys(TABLE).get(1L);
  }
}
