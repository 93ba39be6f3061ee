package dev.junction.chain.core;

import static dev.junction.chain.core.ChainSim.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The tail's read lease in the pure core: no lease, no reads. */
class ReadLeaseTest {
  private static final ClientReply NO_LEASE = new ClientReply.Rejected(ClientReply.Reason.NO_LEASE, 1);


  @Test
  void aTailWithoutALeaseRefusesReadsAndAsksForOne() {
    ChainSim sim = new ChainSim();
    sim.autoLease = false;
    sim.config = new RangeConfig(1, new byte[0], new byte[0], 1, List.of(new Replica(0, "n0"), new Replica(1, "n1")));
    sim.addReplica(0, ChainReplica.create(0, sim.config, sim.reader(0)));
    sim.addReplica(1, ChainReplica.create(1, sim.config, sim.reader(1)));
    sim.apply(0, sim.replicas.get(0).start());
    sim.apply(1, sim.replicas.get(1).start());
    sim.settle();
    assertEquals(1, sim.leaseRequests.size(), "only the tail asks, when it starts");
    assertEquals(1, sim.leaseRequests.get(0)[0]);

    Output<String> refused = sim.replicas.get(1).onClientRead(1, new ReadOp.Get(b("k")), "r1", sim.now);
    assertEquals(List.of(new Output.Reply<>("r1", NO_LEASE)), refused.replies());
    assertTrue(refused.reads().isEmpty());
    assertTrue(refused.leaseWanted(), "a refused read asks for a lease again");
  }

  @Test
  void aLeaseRunsFromTheRequestNotFromTheGrant() {
    ChainSim sim = new ChainSim(0, 1);
    ChainReplica<String> tail = sim.replicas.get(1);
    long asked = 5_000_000;
    ChainReplica<String> fresh = ChainReplica.create(1, sim.config, sim.reader(1));
    fresh.onLeaseGranted(asked, 1_000); // granted late: only 1000 ns from the request
    assertTrue(fresh.holdsLease(asked + 999));
    assertFalse(fresh.holdsLease(asked + 1_000), "the lease ends at request time + duration");
    assertTrue(tail.holdsLease(sim.now));
  }

  @Test
  void readsAreServedWhileTheLeaseRunsAndRefusedOnceItExpired() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w", "k", "v");
    sim.settle();
    sim.read("in-lease", 2, "k");
    assertInstanceOf(ClientReply.Done.class, sim.onlyAnswer("in-lease"));
    sim.now += ChainSim.LEASE; // no renewal came: the lease ran out
    sim.read("expired", 2, "k");
    assertEquals(NO_LEASE, sim.onlyAnswer("expired"));
    sim.replicas.get(2).onLeaseGranted(sim.now, ChainSim.LEASE); // renewed
    sim.read("renewed", 2, "k");
    assertInstanceOf(ClientReply.Done.class, sim.onlyAnswer("renewed"));
  }

  @Test
  void theTailAsksOnEveryTickAndOthersNever() {
    ChainSim sim = new ChainSim(0, 1, 2);
    assertTrue(sim.replicas.get(2).onTick().leaseWanted());
    assertFalse(sim.replicas.get(1).onTick().leaseWanted());
    assertFalse(sim.replicas.get(0).onTick().leaseWanted());
  }

  @Test
  void aReplicaThatBecomesTailNeedsANewLeaseEvenIfItHeldOneBefore() {
    ChainSim sim = new ChainSim(0, 1);
    sim.autoLease = false;
    // 1 is tail with a lease; 2 joins after it, then 2 is lost again: 1 is tail once more.
    sim.replicas.get(1).onLeaseGranted(sim.now, ChainSim.LEASE);
    sim.addReplica(2, ChainReplica.create(2, sim.config.withChain(List.of(
        new Replica(0, "node0"), new Replica(1, "node1"), new Replica(2, "node2"))), sim.reader(2)));
    sim.reconfigure(0, 1, 2);
    assertFalse(sim.replicas.get(1).holdsLease(sim.now), "no longer tail");
    sim.crash(2);
    sim.reconfigure(0, 1);
    assertFalse(sim.replicas.get(1).holdsLease(sim.now), "the old grant does not carry over");
    assertTrue(sim.leaseRequests.stream().anyMatch(r -> r[0] == 1), "it asks as soon as it is tail");
  }

  @Test
  void aTailThatStaysTailKeepsItsLeaseAcrossEpochs() {
    ChainSim sim = new ChainSim(0, 1, 2);
    assertTrue(sim.replicas.get(2).holdsLease(sim.now));
    sim.autoLease = false;
    sim.crash(0);
    sim.reconfigure(1, 2); // the head is lost: the tail is still the tail
    assertTrue(sim.replicas.get(2).holdsLease(sim.now));
  }

  @Test
  void aGrantThatReachesAReplicaNoLongerTailIsIgnored() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.autoLease = false;
    sim.replicas.get(1).onLeaseGranted(sim.now, ChainSim.LEASE);
    assertFalse(sim.replicas.get(1).holdsLease(sim.now));
    sim.crash(2);
    sim.reconfigure(0, 1);
    assertFalse(sim.replicas.get(1).holdsLease(sim.now), "a grant from before it was tail does not count");
  }

  @Test
  void aReplicaOutOfTheChainHoldsNoLease() {
    ChainSim sim = new ChainSim(0, 1, 2);
    assertTrue(sim.replicas.get(2).holdsLease(sim.now));
    sim.reconfigure(0, 1);
    assertFalse(sim.replicas.get(2).holdsLease(sim.now));
    sim.read("removed", 2, "k");
    assertEquals(ClientReply.Reason.NOT_TAIL, ((ClientReply.Rejected) sim.onlyAnswer("removed")).reason());
  }
}
