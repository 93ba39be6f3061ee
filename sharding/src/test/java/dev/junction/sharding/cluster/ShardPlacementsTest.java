package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardPlacementsTest {
  private static final long REFRESH = 30_000;

  @Test
  void firstEverythingThenOnlyWhatChangedThenEverythingAgainAfterTheRefreshInterval() {
    ShardPlacements<String> p = new ShardPlacements<>(REFRESH);
    Map<String, String> table = Map.of("1.0", "a", "1.1", "b", "2.0", "c");
    ShardPlacements.Batch<String> first = p.toTell(table, 0);
    assertTrue(first.all());
    assertEquals(table, first.locations());
    p.told(first, 0);

    assertEquals(Map.of(), p.toTell(table, 10).locations(), "nothing changed: nothing to tell");
    Map<String, String> moved = Map.of("1.0", "a", "1.1", "d", "2.0", "c", "2.1", "e");
    ShardPlacements.Batch<String> diff = p.toTell(moved, 20);
    assertFalse(diff.all());
    assertEquals(Map.of("1.1", "d", "2.1", "e"), diff.locations());
    p.told(diff, 20);
    assertEquals(Map.of(), p.toTell(moved, 30).locations());

    ShardPlacements.Batch<String> refresh = p.toTell(moved, REFRESH);
    assertTrue(refresh.all(), "the whole map again once the refresh interval passed since the last whole one");
    assertEquals(moved, refresh.locations());
  }

  @Test
  void aBatchThatWasNotToldIsToldAgainAndAFailureTellsEverything() {
    ShardPlacements<String> p = new ShardPlacements<>(REFRESH);
    Map<String, String> table = Map.of("1.0", "a", "1.1", "b");
    p.told(p.toTell(table, 0), 0);
    Map<String, String> moved = Map.of("1.0", "a", "1.1", "c");
    assertEquals(Map.of("1.1", "c"), p.toTell(moved, 5).locations());
    // Not told (still under way, or lost): the next table still finds it changed.
    assertEquals(Map.of("1.1", "c"), p.toTell(moved, 6).locations());
    p.forget();
    ShardPlacements.Batch<String> again = p.toTell(moved, 7);
    assertTrue(again.all());
    assertEquals(moved, again.locations());
  }
}
