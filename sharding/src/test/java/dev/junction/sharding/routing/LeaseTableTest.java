package dev.junction.sharding.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import dev.junction.chain.core.ReplicaId;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LeaseTableTest {
  private static final long MS = 1_000_000;
  private static final Duration LEASE = Duration.ofMillis(1000);
  private static final Duration MARGIN = Duration.ofMillis(100);

  /** range 1 on n1 -> n2 -> n3. */
  private static RangeConfig range() {
    return RoutingTable.initial(List.of(), List.of("n1", "n2", "n3"), 3).range(1).orElseThrow();
  }

  private static final int TAIL = range().tail().slot();
  private static final int MIDDLE = range().chain().get(1).slot();

  @Test
  void everyMemberOfTheCurrentChainGetsALease() {
    LeaseTable leases = new LeaseTable(LEASE, MARGIN, 0);
    assertEquals(OptionalLong.of(1000 * MS), leases.grant(range(), TAIL, 10 * MS));
    assertEquals(OptionalLong.of(1000 * MS), leases.grant(range(), MIDDLE, 10 * MS), "reads at every replica");
    assertEquals(OptionalLong.empty(), leases.grant(range(), 77, 10 * MS), "not in the chain");
    assertEquals(OptionalLong.empty(), leases.grant(null, TAIL, 10 * MS), "an unknown range");
  }

  @Test
  void aRevokedTailGetsNoGrantAndIsReleasedWhenItsLastLeaseAndTheMarginAreOver() {
    LeaseTable leases = new LeaseTable(LEASE, MARGIN, 0);
    long start = 5000 * MS; // long after the controller started
    leases.grant(range(), TAIL, start);
    assertFalse(leases.released(1, TAIL, start + 2000 * MS), "not revoked: the tail is not being replaced");
    leases.revokeOnly(Set.of(new ReplicaId(1, TAIL)));
    assertEquals(OptionalLong.empty(), leases.grant(range(), TAIL, start + 10 * MS), "revoked: no renewal");
    assertFalse(leases.released(1, TAIL, start + 1099 * MS));
    assertTrue(leases.released(1, TAIL, start + 1100 * MS));
    assertEquals(start + 1100 * MS, leases.releaseTime(1, TAIL, start + 500 * MS));
  }

  @Test
  void aNewControllerWaitsOneLeaseBeforeReleasingAnyTail() {
    LeaseTable leases = new LeaseTable(LEASE, MARGIN, 7 * MS);
    leases.revokeOnly(Set.of(new ReplicaId(1, TAIL)));
    assertFalse(leases.released(1, TAIL, 8 * MS), "a previous controller may have granted a lease just now");
    assertFalse(leases.released(1, TAIL, 1106 * MS));
    assertTrue(leases.released(1, TAIL, 1107 * MS));
  }

  @Test
  void liftingARevocationAllowsGrantsAgain() {
    LeaseTable leases = new LeaseTable(LEASE, MARGIN, 0);
    leases.revokeOnly(Set.of(new ReplicaId(1, TAIL)));
    assertTrue(leases.grant(range(), TAIL, 0).isEmpty());
    leases.revokeOnly(Set.of()); // the node came back before its tail was replaced
    assertTrue(leases.grant(range(), TAIL, 0).isPresent());
    assertFalse(leases.released(1, TAIL, 10_000 * MS), "only a revoked replica is ever released");
  }

  @Test
  void aRevokedMiddleIsReleasedLikeATailAndTheOthersKeepTheirLeases() {
    LeaseTable leases = new LeaseTable(LEASE, MARGIN, 0);
    long start = 5000 * MS;
    leases.grant(range(), MIDDLE, start);
    leases.grant(range(), TAIL, start);
    leases.revokeOnly(Set.of(new ReplicaId(1, MIDDLE)));
    assertTrue(leases.grant(range(), MIDDLE, start + 10 * MS).isEmpty());
    assertTrue(leases.grant(range(), TAIL, start + 10 * MS).isPresent());
    assertFalse(leases.released(1, MIDDLE, start + 1099 * MS));
    assertTrue(leases.released(1, MIDDLE, start + 1100 * MS));
    assertFalse(leases.released(1, TAIL, start + 5000 * MS), "only a revoked replica is ever released");
  }

  @Test
  void aTailWhoseRemovalIsBeingPublishedGetsNoLease() {
    LeaseTable leases = new LeaseTable(LEASE, MARGIN, 0);
    RangeConfig withoutTail = range().withChain(range().chain().subList(0, 2));
    assertTrue(leases.grant(range(), withoutTail, TAIL, 10 * MS).isEmpty(), "the new table drops it");
    assertTrue(leases.grant(range(), range(), TAIL, 10 * MS).isPresent(), "the new table keeps it as tail");
    assertTrue(leases.grant(withoutTail, null, MIDDLE, 10 * MS).isPresent(), "the new tail, once published");
  }

  @Test
  void theClockMayWrapAround() {
    long start = Long.MAX_VALUE - 300 * MS;
    LeaseTable leases = new LeaseTable(LEASE, MARGIN, start);
    leases.grant(range(), TAIL, start + 100 * MS);
    leases.revokeOnly(Set.of(new ReplicaId(1, TAIL)));
    assertFalse(leases.released(1, TAIL, start + 1150 * MS));
    assertTrue(leases.released(1, TAIL, start + 1200 * MS));
  }
}
