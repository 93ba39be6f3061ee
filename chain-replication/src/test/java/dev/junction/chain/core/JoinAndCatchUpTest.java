package dev.junction.chain.core;

import static dev.junction.chain.core.ChainSim.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.store.Versioned;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A replica that (re)joins a chain behind its predecessor: the predecessor resends what it lacks, the
 * committed part from its stored log; the newcomer serves reads as tail only once it holds everything
 * the predecessor had when it answered.
 */
class JoinAndCatchUpTest {
  private static final ClientReply CATCHING_UP = new ClientReply.Rejected(ClientReply.Reason.CATCHING_UP, 2);

  private static String value(ClientReply r) {
    Versioned v = ((WriteResult.CasDone) ((ClientReply.Done) r).result()).current();
    return v == null ? null : ChainSim.str(v.value());
  }

  /** Chain 0 -> 1 -> 2 with writes 1..3 committed, then a copy of 2 at seq 3 as slot 7, then writes 4..5. */
  private static ChainSim chainWithSnapshotCopy() {
    ChainSim sim = new ChainSim(0, 1, 2);
    for (int i = 1; i <= 3; i++) {
      sim.put("w" + i, "k" + i, "v" + i);
    }
    sim.settle();
    sim.stores.put(7, new TreeMap<>(sim.stores.get(2))); // the state transfer, at applied seq 3
    for (int i = 4; i <= 5; i++) {
      sim.put("w" + i, "k" + i, "v" + i);
    }
    sim.settle();
    return sim;
  }

  /** Adds slot 7 at the tail (epoch 2), recovered from its copy at seq 3, and starts it. */
  private static ChainReplica<String> join(ChainSim sim) {
    RangeConfig next = sim.config.withChain(List.of(
        new Replica(0, "node0"), new Replica(1, "node1"), new Replica(2, "node2"), new Replica(7, "node7")));
    ChainReplica<String> joiner = ChainReplica.recover(7, next, sim.settings, 3, 3, List.of(), List.of(), sim.reader(7));
    sim.addReplica(7, joiner);
    sim.reconfigure(0, 1, 2, 7);
    sim.apply(7, joiner.start());
    return joiner;
  }

  @Test
  void aNewTailGetsTheCommittedEntriesItLacksFromThePredecessorsStoredLog() {
    ChainSim sim = chainWithSnapshotCopy();
    ChainReplica<String> joiner = join(sim);
    sim.read("too-early", 7, "k5");
    assertEquals(CATCHING_UP, sim.onlyAnswer("too-early"), "seq 4..5 are committed but not here yet");
    sim.settle();
    assertTrue(joiner.synced());
    assertEquals(5, joiner.lastPersisted());
    assertEquals(sim.stores.get(2), sim.stores.get(7));
    sim.read("caught-up", 7, "k5");
    assertEquals("v5", value(sim.onlyAnswer("caught-up")));

    sim.put("w6", "k6", "v6");
    sim.settle();
    assertEquals(new ClientReply.Done(new WriteResult.Written(6)), sim.onlyAnswer("w6"), "the new tail commits");
    assertEquals(List.of(), sim.replicas.get(2).sentList());
  }

  @Test
  void writesInFlightWhileTheTailJoinsAreAnsweredByIt() {
    ChainSim sim = chainWithSnapshotCopy();
    sim.put("w6", "k6", "v6");
    sim.persist(0); // seq 6 is at the head only
    join(sim);
    sim.settle();
    assertEquals(new ClientReply.Done(new WriteResult.Written(6)), sim.onlyAnswer("w6"));
    assertEquals("v6", ChainSim.str(sim.stores.get(7).get("k6").value()));
  }

  @Test
  void aJoinerWhoseStartIsNoLongerInThePredecessorsLogNeverServes() {
    ChainSim sim = chainWithSnapshotCopy();
    sim.storedLogs.get(2).headMap(5L, false).clear(); // truncated: seq 4 is gone
    ChainReplica<String> joiner = join(sim);
    sim.settle();
    assertEquals(List.of(new Output.CatchUp(7, 4, 5)), sim.failedCatchUps.subList(0, 1));
    assertFalse(joiner.synced());
    sim.read("stale", 7, "k4");
    assertEquals(CATCHING_UP, sim.onlyAnswer("stale"), "it must not answer without seq 4");
  }

  /**
   * The new tail learns its chain first and greets its predecessor, which still works at the old epoch:
   * the greeting is kept, and answered the moment the predecessor adopts the new chain, with no tick (a
   * resend timer's wait, 400-600 ms by default, stalled the range's writes at every join).
   */
  @Test
  void aGreetingFromANewerEpochIsAnsweredOnceTheChainIsAdoptedWithoutWaitingForATick() {
    ChainSim sim = chainWithSnapshotCopy();
    RangeConfig next = sim.config.withChain(List.of(
        new Replica(0, "node0"), new Replica(1, "node1"), new Replica(2, "node2"), new Replica(7, "node7")));
    ChainReplica<String> joiner = ChainReplica.recover(7, next, sim.settings, 3, 3, List.of(), List.of(), sim.reader(7));
    sim.addReplica(7, joiner);
    sim.apply(7, joiner.start());
    sim.settle(); // the Hello reaches slot 2 at epoch 1
    assertFalse(joiner.synced());
    sim.reconfigure(0, 1, 2, 7);
    sim.settle();
    assertTrue(joiner.synced(), "welcomed without a tick");
    assertEquals(5, joiner.lastPersisted());
    sim.put("w6", "k6", "v6");
    sim.settle();
    assertEquals(new ClientReply.Done(new WriteResult.Written(6)), sim.onlyAnswer("w6"), "the new tail commits");
  }

  @Test
  void aLostHelloOrWelcomeIsRepeatedOnTicks() {
    ChainSim sim = chainWithSnapshotCopy();
    ChainReplica<String> joiner = join(sim);
    sim.network.clear(); // the Hello is lost
    for (int i = 0; i < sim.settings.resendAfterTicks(); i++) {
      sim.apply(7, joiner.onTick());
    }
    List<PeerMessage> sent = new ArrayList<>();
    sim.network.forEach(m -> sent.add(m.message()));
    assertEquals(List.of(new PeerMessage.Hello(2, 7, 3)), sent);
    sim.settle();
    assertTrue(joiner.synced());
  }

  @Test
  void aTailWhosePredecessorChangedIsOutOfSyncUntilWelcomed() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "v");
    sim.settle();
    sim.crash(1);
    sim.reconfigure(0, 2);
    sim.read("at-once", 2, "k");
    assertEquals(CATCHING_UP, sim.onlyAnswer("at-once"));
    sim.settle();
    sim.read("welcomed", 2, "k");
    assertEquals("v", value(sim.onlyAnswer("welcomed")));
  }

  @Test
  void aTailWhoseHeadIsLostStaysInSync() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "v");
    sim.settle();
    sim.crash(0);
    sim.reconfigure(1, 2);
    sim.read("at-once", 2, "k");
    assertEquals("v", value(sim.onlyAnswer("at-once")), "its predecessor did not change");
  }
}
