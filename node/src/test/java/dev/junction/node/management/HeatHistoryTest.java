package dev.junction.node.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeatHistoryTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static HeatHistory.Range range(long id, String start, String end, double rps) {
    return new HeatHistory.Range(id, b(start), b(end), rps, 10, 1000, List.of("n1", "n2"));
  }

  private static HeatHistory.Sample sample(long millis, HeatHistory.Range... ranges) {
    return new HeatHistory.Sample(millis, List.of(ranges), List.of(), List.of());
  }

  /** The cells of range index {@code r}, oldest first. */
  private static List<Double> row(HeatHistory.View v, int r) {
    return v.cells().stream().filter(c -> c.range() == r).map(HeatHistory.Cell::value).toList();
  }

  @Test
  void cellsFollowTheRangesThroughTimeAndTheHottestIsTheNewestSamples() {
    HeatHistory h = new HeatHistory(10);
    h.add(sample(1000, range(1, "", "m", 5), range(2, "m", "", 50)));
    h.add(sample(2000, range(1, "", "m", 80), range(2, "m", "", 20)));
    HeatHistory.View v = h.view();
    assertEquals(List.of(1000L, 2000L), v.times());
    assertEquals(List.of(1L, 2L), v.ranges().stream().map(HeatHistory.Range::id).toList());
    assertEquals(List.of(5.0, 80.0), row(v, 0));
    assertEquals(List.of(50.0, 20.0), row(v, 1));
    assertEquals(1, v.hottestRange());
    assertEquals(80.0, v.hottest());
  }

  @Test
  void aSplitRangesPartsShowTheirParentsLoadBeforeTheSplit() {
    HeatHistory h = new HeatHistory(10);
    h.add(sample(1000, range(1, "", "m", 5), range(2, "m", "", 60)));
    h.add(sample(2000, range(1, "", "m", 5), range(3, "m", "t", 40), range(4, "t", "", 10)));
    HeatHistory.View v = h.view();
    assertEquals(List.of(1L, 3L, 4L), v.ranges().stream().map(HeatHistory.Range::id).toList());
    assertEquals(List.of(60.0, 40.0), row(v, 1), "the left part holds the parent's start");
    assertEquals(List.of(60.0, 10.0), row(v, 2), "the right part: the range that then held its start");
  }

  @Test
  void aMergedRangeShowsTheSumOfWhatItMerged() {
    HeatHistory h = new HeatHistory(10);
    h.add(sample(1000, range(1, "", "f", 1), range(2, "f", "m", 7), range(3, "m", "", 30)));
    h.add(sample(2000, range(1, "", "f", 1), range(5, "f", "", 35)));
    assertEquals(List.of(37.0, 35.0), row(h.view(), 1));
  }

  @Test
  void itKeepsTheNewestSamplesUpToItsCapacityInTimeOrder() {
    HeatHistory h = new HeatHistory(3);
    for (int i = 1; i <= 5; i++) {
      h.add(sample(i * 1000L, range(1, "", "", i)));
    }
    h.add(sample(4500, range(1, "", "", 99))); // older than the newest: ignored
    HeatHistory.View v = h.view();
    assertEquals(List.of(3000L, 4000L, 5000L), v.times());
    assertEquals(List.of(3.0, 4.0, 5.0), row(v, 0));
    assertThrows(IllegalArgumentException.class, () -> new HeatHistory(0));
  }

  @Test
  void anEmptyHistoryAndAnIdleClusterHaveNoHottestRange() {
    assertEquals(0, new HeatHistory(2).view().ranges().size());
    HeatHistory h = new HeatHistory(2);
    h.add(sample(1000, range(1, "", "", 0)));
    assertEquals(0, h.view().hottestRange());
  }

  @Test
  void theSamplersSettingsAreCheckedWithTheirNames() {
    HeatMapUi.checkSettings(java.time.Duration.ofSeconds(5), 120);
    assertEquals("junction.node.heat-map.interval must be positive, not PT0S", assertThrows(
        IllegalArgumentException.class, () -> HeatMapUi.checkSettings(java.time.Duration.ZERO, 120)).getMessage());
    assertEquals("junction.node.heat-map.samples must be at least 1, not 0", assertThrows(
        IllegalArgumentException.class, () -> HeatMapUi.checkSettings(java.time.Duration.ofSeconds(1), 0)).getMessage());
  }

  private static HeatHistory.Range sized(long id, long keys, long bytes) {
    return new HeatHistory.Range(id, b("k" + id), b("k" + (id + 1)), 0, keys, bytes, List.of("n1"));
  }

  @Test
  void eachRangeTakesRowsOfTheKeyAxisInProportionToItsBytesOrElseItsKeys() {
    // Bytes 0 : 1000 : 3000 share the 97 rows left after one each: 0, 24.25, 72.75 -> 0, 24, 73 by the
    // largest remainder; the empty range keeps its one row.
    HeatHistory.Rows r = HeatHistory.rows(List.of(sized(1, 0, 0), sized(2, 10, 1000), sized(3, 10, 3000)), 100);
    assertEquals(new HeatHistory.Rows("bytes", List.of(1, 25, 74)), r);
    assertEquals(100, r.total());
    // A range whose bytes are unknown: by keys (98 rows left: 19.6, 78.4 -> 19 + 1, 78).
    r = HeatHistory.rows(List.of(sized(1, 1, -1), sized(2, 4, 2000)), 100);
    assertEquals(new HeatHistory.Rows("keys", List.of(21, 79)), r);
    // Nothing known, or nothing stored: one row each.
    assertEquals(new HeatHistory.Rows("none", List.of(1, 1)), HeatHistory.rows(List.of(sized(1, -1, -1), sized(2, 3, -1)), 100));
    assertEquals(new HeatHistory.Rows("none", List.of(1, 1)), HeatHistory.rows(List.of(sized(1, 0, 0), sized(2, 0, 0)), 100));
    // More ranges than rows: one each. Equal sizes: equal shares, the leftover to the first ranges.
    assertEquals(List.of(1, 1, 1), HeatHistory.rows(List.of(sized(1, 1, 9), sized(2, 1, 9), sized(3, 1, 9)), 2).rows());
    assertEquals(List.of(4, 3, 3), HeatHistory.rows(List.of(sized(1, 1, 9), sized(2, 1, 9), sized(3, 1, 9)), 10).rows());
    assertEquals(List.of(), HeatHistory.rows(List.of(), 100).rows());
  }

  @Test
  void theJsonGivesEachRangeItsRowsAndSaysWhatTheyAreSizedBy() {
    HeatHistory h = new HeatHistory(4);
    h.add(sample(1000, range(1, "", "m", 5), range(2, "m", "", 50)));
    String json = HeatMapUi.json(h.view(), 5000);
    assertEquals(HeatHistory.AXIS_ROWS, h.view().rows().total());
    assertEquals(true, json.contains("\"rows\":50"), json); // equal bytes: half the axis each
    assertEquals(true, json.contains("\"sizedBy\":\"bytes\""), json);
  }

  @Test
  void keysArePrintedForPeople() {
    assertEquals("[-inf, user04)", range(1, "", "user04", 0).interval());
    assertEquals("[a\\x00\\xff\\x5c, +inf)",
        new HeatHistory.Range(1, new byte[] {'a', 0, (byte) 0xff, '\\'}, new byte[0], 0, 0, 0, List.of()).interval());
  }
}
