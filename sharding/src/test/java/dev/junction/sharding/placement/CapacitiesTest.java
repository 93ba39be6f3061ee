package dev.junction.sharding.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the nodes offer the planner: announced capacities when every taker announces them, else equal shares. */
class CapacitiesTest {
  private static final List<String> UP = List.of("a", "b", "c");

  @Test
  void equalSharesOfWhatTheReplicasNeedWhenNodesSayNothing() {
    List<NodeSpec> nodes = Capacities.nodes(UP, Set.of("c"), Map.of("a", "r1"), Map.of(), Map.of(), 1000, 90);
    assertEquals(List.of(new NodeSpec("a", "r1", 500, 45, NodeSpec.State.UP),
        new NodeSpec("b", "", 500, 45, NodeSpec.State.UP), new NodeSpec("c", "", 500, 45, NodeSpec.State.DRAINING)),
        nodes, "two takers share 1,000 bytes and 90 ops/s; the drained node is not one of them");
  }

  @Test
  void announcedCapacitiesWhenEveryTakerAnnouncesThemPerDimension() {
    List<NodeSpec> nodes = Capacities.nodes(UP, Set.of(), Map.of(),
        Map.of("a", 4000L, "b", 2000L, "c", 2000L), Map.of("a", 100.0, "b", 50.0), 1200, 90);
    assertEquals(List.of(4000L, 2000L, 2000L), nodes.stream().map(NodeSpec::storageBytes).toList(),
        "every node said its storage: absolute");
    assertEquals(List.of(30.0, 30.0, 30.0), nodes.stream().map(NodeSpec::opsPerSecond).toList(),
        "c said nothing about requests: equal shares for all, not a mix");
    assertEquals(List.of(400L, 400L, 400L), Capacities.nodes(UP, Set.of(), Map.of(),
        Map.of("a", 4000L, "b", 0L, "c", 2000L), Map.of(), 1200, 90).stream().map(NodeSpec::storageBytes).toList(),
        "a zero is not an announcement");
  }
}
