package dev.junction.chain.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.store.Versioned;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Reproduction: a replica that joins at the tail from a snapshot at seq 3 gets seq 4..5 (committed, their
 * clients answered by the old tail) as catch-up. While it has not yet learnt that they are committed,
 * its read view must not answer them with what its store held before they arrived.
 */
class NewTailStaleReadTest {

  private static String value(ClientReply r) {
    if (!(r instanceof ClientReply.Done d)) {
      return String.valueOf(r);
    }
    Versioned v = ((WriteResult.CasDone) d.result()).current();
    return v == null ? "<absent>" : ChainSim.str(v.value());
  }

  /** Chain 0 -> 1 -> 2 with k1..k3 committed, a copy of 2 at seq 3 as slot 7, then k4, k5 and k1 again committed. */
  private static ChainSim chainWithSnapshotCopy() {
    ChainSim sim = new ChainSim(0, 1, 2);
    for (int i = 1; i <= 3; i++) {
      sim.put("w" + i, "k" + i, "v" + i);
    }
    sim.settle();
    sim.stores.put(7, new TreeMap<>(sim.stores.get(2))); // the state transfer, at applied seq 3
    sim.put("w4", "k4", "v4");
    sim.put("w5", "k5", "v5");
    sim.put("w6", "k1", "v1-new");
    sim.settle();
    assertEquals(new ClientReply.Done(new WriteResult.Written(5)), sim.onlyAnswer("w5"), "acknowledged");
    assertEquals(new ClientReply.Done(new WriteResult.Written(6)), sim.onlyAnswer("w6"), "acknowledged");
    return sim;
  }

  /** Safety: the acknowledged value, or a refusal (the gateway retries); never an older value or "absent". */
  private static void assertRightOrRefused(String expected, ClientReply answer, String why) {
    if (!(answer instanceof ClientReply.Rejected)) {
      assertEquals(expected, value(answer), why);
    }
  }

  private static ChainReplica<String> join(ChainSim sim) {
    RangeConfig next = sim.config.withChain(List.of(
        new Replica(0, "node0"), new Replica(1, "node1"), new Replica(2, "node2"), new Replica(7, "node7")));
    ChainReplica<String> joiner = ChainReplica.recover(7, next, sim.settings, 3, 3, List.of(), List.of(), sim.reader(7));
    sim.addReplica(7, joiner);
    sim.reconfigure(0, 1, 2, 7);
    return joiner;
  }

  /**
   * The other replicas tell the new tail how far they hold the log as soon as they see the new chain; in
   * the cluster that word can reach the new replica's node before its actor has the configuration (then it
   * is dropped: no core yet), and nobody repeats it while no write comes.
   */
  @Test
  void aNewTailThatMissedTheDurableNoticesAnswersCommittedWritesAsAbsent() {
    ChainSim sim = chainWithSnapshotCopy();
    ChainReplica<String> joiner = join(sim);
    // The others see the new chain first and exchange their Hellos; the new replica's node learns it last:
    // whatever reaches slot 7 before then is dropped (ReplicaActor.onPeer without a core).
    for (int step = 0; step < 1000; step++) {
      boolean moved = false;
      for (int s : List.of(0, 1, 2)) {
        moved |= sim.persist(s);
      }
      for (int i = 0; i < sim.network.size(); i++) {
        if (sim.network.get(i).to() != 7) {
          sim.deliver(i);
          moved = true;
          break;
        }
      }
      if (!moved) {
        break;
      }
    }
    sim.network.removeIf(m -> m.to() == 7);
    sim.apply(7, joiner.start());
    sim.settle();
    for (int i = 0; i < 20; i++) { // no write comes: ticks only
      sim.tickAll();
      sim.settle();
    }
    assertTrue(joiner.synced() && joiner.holdsLease(sim.now) && joiner.isTail());
    assertEquals(6, joiner.lastPersisted());
    sim.read("k5", 7, "k5");
    sim.read("k1", 7, "k1");
    System.out.println("new tail: committed " + joiner.committed() + ", k5 -> " + value(sim.onlyAnswer("k5"))
        + ", k1 -> " + value(sim.onlyAnswer("k1")) + ", store k5 " + sim.stores.get(7).containsKey("k5"));
    assertRightOrRefused("v5", sim.onlyAnswer("k5"), "k5 was acknowledged");
    assertRightOrRefused("v1-new", sim.onlyAnswer("k1"), "k1's second write was acknowledged");
  }

  @Test
  void aNewTailThatMissedTheDurableNoticesStillCommitsWithoutNewWrites() {
    ChainSim sim = chainWithSnapshotCopy();
    ChainReplica<String> joiner = join(sim);
    // The others see the new chain first and exchange their Hellos; the new replica's node learns it last:
    // whatever reaches slot 7 before then is dropped (ReplicaActor.onPeer without a core).
    for (int step = 0; step < 1000; step++) {
      boolean moved = false;
      for (int s : List.of(0, 1, 2)) {
        moved |= sim.persist(s);
      }
      for (int i = 0; i < sim.network.size(); i++) {
        if (sim.network.get(i).to() != 7) {
          sim.deliver(i);
          moved = true;
          break;
        }
      }
      if (!moved) {
        break;
      }
    }
    sim.network.removeIf(m -> m.to() == 7);
    sim.apply(7, joiner.start());
    sim.settle();
    for (int i = 0; i < 20; i++) { // no write comes: ticks only
      sim.tickAll();
      sim.settle();
    }
    assertTrue(joiner.synced() && joiner.holdsLease(sim.now) && joiner.isTail());
    assertEquals(6, joiner.lastPersisted());
    assertEquals(6, joiner.committed(), "liveness: the new tail learns that seq 4..6 are committed");
    sim.read("k5", 7, "k5");
    assertEquals("v5", value(sim.onlyAnswer("k5")));
  }

  /** Even with every message delivered: the new tail serves once synced, before the others' notices arrive. */
  @Test
  void aNewTailAnswersCommittedWritesAsAbsentUntilTheDurableNoticesArrive() {
    ChainSim sim = chainWithSnapshotCopy();
    ChainReplica<String> joiner = join(sim);
    sim.apply(7, joiner.start());
    // Hello to 2, its catch-up and Welcome to 7, 7 persists: delivered before the Durable notices of 0 and 1.
    for (int step = 0; step < 1000 && !(joiner.synced() && joiner.lastPersisted() == 6); step++) {
      boolean moved = false;
      for (int i = 0; i < sim.network.size(); i++) {
        if (!(sim.network.get(i).message() instanceof PeerMessage.Durable)) {
          sim.deliver(i);
          moved = true;
          break;
        }
      }
      moved |= sim.persist(7) | sim.persist(2);
      if (!moved) {
        break;
      }
    }
    assertTrue(joiner.synced() && joiner.holdsLease(sim.now) && joiner.isTail());
    sim.read("k5", 7, "k5");
    sim.read("k1", 7, "k1");
    System.out.println("new tail: committed " + joiner.committed() + ", k5 -> " + value(sim.onlyAnswer("k5"))
        + ", k1 -> " + value(sim.onlyAnswer("k1")));
    assertRightOrRefused("v5", sim.onlyAnswer("k5"), "k5 was acknowledged");
    assertRightOrRefused("v1-new", sim.onlyAnswer("k1"), "k1's second write was acknowledged");
    sim.settle();
    sim.read("k5-later", 7, "k5");
    assertEquals("v5", value(sim.onlyAnswer("k5-later")), "once the notices arrived");
  }
}
