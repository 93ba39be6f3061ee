package dev.junction.sharding.placement;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.sharding.routing.LoadSnapshot;
import dev.junction.sharding.routing.RoutingTable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class LoadBookTest {
  private static final Duration W = Duration.ofSeconds(2);
  private static final long S = 1_000_000_000L;
  private static final double EPS = 1e-9;

  /** Counts of {@code reads} reads and {@code writes} writes per range, sent to the node given. */
  private static LoadSnapshot counts(Object... rangeNodeReadsWrites) {
    TreeMap<Long, LoadSnapshot.Counts> byRange = new TreeMap<>();
    TreeMap<String, LoadSnapshot.Counts> byNode = new TreeMap<>();
    for (int i = 0; i < rangeNodeReadsWrites.length; i += 4) {
      long range = ((Number) rangeNodeReadsWrites[i]).longValue();
      String node = (String) rangeNodeReadsWrites[i + 1];
      long reads = ((Number) rangeNodeReadsWrites[i + 2]).longValue();
      long writes = ((Number) rangeNodeReadsWrites[i + 3]).longValue();
      LoadSnapshot.Counts c = new LoadSnapshot.Counts(reads, writes, 0, 10 * writes, 100 * reads);
      byRange.merge(range, c, LoadSnapshot.Counts::plus);
      byNode.merge(node, c, LoadSnapshot.Counts::plus);
    }
    return new LoadSnapshot(byRange, byNode);
  }

  /** The weight of one report of window {@code W} in an average of half-life {@code halfLife}. */
  private static double alpha(Duration halfLife) {
    return 1 - Math.pow(0.5, (double) W.toNanos() / halfLife.toNanos());
  }

  private static LoadBook.RangeLoad range(List<LoadBook.RangeLoad> all, long id) {
    return all.stream().filter(r -> r.rangeId() == id).findFirst().orElseThrow();
  }

  @Test
  void aRangesRateIsTheSumOfWhatEveryGatewayCounted() {
    RoutingTable table = PlannerTest.table("a,b,c", "b,c,a");
    LoadBook book = new LoadBook(Duration.ofSeconds(10), Duration.ofSeconds(30));
    book.report("a", W, counts(1, "a", 200, 20, 2, "b", 40, 0), List.of(), 0);
    book.report("b", W, counts(1, "c", 100, 0), List.of(), 0);

    // Averages start at zero: one report moves them alpha of the way to the window's rate.
    double a = alpha(Duration.ofSeconds(10));
    List<LoadBook.RangeLoad> ranges = book.ranges(table, 0);
    assertEquals(a * 150, range(ranges, 1).readsPerSecond(), EPS); // (200 + 100) / 2 s
    assertEquals(a * 10, range(ranges, 1).writesPerSecond(), EPS);
    assertEquals(a * 100 * 150, range(ranges, 1).bytesOutPerSecond(), EPS);
    assertEquals(a * 100, range(ranges, 1).bytesInPerSecond(), EPS);
    assertEquals(a * 20, range(ranges, 2).readsPerSecond(), EPS);
    assertFalse(range(ranges, 1).sized());

    List<LoadBook.NodeLoad> nodes = book.nodes(table, 0);
    assertEquals(List.of("a", "b", "c"), nodes.stream().map(LoadBook.NodeLoad::node).toList());
    assertEquals(a * 100, nodes.get(0).readsPerSecond(), EPS);
    assertEquals(a * 10, nodes.get(0).writesPerSecond(), EPS);
    assertEquals(a * 20, nodes.get(1).readsPerSecond(), EPS);
    assertEquals(a * 50, nodes.get(2).readsPerSecond(), EPS);
    assertEquals(2, nodes.get(0).replicas());
    assertEquals(1, nodes.get(0).heads());
    assertEquals(0, nodes.get(2).heads());
  }

  @Test
  void ratesMoveTowardsNewCountsByTheHalfLifeAndDecayWhenARangeFallsSilent() {
    RoutingTable table = PlannerTest.table("a,b,c", "b,c,a");
    LoadBook book = new LoadBook(Duration.ofSeconds(2), Duration.ofSeconds(30));
    book.report("a", W, counts(1, "a", 400, 0, 2, "b", 400, 0), List.of(), 0);
    assertEquals(100, range(book.ranges(table, 0), 1).readsPerSecond(), EPS); // half-way from 0 to 200
    // One half-life later at 300/s: half-way from 100 to 300.
    book.report("a", W, counts(1, "a", 600, 0), List.of(), 2 * S);
    assertEquals(200, range(book.ranges(table, 2 * S), 1).readsPerSecond(), EPS);
    // Range 2 was not in the report: it counted nothing, so it halves.
    assertEquals(50, range(book.ranges(table, 2 * S), 2).readsPerSecond(), EPS);
    assertEquals(50, book.nodes(table, 2 * S).get(1).readsPerSecond(), EPS);
  }

  @Test
  void aGatewayThatStopsReportingIsForgottenAfterTheExpiry() {
    RoutingTable table = PlannerTest.table("a,b,c");
    LoadBook book = new LoadBook(W, Duration.ofSeconds(30)); // each report: half-way
    book.report("a", W, counts(1, "a", 400, 0), List.of(), 0);
    book.report("b", W, counts(1, "a", 400, 0), List.of(), 0);
    book.report("a", W, counts(1, "a", 400, 0), List.of(), 25 * S);
    assertEquals(150 + 100, range(book.ranges(table, 25 * S), 1).readsPerSecond(), EPS);
    assertEquals(150, range(book.ranges(table, 31 * S), 1).readsPerSecond(), EPS); // b is forgotten
    // It reports again: it starts afresh rather than from what it said before it went away.
    book.report("b", W, counts(1, "a", 40, 0), List.of(), 40 * S);
    // (Gateway a, 15 s since its last report, still counts its 150/s.)
    assertEquals(150 + 10, range(book.ranges(table, 40 * S), 1).readsPerSecond(), EPS);
    assertTrue(book.ranges(table, 100 * S).stream().allMatch(r -> r.readsPerSecond() == 0));
  }

  @Test
  void sizesComeFromTheNewestMeasurementAndLeaveWithTheirRange() {
    RoutingTable table = PlannerTest.table("a,b,c", "b,c,a");
    LoadBook book = new LoadBook(Duration.ofSeconds(10), Duration.ofSeconds(30));
    byte[] middle = "m".getBytes(StandardCharsets.UTF_8);
    book.report("a", W, LoadSnapshot.EMPTY, List.of(new ReplicaSize(1, 0, 10, 1000, middle, 7)), 0);
    book.report("b", W, LoadSnapshot.EMPTY, List.of(new ReplicaSize(1, 1, 12, 1200, middle, 9)), S);
    LoadBook.RangeLoad one = range(book.ranges(table, S), 1);
    assertTrue(one.sized());
    assertEquals(12, one.keys());
    assertEquals(1200, one.bytes());
    assertEquals(9, one.appliedSeq());
    assertArrayEquals(middle, one.middleKey());
    // Every replica of range 1 holds its 1,200 bytes.
    assertEquals(1200, book.nodes(table, S).get(0).bytes());
    assertEquals(1200, book.nodes(table, S).get(2).bytes());

    Map<Long, RangeStats> stats = book.stats(table, new RangeStats(0, 100, 0.5, 0.25), S);
    assertEquals(new RangeStats(1, 1200, 0.5, 0.25), stats.get(1L));
    assertEquals(new RangeStats(2, 100, 0.5, 0.25), stats.get(2L)); // nothing known: the floor

    // Range 2 took over range 1's keys (as a merge would): range 1's size goes with it.
    RoutingTable withoutOne = RoutingTable.of(2, List.of(
        new RangeConfig(2, new byte[0], new byte[0], 2, table.range(2).orElseThrow().chain())));
    assertEquals(1, book.ranges(withoutOne, S).size());
    assertFalse(range(book.ranges(table, S), 1).sized()); // gone, not kept for a range that left
  }

  @Test
  void badSettingsAndWindowsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new LoadBook(Duration.ZERO, Duration.ofSeconds(1)));
    LoadBook book = new LoadBook(Duration.ofSeconds(1), Duration.ofSeconds(1));
    assertThrows(IllegalArgumentException.class, () -> book.report("a", Duration.ZERO, LoadSnapshot.EMPTY, List.of(), 0));
  }

  @Test
  void theRecentHeadRateIsTheLastWindowsWritesSummedOverGatewaysWithoutAveraging() {
    RoutingTable table = PlannerTest.table("a,b,c", "b,c,a");
    LoadBook book = new LoadBook(Duration.ofSeconds(10), Duration.ofSeconds(30));
    book.report("a", W, counts(1, "a", 500, 300), List.of(), 0);
    book.report("b", W, counts(1, "a", 0, 100, 2, "b", 80, 0), List.of(), 0);
    Map<Long, Double> recent = book.recentHeadRequestsPerSecond(table, 0);
    assertEquals(200, recent.get(1L), EPS, "(300 + 100) writes over 2 s, at once; reads do not count");
    assertEquals(0, recent.get(2L), EPS);
    book.report("a", W, counts(), List.of(), 2 * S);
    assertEquals(50, book.recentHeadRequestsPerSecond(table, 2 * S).get(1L), EPS, "gateway a's newest window is idle");
    assertTrue(book.recentHeadRequestsPerSecond(PlannerTest.table("a,b,c"), 2 * S).keySet().stream()
        .allMatch(id -> id == 1L), "ranges not in the table are left out");
  }

  @Test
  void aNodesRecentRateIsWhatTheGatewaysLastWindowsSentItWithoutAveraging() {
    RoutingTable table = PlannerTest.table("a,b,c", "b,c,a");
    LoadBook book = new LoadBook(Duration.ofSeconds(10), Duration.ofSeconds(30));
    book.report("a", W, counts(1, "a", 500, 300, 2, "b", 40, 0), List.of(), 0);
    book.report("b", W, counts(1, "a", 0, 100), List.of(), 0);
    List<LoadBook.NodeLoad> nodes = book.nodes(table, 0);
    assertEquals(450, nodes.get(0).recentRequestsPerSecond(), EPS, "(500 + 300 + 100) over 2 s, at once");
    assertEquals(20, nodes.get(1).recentRequestsPerSecond(), EPS);
    assertEquals(0, nodes.get(2).recentRequestsPerSecond(), EPS, "c served nothing");
    assertTrue(nodes.get(0).readsPerSecond() < 250, "the averages only began to move: " + nodes.get(0));
    // Gateway a's next window sends everything to c: a keeps only what b's last window sent it.
    book.report("a", W, counts(1, "c", 60, 0), List.of(), 2 * S);
    nodes = book.nodes(table, 2 * S);
    assertEquals(50, nodes.get(0).recentRequestsPerSecond(), EPS);
    assertEquals(0, nodes.get(1).recentRequestsPerSecond(), EPS);
    assertEquals(30, nodes.get(2).recentRequestsPerSecond(), EPS);
  }
}
