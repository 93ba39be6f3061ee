package dev.junction.chain.core;

import static dev.junction.chain.core.ChainSim.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Read leases in the pure core: every replica that serves reads holds one from the controller, and
 * without one it serves nothing, so a replica cut off from the controller stops serving before the
 * controller may commit a configuration without it.
 */
class ReadLeaseTest {
  private static final ClientReply NO_LEASE = new ClientReply.Rejected(ClientReply.Reason.NO_LEASE, 1);

  @Test
  void aReplicaWithoutALeaseRefusesReadsAndAsksForOne() {
    ChainSim sim = new ChainSim();
    sim.autoLease = false;
    sim.config = new RangeConfig(1, new byte[0], new byte[0], 1, List.of(new Replica(0, "n0"), new Replica(1, "n1")));
    sim.addReplica(0, ChainReplica.create(0, sim.config, sim.settings, sim.reader(0)));
    sim.addReplica(1, ChainReplica.create(1, sim.config, sim.settings, sim.reader(1)));
    sim.apply(0, sim.replicas.get(0).start());
    sim.apply(1, sim.replicas.get(1).start());
    sim.settle();
    assertEquals(List.of(0L, 1L), sim.leaseRequests.stream().map(r -> r[0]).sorted().toList(),
        "every replica asks when it starts");

    for (int slot = 0; slot < 2; slot++) {
      sim.read("r" + slot, slot, "k");
      assertEquals(NO_LEASE, sim.onlyAnswer("r" + slot));
    }
    Output<String> refused = sim.replicas.get(1).onClientRead(1, new ReadOp.Get(b("k")), "r-core", sim.now);
    assertEquals(List.of(new Output.Reply<>("r-core", NO_LEASE)), refused.replies());
    assertTrue(refused.reads().isEmpty());
    assertTrue(refused.leaseWanted(), "a read refused in the mailbox asks for a lease again");
  }

  @Test
  void aLeaseRunsFromTheRequestNotFromTheGrant() {
    ChainSim sim = new ChainSim(0, 1);
    long asked = 5_000_000;
    ChainReplica<String> fresh = ChainReplica.create(1, sim.config, sim.settings, sim.reader(1));
    fresh.onLeaseGranted(asked, 1_000); // granted late: only 1000 ns from the request
    assertTrue(fresh.holdsLease(asked + 999));
    assertFalse(fresh.holdsLease(asked + 1_000), "the lease ends at request time + duration");
    assertTrue(sim.replicas.get(1).holdsLease(sim.now));
    assertTrue(sim.replicas.get(0).holdsLease(sim.now));
  }

  @Test
  void readsAreServedWhileTheLeaseRunsAndRefusedOnceItExpired() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w", "k", "v");
    sim.settle();
    for (int slot = 0; slot < 3; slot++) {
      sim.read("in-lease" + slot, slot, "k");
      assertInstanceOf(ClientReply.Done.class, sim.onlyAnswer("in-lease" + slot));
    }
    sim.now += ChainSim.LEASE; // no renewal came: the leases ran out
    for (int slot = 0; slot < 3; slot++) {
      sim.read("expired" + slot, slot, "k");
      assertEquals(NO_LEASE, sim.onlyAnswer("expired" + slot));
    }
    sim.replicas.get(1).onLeaseGranted(sim.now, ChainSim.LEASE); // renewed for the middle
    sim.read("renewed", 1, "k");
    assertInstanceOf(ClientReply.Done.class, sim.onlyAnswer("renewed"));
  }

  @Test
  void everyMemberAsksOnEveryTick() {
    ChainSim sim = new ChainSim(0, 1, 2);
    for (int slot = 0; slot < 3; slot++) {
      assertTrue(sim.replicas.get(slot).onTick().leaseWanted(), "slot " + slot);
    }
    sim.reconfigure(0, 1);
    assertFalse(sim.replicas.get(2).onTick().leaseWanted(), "a replica out of the chain does not");
  }

  @Test
  void aReplicaThatChangesRoleKeepsItsLease() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.autoLease = false;
    assertTrue(sim.replicas.get(1).holdsLease(sim.now));
    sim.crash(2);
    sim.reconfigure(0, 1); // the middle is tail now: the controller granted its lease as a member
    assertTrue(sim.replicas.get(1).holdsLease(sim.now));
    sim.crash(0);
    sim.reconfigure(1);
    assertTrue(sim.replicas.get(1).holdsLease(sim.now));
  }

  @Test
  void aGrantThatReachesAReplicaNoLongerInTheChainIsIgnored() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.autoLease = false;
    sim.now += ChainSim.LEASE;
    sim.reconfigure(0, 1);
    sim.replicas.get(2).onLeaseGranted(sim.now, ChainSim.LEASE);
    assertFalse(sim.replicas.get(2).holdsLease(sim.now));
  }

  @Test
  void aReplicaOutOfTheChainHoldsNoLeaseAndServesNothing() {
    ChainSim sim = new ChainSim(0, 1, 2);
    assertTrue(sim.replicas.get(2).holdsLease(sim.now));
    sim.reconfigure(0, 1);
    assertFalse(sim.replicas.get(2).holdsLease(sim.now));
    sim.read("removed", 2, "k");
    assertEquals(ClientReply.Reason.NOT_IN_CHAIN, ((ClientReply.Rejected) sim.onlyAnswer("removed")).reason());
  }
}
