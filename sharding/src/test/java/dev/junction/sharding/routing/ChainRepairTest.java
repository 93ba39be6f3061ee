package dev.junction.sharding.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import java.nio.charset.StandardCharsets;
import java.util.List;
import dev.junction.chain.core.ReplicaId;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChainRepairTest {
  private static final List<String> NODES = List.of("n1", "n2", "n3");

  private static RoutingTable table() {
    // range 1: n1 -> n2 -> n3, range 2: n2 -> n3 -> n1, range 3: n3 -> n1 -> n2
    return RoutingTable.initial(
        List.of("g".getBytes(StandardCharsets.UTF_8), "p".getBytes(StandardCharsets.UTF_8)), NODES, 3);
  }

  private static List<String> chain(RangeConfig r) {
    return r.chain().stream().map(Replica::node).toList();
  }

  private static final ChainRepair.Release LEASED = (range, slot) -> false;
  private static final ChainRepair.Release RELEASED = (range, slot) -> true;

  @Test
  void aLostReplicaLeavesItsChainAtTheNextEpochOnceItsLeaseIsReleased() {
    RoutingTable t = table();
    ChainRepair.Plan plan = ChainRepair.withoutLostNodes(t, Set.of("n1"), RELEASED).orElseThrow();
    RoutingTable next = plan.table();
    assertEquals(t.version() + 1, next.version());
    assertEquals(List.of("n2", "n3"), chain(next.range(1).orElseThrow()), "head lost: n2 is head");
    assertEquals(2, next.range(1).orElseThrow().epoch());
    assertEquals(List.of("n2", "n3"), chain(next.range(2).orElseThrow()), "tail lost: n3 is the tail now");
    assertEquals(List.of("n3", "n2"), chain(next.range(3).orElseThrow()), "middle lost: bridged");
    assertEquals(List.of(1L, 2L, 3L), plan.changed());
    assertEquals(List.of(), plan.waiting());
    // Slots are kept: a replica is never renamed.
    assertEquals(1, next.range(1).orElseThrow().head().slot());
  }

  @Test
  void aLostReplicaWhoseLeaseMayStillRunStaysAndItsRangeWaits() {
    RoutingTable t = table();
    assertEquals(List.of(1L, 2L, 3L), ChainRepair.withoutLostNodes(t, Set.of("n1"), LEASED).orElseThrow().waiting());
    assertTrue(ChainRepair.withoutLostNodes(t, Set.of("n1"), LEASED).orElseThrow().changed().isEmpty(),
        "every replica serves reads: none is dropped while its lease may run");
    int middle = t.range(3).orElseThrow().chain().get(1).slot();
    ChainRepair.Plan plan =
        ChainRepair.withoutLostNodes(t, Set.of("n1"), (range, slot) -> range == 3 && slot == middle).orElseThrow();
    assertEquals(List.of("n3", "n2"), chain(plan.table().range(3).orElseThrow()));
    assertEquals(List.of(3L), plan.changed());
    assertEquals(List.of(1L, 2L), plan.waiting());
    assertEquals(Set.of(new ReplicaId(1, 0), new ReplicaId(2, 2), new ReplicaId(3, 1)),
        ChainRepair.lostReplicas(t, Set.of("n1")));
  }

  @Test
  void twoLostNodesLeaveEachChainItsSurvivor() {
    ChainRepair.Plan plan = ChainRepair.withoutLostNodes(table(), Set.of("n1", "n2"), RELEASED).orElseThrow();
    assertEquals(List.of("n3"), chain(plan.table().range(1).orElseThrow()));
    assertEquals(List.of("n3"), chain(plan.table().range(2).orElseThrow()));
    assertEquals(List.of("n3"), chain(plan.table().range(3).orElseThrow()));
  }

  @Test
  void nothingLostIsNoPlanAndARepairedTableIsStable() {
    assertTrue(ChainRepair.withoutLostNodes(table(), Set.of(), RELEASED).isEmpty());
    assertTrue(ChainRepair.withoutLostNodes(table(), Set.of("elsewhere"), RELEASED).isEmpty());
    RoutingTable once = ChainRepair.withoutLostNodes(table(), Set.of("n1"), RELEASED).orElseThrow().table();
    assertTrue(ChainRepair.withoutLostNodes(once, Set.of("n1"), RELEASED).isEmpty(), "repairing again changes nothing");
  }

  @Test
  void aChainNeverLosesItsLastReplica() {
    RoutingTable single = RoutingTable.initial(List.of(), List.of("n1"), 1);
    ChainRepair.Plan plan = ChainRepair.withoutLostNodes(single, Set.of("n1"), RELEASED).orElseThrow();
    assertEquals(single, plan.table());
    assertEquals(List.of(1L), plan.waiting());
  }
}
