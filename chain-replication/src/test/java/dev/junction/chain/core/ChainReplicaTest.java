package dev.junction.chain.core;

import static dev.junction.chain.core.ChainSim.b;
import static dev.junction.chain.core.ChainSim.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.store.Versioned;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chain protocol, step by step and without actors: each test names the rule of chain replication
 * (van Renesse &amp; Schneider, OSDI 2004) it checks.
 */
class ChainReplicaTest {
  private static ClientReply written(long seq) {
    return new ClientReply.Done(new WriteResult.Written(seq));
  }

  @Test
  void aWriteIsPersistedAtEachReplicaBeforeItIsForwardedAndTheTailAnswers() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "v");
    assertTrue(sim.network.isEmpty(), "nothing is forwarded before the head's store has it");
    assertTrue(sim.persist(0));
    assertEquals(1, sim.network.size());
    sim.deliver(0);
    assertTrue(sim.network.isEmpty(), "the middle waits for its own store too");
    assertTrue(sim.persist(1));
    sim.deliver(0);
    assertFalse(sim.answers.containsKey("w1"), "not committed before the tail persisted");
    assertTrue(sim.persist(2));
    assertEquals(written(1), sim.onlyAnswer("w1"));
    sim.settle();
    for (int s = 0; s < 3; s++) {
      assertEquals(new Versioned(b("v"), 1), sim.stores.get(s).get("k"));
      assertEquals(1, sim.replicas.get(s).committed());
    }
  }

  @Test
  void theSentListHoldsEntriesUntilTheTailAcknowledgesThem() {
    ChainSim sim = new ChainSim(0, 1, 2);
    for (int i = 1; i <= 3; i++) {
      sim.put("w" + i, "k" + i, "v");
    }
    sim.persist(0);
    sim.persist(0);
    sim.persist(0);
    assertEquals(List.of(1L, 2L, 3L), sim.replicas.get(0).sentList());
    // Deliver the forwards, persist at the middle and the tail, but hold the acknowledgements.
    while (!sim.network.isEmpty() || !sim.unpersisted.get(1).isEmpty() || !sim.unpersisted.get(2).isEmpty()) {
      if (!sim.network.isEmpty() && !(sim.network.get(0).message() instanceof PeerMessage.Ack)) {
        sim.deliver(0);
      } else if (!sim.persist(1) && !sim.persist(2)) {
        break;
      }
    }
    assertEquals(3, sim.answers.size(), "the tail answered all three");
    assertEquals(List.of(1L, 2L, 3L), sim.replicas.get(0).sentList());
    assertEquals(List.of(1L, 2L, 3L), sim.replicas.get(1).sentList());
    assertEquals(List.of(), sim.replicas.get(2).sentList(), "the tail keeps nothing");
    sim.settle();
    assertEquals(List.of(), sim.replicas.get(0).sentList());
    assertEquals(List.of(), sim.replicas.get(1).sentList());
    assertEquals(3, sim.replicas.get(0).committed());
  }

  @Test
  void entriesAreAppliedInSequenceOrderDespiteReorderingAndDuplicates() {
    ChainReplica<String> middle =
        ChainReplica.create(1, new ChainSim(0, 1, 2).config, k -> Optional.empty());
    List<LogEntry<String>> entries = new ArrayList<>();
    for (long s = 1; s <= 4; s++) {
      entries.add(new LogEntry<>(s, new Mutation.Set(b("k"), b("v" + s)), null, null));
    }
    Output<String> out = middle.onPeer(new PeerMessage.Forward<>(1, 0, List.of(entries.get(2), entries.get(3))));
    assertTrue(out.persist().isEmpty(), "3 and 4 wait for 1 and 2");
    out = middle.onPeer(new PeerMessage.Forward<>(1, 0, List.of(entries.get(0))));
    assertEquals(List.of(1L), out.persist().stream().map(LogEntry::seq).toList());
    out = middle.onPeer(new PeerMessage.Forward<>(1, 0, List.of(entries.get(1), entries.get(0))));
    assertEquals(List.of(2L, 3L, 4L), out.persist().stream().map(LogEntry::seq).toList());
    out = middle.onPeer(new PeerMessage.Forward<>(1, 0, entries));
    assertTrue(out.persist().isEmpty(), "duplicates are dropped");
    assertEquals(4, middle.lastReceived());
  }

  @Test
  void forwardsFromAReplicaThatIsNotThePredecessorAreIgnored() {
    ChainReplica<String> tail = ChainReplica.create(2, new ChainSim(0, 1, 2).config, k -> Optional.empty());
    LogEntry<String> e = new LogEntry<>(1, new Mutation.Set(b("k"), b("v")), null, null);
    assertTrue(tail.onPeer(new PeerMessage.Forward<>(1, 0, List.of(e))).persist().isEmpty());
    assertEquals(1, tail.onPeer(new PeerMessage.Forward<>(1, 1, List.of(e))).persist().size());
  }

  @Test
  void aRequestOfAnotherEpochIsRejectedWithTheReplicasEpoch() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.write("old", 0, 0, null, new WriteOp.Put(b("k"), b("v")));
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.WRONG_EPOCH, 1), sim.onlyAnswer("old"));
    Output<String> newer =
        sim.replicas.get(0).onClientWrite(5, null, new WriteOp.Put(b("k"), b("v")), "newer");
    assertEquals(5, newer.newerEpochSeen(), "the shell learns that its configuration is stale");
    assertTrue(newer.persist().isEmpty());
    Output<String> read = sim.replicas.get(2).onClientRead(0, new ReadOp.Get(b("k")), "r", sim.now);
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.WRONG_EPOCH, 1), read.replies().get(0).reply());
  }

  @Test
  void aPeerMessageOfAnOlderEpochIsDroppedAndAnsweredWithTheEpoch() {
    ChainSim sim = new ChainSim(0, 1, 2);
    LogEntry<String> e = new LogEntry<>(1, new Mutation.Set(b("k"), b("v")), null, null);
    Output<String> out = sim.replicas.get(1).onPeer(new PeerMessage.Forward<>(0, 0, List.of(e)));
    assertTrue(out.persist().isEmpty());
    assertEquals(
        List.of(new Output.Envelope<>(0, new PeerMessage.EpochNotice<String>(1, 1))), out.messages());
    Output<String> notice = sim.replicas.get(0).onPeer(new PeerMessage.EpochNotice<>(3, 1));
    assertEquals(3, notice.newerEpochSeen());
  }

  @Test
  void writesGoToTheHeadAndReadsToTheTailOnly() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.write("at-middle", 1, 1, null, new WriteOp.Put(b("k"), b("v")));
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.NOT_HEAD, 1), sim.onlyAnswer("at-middle"));
    sim.put("w", "k", "v");
    sim.settle();
    sim.read("at-head", 0, "k");
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.NOT_TAIL, 1), sim.onlyAnswer("at-head"));
    sim.read("at-tail", 2, "k");
    assertEquals(
        new ClientReply.Done(new WriteResult.CasDone(true, new Versioned(b("v"), 1))),
        sim.onlyAnswer("at-tail"));
  }

  @Test
  void theTailServesOnlyCommittedState() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w", "k", "v");
    sim.persist(0);
    sim.deliver(0);
    sim.persist(1);
    sim.deliver(0); // at the tail, not yet durable
    sim.read("r", 2, "k");
    assertEquals(new ClientReply.Done(new WriteResult.CasDone(false, null)), sim.onlyAnswer("r"));
  }

  @Test
  void compareAndSetIsDecidedAtTheHeadAgainstWritesStillInFlight() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one"); // not persisted anywhere yet
    sim.write("cas-ok", 0, 1, new RequestId("c", 2), new WriteOp.Cas(b("k"), b("one"), b("two")));
    sim.write("cas-bad", 0, 1, new RequestId("c", 3), new WriteOp.Cas(b("k"), b("one"), b("three")));
    sim.write("cas-new", 0, 1, new RequestId("c", 4), new WriteOp.Cas(b("n"), null, b("x")));
    assertTrue(sim.answers.isEmpty(), "a failed compare-and-set is answered in order, not at once");
    sim.settle();
    assertEquals(
        new ClientReply.Done(new WriteResult.CasDone(true, new Versioned(b("two"), 2))),
        sim.onlyAnswer("cas-ok"));
    assertEquals(
        new ClientReply.Done(new WriteResult.CasDone(false, new Versioned(b("two"), 2))),
        sim.onlyAnswer("cas-bad"));
    assertEquals(
        new ClientReply.Done(new WriteResult.CasDone(true, new Versioned(b("x"), 4))),
        sim.onlyAnswer("cas-new"));
    for (int s = 0; s < 3; s++) {
      assertEquals("two", str(sim.stores.get(s).get("k").value()));
    }
  }

  @Test
  void aRetriedWriteIsAppliedOnceAndAnsweredWithTheFirstAnswer() {
    ChainSim sim = new ChainSim(0, 1, 2);
    RequestId id = new RequestId("client-a", 7);
    sim.write("first", 0, 1, id, new WriteOp.Cas(b("k"), null, b("v")));
    sim.write("retry-in-flight", 0, 1, id, new WriteOp.Cas(b("k"), null, b("v")));
    assertEquals(1, sim.replicas.get(0).lastReceived(), "the retry made no new entry");
    sim.settle();
    ClientReply applied = new ClientReply.Done(new WriteResult.CasDone(true, new Versioned(b("v"), 1)));
    assertEquals(applied, sim.onlyAnswer("first"));
    assertEquals(applied, sim.onlyAnswer("retry-in-flight"));
    sim.write("retry-after", 0, 1, id, new WriteOp.Cas(b("k"), null, b("v")));
    assertEquals(applied, sim.onlyAnswer("retry-after"), "not 'already present': the first answer");
    assertEquals(1, sim.replicas.get(0).lastReceived());
  }

  @Test
  void whenTheTailIsLostItsPredecessorBecomesTailAndCommitsWhatItHolds() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w", "k", "v");
    sim.persist(0);
    sim.deliver(0);
    sim.persist(1); // the middle forwarded to the tail, which dies before persisting
    sim.crash(2);
    sim.reconfigure(0, 1);
    assertEquals(written(1), sim.onlyAnswer("w"), "the new tail answers the pending write");
    sim.settle();
    assertEquals(1, sim.replicas.get(0).committed(), "and acknowledges it upstream");
    assertEquals(List.of(), sim.replicas.get(0).sentList());
  }

  @Test
  void whenAMiddleIsLostItsPredecessorResendsToTheNewSuccessor() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "a", "1");
    sim.put("w2", "b", "2");
    sim.persist(0);
    sim.persist(0);
    sim.deliver(0);
    sim.deliver(0);
    sim.crash(1); // the middle had both, the tail has neither
    sim.reconfigure(0, 2);
    sim.settle();
    assertEquals(written(1), sim.onlyAnswer("w1"));
    assertEquals(written(2), sim.onlyAnswer("w2"));
    assertEquals(sim.stores.get(0), sim.stores.get(2));
    assertEquals(List.of(), sim.replicas.get(0).sentList());
  }

  @Test
  void whenTheHeadIsLostTheNextReplicaContinuesTheSequence() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "a", "1");
    sim.settle();
    sim.put("lost", "b", "2"); // never left the old head
    sim.crash(0);
    sim.reconfigure(1, 2);
    sim.put("w3", "c", "3");
    sim.settle();
    assertEquals(written(2), sim.onlyAnswer("w3"), "sequence numbers continue from what the chain has");
    assertFalse(sim.answers.containsKey("lost"));
    assertEquals(sim.stores.get(1), sim.stores.get(2));
    assertNull(sim.stores.get(1).get("b"));
  }

  @Test
  void aMessageFromARemovedReplicaIsAnsweredWithTheNewEpoch() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.reconfigure(1, 2); // 0 is out, but still running with the new config
    assertFalse(sim.replicas.get(0).isMember());
    LogEntry<String> e = new LogEntry<>(1, new Mutation.Set(b("k"), b("v")), null, null);
    Output<String> out = sim.replicas.get(1).onPeer(new PeerMessage.Forward<>(1, 0, List.of(e)));
    assertTrue(out.persist().isEmpty());
    assertEquals(2, ((PeerMessage.EpochNotice<String>) out.messages().get(0).message()).epoch());
  }

  @Test
  void aRestartedReplicaResendsItsStoredLogToItsSuccessor() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "a", "1");
    sim.put("w2", "b", "2");
    sim.persist(0);
    sim.persist(0); // the forwards are lost with the restart
    sim.network.clear();
    List<LogEntry<String>> stored = new ArrayList<>();
    stored.add(new LogEntry<>(1, new Mutation.Set(b("a"), b("1")), null, null));
    stored.add(new LogEntry<>(2, new Mutation.Set(b("b"), b("2")), null, null));
    ChainReplica<String> restarted = ChainReplica.recover(0, sim.config, 2, stored, sim.reader(0));
    sim.replicas.put(0, restarted);
    sim.apply(0, restarted.start());
    sim.apply(1, sim.replicas.get(1).onConfig(sim.config.withChain(sim.config.chain()))); // says hello
    sim.config = sim.replicas.get(1).config();
    sim.apply(0, restarted.onConfig(sim.config));
    sim.apply(2, sim.replicas.get(2).onConfig(sim.config));
    sim.settle();
    assertEquals(sim.stores.get(0), sim.stores.get(2));
    assertEquals(2, restarted.committed());
  }

  @Test
  void largeEntriesAreForwardedInMessagesOfBoundedSize() {
    ChainSim sim = new ChainSim(0, 1, 2);
    byte[] big = new byte[400 * 1024];
    ChainReplica<String> head = sim.replicas.get(0);
    for (int i = 0; i < 5; i++) {
      head.onClientWrite(1, null, new WriteOp.Put(b("k" + i), big), "w" + i);
    }
    Output<String> out = head.onPersisted(5); // one store batch made all five durable
    assertEquals(3, out.messages().size(), "2 + 2 + 1 entries of 400 KiB under a 1 MiB budget");
    List<Long> seqs = new ArrayList<>();
    for (Output.Envelope<String> e : out.messages()) {
      ((PeerMessage.Forward<String>) e.message()).entries().forEach(x -> seqs.add(x.seq()));
    }
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs);
  }

  @Test
  void lostForwardsAndAcksAreResentAfterSomeTicksWithoutProgress() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w", "k", "v");
    sim.persist(0);
    sim.network.clear(); // the forward to the middle is lost
    for (int t = 1; t < ChainReplica.RESEND_AFTER_TICKS; t++) {
      sim.apply(0, sim.replicas.get(0).onTick());
      assertTrue(sim.network.isEmpty(), "no resend before the deadline");
    }
    sim.apply(0, sim.replicas.get(0).onTick());
    assertEquals(1, sim.network.size(), "resent");
    sim.deliver(0);
    sim.persist(1);
    sim.deliver(0);
    sim.persist(2);
    assertEquals(written(1), sim.onlyAnswer("w"));
    sim.network.clear(); // the tail's acknowledgement is lost: the middle and head keep the entry
    assertEquals(List.of(1L), sim.replicas.get(1).sentList());
    for (int t = 0; t < ChainReplica.RESEND_AFTER_TICKS; t++) {
      sim.apply(1, sim.replicas.get(1).onTick());
    }
    sim.settle(); // the tail sees a duplicate and repeats its acknowledgement
    assertEquals(List.of(), sim.replicas.get(1).sentList());
    assertEquals(List.of(), sim.replicas.get(0).sentList());
    assertEquals(1, sim.answers.get("w").size(), "answered once");
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void randomInterleavingsLeaveIdenticalReplicasAndAnswerEveryWriteOnce(long seed) {
    Random random = new Random(seed);
    ChainSim sim = new ChainSim(0, 1, 2);
    List<WriteOp> ops = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String label = "op" + i;
      String key = "k" + random.nextInt(4);
      WriteOp op =
          switch (random.nextInt(3)) {
            case 0 -> new WriteOp.Put(b(key), b("v" + i));
            case 1 -> new WriteOp.Delete(b(key));
            default -> new WriteOp.Cas(b(key), random.nextBoolean() ? null : b("v" + (i - 1)), b("c" + i));
          };
      ops.add(op);
      sim.write(label, 0, 1, new RequestId("c", i), op);
      if (random.nextInt(3) == 0) {
        sim.settleRandomly(random);
      }
    }
    sim.settleRandomly(random);
    for (int s = 1; s < 3; s++) {
      assertEquals(sim.stores.get(0), sim.stores.get(s), "replica " + s + " equals the head");
    }
    assertEquals(60, sim.replicas.get(2).committed());
    for (int s = 0; s < 3; s++) {
      assertEquals(List.of(), sim.replicas.get(s).sentList());
    }
    // Every write answered once, as a sequential execution in submission (= sequence) order answers.
    TreeMap<String, Versioned> model = new TreeMap<>();
    for (int i = 0; i < ops.size(); i++) {
      long seq = i + 1;
      WriteOp op = ops.get(i);
      String key = str(op.key());
      WriteResult expected;
      if (op instanceof WriteOp.Put put) {
        model.put(key, new Versioned(put.value(), seq));
        expected = new WriteResult.Written(seq);
      } else if (op instanceof WriteOp.Delete) {
        model.remove(key);
        expected = new WriteResult.Written(seq);
      } else {
        WriteOp.Cas cas = (WriteOp.Cas) op;
        Versioned cur = model.get(key);
        boolean holds =
            cas.expected() == null
                ? cur == null
                : cur != null && java.util.Arrays.equals(cur.value(), cas.expected());
        if (holds) {
          model.put(key, new Versioned(cas.newValue(), seq));
        }
        expected = new WriteResult.CasDone(holds, model.get(key));
      }
      assertEquals(List.of(new ClientReply.Done(expected)), sim.answers.get("op" + i), "op" + i);
    }
    assertEquals(model, sim.stores.get(2));
  }
}
