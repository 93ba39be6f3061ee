package dev.junction.sharding.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplacementPlannerTest {
  private static final long S = 1_000_000_000L;
  private static final List<String> LIVE = List.of("n1", "n2", "n3");

  /** One range on n1 -> n2 (n3 lost and already out of the chain), at epoch 2. */
  private static RoutingTable shortTable() {
    RoutingTable t = RoutingTable.initial(List.of(), List.of("n1", "n2", "n3"), 3);
    RangeConfig r = t.range(1).orElseThrow();
    return t.withRange(r.withChain(r.chain().subList(0, 2)));
  }

  @Test
  void aShortRangeIsCopiedAfterTheDelayToTheNodeOutsideItsChainAndJoinsWhenReady() {
    ReplacementPlanner planner = new ReplacementPlanner(Duration.ofSeconds(10));
    RoutingTable t = shortTable();
    assertEquals(List.of(), planner.tick(t, LIVE, Set.of(), 3, 0), "not before replace-after");
    assertEquals(List.of(), planner.tick(t, LIVE, Set.of(), 3, 9 * S));
    List<ReplacementPlanner.Step> steps = planner.tick(t, LIVE, Set.of(), 3, 10 * S);
    assertEquals(1, steps.size());
    ReplacementPlanner.Copy copy = steps.get(0).copy();
    assertTrue(steps.get(0).started());
    assertEquals("n3", copy.node());
    assertEquals(Replacement.FIRST_ADDED_SLOT + 2, copy.slot());
    ReplacementPlanner.Step again = planner.tick(t, LIVE, Set.of(), 3, 11 * S).get(0);
    assertEquals(copy, again.copy(), "the same copy is asked for again");
    assertFalse(again.started());

    assertTrue(planner.ready(t, 1, copy.slot(), "n1").isEmpty(), "only the node the copy went to");
    RoutingTable joined = planner.ready(t, 1, copy.slot(), "n3").orElseThrow();
    RangeConfig r = joined.range(1).orElseThrow();
    assertEquals(new Replica(copy.slot(), "n3"), r.tail());
    assertEquals(3, r.epoch());
    assertEquals(List.of(), planner.tick(joined, LIVE, Set.of(), 3, 12 * S), "full again");
  }

  @Test
  void aCopyThatOutlivesAChainChangeIsDroppedAndItsSlotNeverReused() {
    ReplacementPlanner planner = new ReplacementPlanner(Duration.ZERO);
    RoutingTable t = shortTable();
    ReplacementPlanner.Copy first = planner.tick(t, LIVE, Set.of(), 3, 0).get(0).copy();
    RangeConfig r = t.range(1).orElseThrow();
    RoutingTable changed = t.withRange(r.withChain(r.chain())); // the chain changed: epoch 3
    assertTrue(planner.ready(changed, 1, first.slot(), first.node()).isEmpty(), "a copy of another configuration");
    ReplacementPlanner.Copy second = planner.tick(changed, LIVE, Set.of(), 3, 1).get(0).copy();
    assertEquals(Replacement.FIRST_ADDED_SLOT + 3, second.slot());
  }

  @Test
  void aRangeWithALostReplicaStillInItsChainWaits() {
    ReplacementPlanner planner = new ReplacementPlanner(Duration.ZERO);
    assertEquals(List.of(), planner.tick(shortTable(), List.of("n1", "n3"), Set.of("n2"), 3, 0));
  }
}
