package dev.junction.chain.core;

import static dev.junction.chain.core.ChainSim.b;
import static dev.junction.chain.core.ChainSim.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.store.KeyValue;
import dev.junction.store.Versioned;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Reads at every replica (CRAQ, Terrace &amp; Freedman, ATC 2009) through {@link ReadView}: a clean key is
 * answered where it is asked, a dirty one by the tail with the committed value; nobody answers a value
 * that is not committed.
 */
class CraqReadTest {
  private static final ClientReply CATCHING_UP = new ClientReply.Rejected(ClientReply.Reason.CATCHING_UP, 1);

  private static ClientReply value(String v, long seq) {
    return new ClientReply.Done(new WriteResult.CasDone(true, new Versioned(b(v), seq)));
  }

  private static final ClientReply ABSENT = new ClientReply.Done(new WriteResult.CasDone(false, null));

  @Test
  void aCleanKeyIsAnsweredByEveryReplica() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w", "k", "v");
    sim.settle();
    for (int slot = 0; slot < 3; slot++) {
      sim.read("r" + slot, slot, "k");
      assertEquals(value("v", 1), sim.onlyAnswer("r" + slot));
      sim.read("absent" + slot, slot, "nothing");
      assertEquals(ABSENT, sim.onlyAnswer("absent" + slot));
    }
  }

  @Test
  void aKeyWithAWriteInFlightIsSentToTheTailWhichAnswersTheCommittedValue() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.settle();
    sim.put("w2", "k", "two");
    sim.deliverAll();
    sim.persist(2); // the tail's store holds "two", which is not committed
    assertEquals("two", str(sim.stores.get(2).get("k").value()));
    sim.read("tail", 2, "k");
    assertEquals(value("one", 1), sim.onlyAnswer("tail"));
    sim.read("middle", 1, "k");
    assertEquals(ChainSim.ASK_TAIL, sim.onlyAnswer("middle"));
    sim.read("head", 0, "k");
    assertEquals(ChainSim.ASK_TAIL, sim.onlyAnswer("head"));
    sim.read("other-key", 1, "other");
    assertEquals(ABSENT, sim.onlyAnswer("other-key"), "other keys stay clean");
    sim.settle();
    for (int slot = 0; slot < 3; slot++) {
      sim.read("after" + slot, slot, "k");
      assertEquals(value("two", 2), sim.onlyAnswer("after" + slot));
    }
  }

  @Test
  void aDeleteInFlightLeavesTheCommittedValueVisible() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.settle();
    sim.write("d", 0, 1, new RequestId("c", 9), new WriteOp.Delete(b("k")));
    sim.deliverAll();
    sim.persist(2);
    assertNull(sim.stores.get(2).get("k"), "the tail's store no longer has the key");
    sim.read("tail", 2, "k");
    assertEquals(value("one", 1), sim.onlyAnswer("tail"));
    sim.read("head", 0, "k");
    assertEquals(ChainSim.ASK_TAIL, sim.onlyAnswer("head"));
    sim.settle();
    sim.read("after", 0, "k");
    assertEquals(ABSENT, sim.onlyAnswer("after"));
  }

  @Test
  void withSeveralWritesInFlightTheTailAnswersTheNewestThatCommitted() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.put("w2", "k", "two");
    sim.put("w3", "k", "three");
    sim.deliverAll();
    // Commit 1 and 2 only: every replica persists its first two batches.
    for (int slot = 0; slot < 3; slot++) {
      sim.persist(slot);
      sim.persist(slot);
    }
    sim.deliverAll();
    assertEquals(2, sim.replicas.get(2).committed());
    sim.read("tail", 2, "k");
    assertEquals(value("two", 2), sim.onlyAnswer("tail"));
    sim.read("middle", 1, "k");
    assertEquals(ChainSim.ASK_TAIL, sim.onlyAnswer("middle"));
  }

  @Test
  void theViewIsCheckedAfterTheStoreSoAWriteRacingTheReadIsSeen() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.settle();
    ChainReplica<String> tail = sim.replicas.get(2);
    ChainReplica<String> middle = sim.replicas.get(1);
    // While the read is in the store, a new write arrives and is persisted there: the store answers it.
    java.util.function.Function<byte[], Optional<Versioned>> racing = key -> {
      sim.put("w2", "k", "two");
      sim.deliverAll();
      sim.persist(1);
      sim.persist(2);
      return Optional.of(new Versioned(b("two"), 2));
    };
    assertEquals(new ReadView.Value(new Versioned(b("one"), 1)), tail.view().get(1, b("k"), sim.now, racing));
    assertEquals(ReadView.Outcome.ASK_TAIL,
        middle.view().get(1, b("k"), sim.now, key -> Optional.of(new Versioned(b("two"), 2))));
  }

  @Test
  void aReplicaThatBecomesTheTailWhileAKeyIsDirtyWaitsForTheCommitInsteadOfAnsweringFromItsStore() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.settle();
    sim.put("w2", "k", "two");
    sim.deliverAll();
    sim.persist(1); // the middle's store holds "two", which is not committed
    sim.crash(2);
    sim.reconfigure(0, 1); // the middle is the tail now; it did not read k's committed value as a middle
    ChainReplica<String> newTail = sim.replicas.get(1);
    java.util.function.Function<byte[], Optional<Versioned>> store = key -> Optional.of(new Versioned(b("two"), 2));
    ReadView.Outcome early = newTail.view().get(sim.config.epoch(), b("k"), sim.now, store);
    assertTrue(early instanceof ReadView.Refused r && r.reason() == ClientReply.Reason.CATCHING_UP,
        "never the uncommitted value, nor a guess: " + early);
    sim.settle();
    sim.read("after", 1, "k");
    assertEquals(value("two", 2), sim.onlyAnswer("after"), "committed under the new chain");
  }

  @Test
  void afterARestartAKeyWhoseWriteMayNotHaveCommittedWaits() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.settle();
    sim.put("w2", "k", "two");
    sim.deliverAll();
    sim.persist(2);
    sim.network.clear();
    ChainReplica<String> tail = sim.restart(2);
    assertEquals(2, tail.lastPersisted());
    assertEquals(1, tail.committed(), "the commit point stored with seq 2 is 1");
    sim.read("restarted", 2, "other");
    assertEquals(CATCHING_UP, sim.onlyAnswer("restarted"), "out of sync until its predecessor welcomed it");
    assertTrue(sim.deliverFirst(PeerMessage.Hello.class));
    assertTrue(sim.deliverFirst(PeerMessage.Welcome.class));
    assertTrue(tail.synced());
    sim.read("unknown", 2, "k");
    assertEquals(CATCHING_UP, sim.onlyAnswer("unknown"), "the committed value of k is not known here");
    sim.read("clean", 2, "other");
    assertEquals(ABSENT, sim.onlyAnswer("clean"));
    sim.settle();
    sim.read("after", 2, "k");
    assertEquals(value("two", 2), sim.onlyAnswer("after"));
  }

  @Test
  void aScanAtTheTailGetsCommittedValuesOnly() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "a", "a1");
    sim.put("w2", "b", "b1");
    sim.put("w3", "c", "c1");
    sim.settle();
    sim.put("w4", "a", "a2");
    sim.write("d", 0, 1, new RequestId("c", 99), new WriteOp.Delete(b("c")));
    sim.put("w6", "d", "d1");
    sim.deliverAll();
    sim.persist(2);
    sim.persist(2);
    sim.persist(2);
    ReadView view = sim.replicas.get(2).view();
    List<KeyValue> stored = sim.stores.get(2).entrySet().stream()
        .map(e -> new KeyValue(b(e.getKey()), e.getValue().value(), e.getValue().seq())).toList();
    assertEquals(List.of("a", "b", "d"), stored.stream().map(kv -> str(kv.key())).toList());
    ReadView.Page page = view.overlay(stored, false, new byte[0], new byte[0], 10);
    assertEquals(List.of("a=a1", "b=b1", "c=c1"),
        page.entries().stream().map(kv -> str(kv.key()) + "=" + str(kv.value())).toList());
    ReadView.Page limited = view.overlay(stored, false, new byte[0], new byte[0], 2);
    assertEquals(2, limited.entries().size());
    assertTrue(limited.more());
    ReadView.Page cut = view.overlay(stored.subList(0, 1), true, new byte[0], new byte[0], 10);
    assertEquals(List.of("a=a1"), cut.entries().stream().map(kv -> str(kv.key()) + "=" + str(kv.value())).toList(),
        "keys after the store's page are the next page's");
    assertEquals(new ReadView.Refused(ClientReply.Reason.NOT_TAIL, 1), sim.replicas.get(1).view().checkScan(1, sim.now));
  }

  @Test
  void aLatestReadAtTheHeadWaitsForTheKeysWritesInFlightAndThenAnswersTheNewest() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.settle();
    sim.put("w2", "k", "two");
    sim.put("w3", "k", "three");
    sim.deliverAll();
    sim.readThroughCore("plain", 0, "k");
    assertEquals(ChainSim.ASK_TAIL, sim.onlyAnswer("plain"), "a plain read at the head goes to the tail");
    sim.readLatest("latest", 0, "k");
    sim.readLatest("clean", 0, "other");
    assertEquals(ABSENT, sim.onlyAnswer("clean"), "a clean key is answered at once");
    assertNull(sim.answers.get("latest"), "no answer while the key's writes are in flight");
    // Commit w2 only: the read waits for the newest write the head had accepted (w3).
    for (int slot = 0; slot < 3; slot++) {
      sim.persist(slot);
    }
    sim.deliverAll();
    assertEquals(2, sim.replicas.get(0).committed());
    assertNull(sim.answers.get("latest"), "w3 is still in flight");
    sim.settle();
    assertEquals(value("three", 3), sim.onlyAnswer("latest"));
  }

  @Test
  void aLatestReadAtAReplicaThatIsNotTheHeadIsAPlainRead() {
    ChainSim sim = secondWriteInFlight();
    sim.readLatest("middle", 1, "k");
    assertEquals(ChainSim.ASK_TAIL, sim.onlyAnswer("middle"));
    sim.readLatest("tail", 2, "k");
    assertEquals(value("one", 1), sim.onlyAnswer("tail"), "the tail answers the committed value at once");
  }

  @Test
  void latestReadsWaitingAtAHeadAreServedAsPlainReadsWhenTheConfigurationChanges() {
    ChainSim sim = secondWriteInFlight();
    sim.readLatest("latest", 0, "k");
    assertNull(sim.answers.get("latest"));
    sim.reconfigure(1, 2); // the head leaves: what it waited for may never commit there
    assertTrue(sim.answers.get("latest") != null && sim.answers.get("latest").size() == 1,
        "answered (refused) when the head left: " + sim.answers);
    assertTrue(sim.answers.get("latest").get(0) instanceof ClientReply.Rejected, sim.answers.toString());
  }

  @Test
  void abandonedLatestReadsAreHandedBackToTheShell() {
    ChainSim sim = secondWriteInFlight();
    sim.readLatest("latest", 0, "k");
    assertTrue(sim.replicas.get(0).abandon().contains("latest"));
  }

  /** "k" committed as "one" everywhere, then "two" forwarded down the chain and not yet persisted anywhere. */
  private static ChainSim secondWriteInFlight() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.settle();
    sim.put("w2", "k", "two");
    sim.deliverAll();
    return sim;
  }
}
