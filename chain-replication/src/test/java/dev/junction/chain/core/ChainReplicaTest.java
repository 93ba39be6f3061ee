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
 * (van Renesse &amp; Schneider, OSDI 2004), of its pipelined form, or of CRAQ reads (Terrace &amp;
 * Freedman, ATC 2009) it checks.
 */
class ChainReplicaTest {
  private static ClientReply written(long seq) {
    return new ClientReply.Done(new WriteResult.Written(seq));
  }

  private static ClientReply value(String v, long seq) {
    return new ClientReply.Done(new WriteResult.CasDone(true, new Versioned(b(v), seq)));
  }

  private static final ClientReply ABSENT = new ClientReply.Done(new WriteResult.CasDone(false, null));

  private static long forwardsTo(ChainSim sim, int slot) {
    return sim.network.stream()
        .filter(m -> m.to() == slot && m.message() instanceof PeerMessage.Forward f && !f.entries().isEmpty())
        .count();
  }

  // ------------------------------------------------------------------------------------ pipelining

  @Test
  void anEntryIsForwardedBeforeItIsDurableAndAnsweredOnlyOnceDurableAtEveryReplica() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "v");
    assertEquals(1, forwardsTo(sim, 1), "the head forwards at once, while it persists");
    assertEquals(1, sim.unpersisted.get(0).size());
    sim.deliver(0);
    assertEquals(1, forwardsTo(sim, 2), "so does the middle");
    sim.deliver(0);
    assertTrue(sim.persist(2));
    assertTrue(sim.persist(1));
    sim.deliverAll();
    assertFalse(sim.answers.containsKey("w1"), "durable at the tail and the middle, not at the head: not committed");
    assertEquals(0, sim.replicas.get(2).committed());
    assertTrue(sim.persist(0));
    sim.deliverAll(); // the head's durable point travels down, the tail's acknowledgement up
    assertEquals(written(1), sim.onlyAnswer("w1"));
    for (int s = 0; s < 3; s++) {
      assertEquals(new Versioned(b("v"), 1), sim.stores.get(s).get("k"));
      assertEquals(1, sim.replicas.get(s).committed());
    }
  }

  @Test
  void theHeadAnswersWhenTheTailsAcknowledgementReachesIt() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w", "k", "v");
    sim.settle();
    assertEquals(List.of(written(1)), sim.answers.get("w"), "answered once");
    // Only the head holds reply handles: forwards carry none, so nothing but the head can answer.
    ChainSim other = new ChainSim(0, 1, 2);
    other.put("w", "k", "v");
    other.deliverAll();
    other.persist(1);
    other.persist(2);
    other.persist(0);
    for (int i = 0; i < 100 && !other.network.isEmpty(); i++) {
      int n = 0;
      while (n < other.network.size() && other.network.get(n).message() instanceof PeerMessage.Ack && other.network.get(n).to() == 0) {
        n++;
      }
      if (n == other.network.size()) {
        break;
      }
      other.deliver(n);
    }
    assertEquals(1, other.replicas.get(2).committed());
    assertEquals(1, other.replicas.get(1).committed(), "the middle has the tail's acknowledgement");
    assertFalse(other.answers.containsKey("w"), "the tail committed, its acknowledgement has not reached the head");
    assertTrue(other.network.stream().allMatch(m -> m.from() == 2 && m.message() instanceof PeerMessage.Ack),
        "the tail acknowledges to the head directly, not through the middle");
    other.deliverAll();
    assertEquals(written(1), other.onlyAnswer("w"));
  }

  @Test
  void theSentListHoldsEntriesUntilTheTailAcknowledgesThem() {
    ChainSim sim = new ChainSim(0, 1, 2);
    for (int i = 1; i <= 3; i++) {
      sim.put("w" + i, "k" + i, "v");
    }
    assertEquals(List.of(1L, 2L, 3L), sim.replicas.get(0).sentList());
    // Deliver the forwards and persist everywhere, but hold the acknowledgements.
    for (int step = 0; step < 1000; step++) {
      boolean progress = false;
      for (int s = 0; s < 3; s++) {
        progress |= sim.persist(s);
      }
      for (int i = 0; i < sim.network.size(); i++) {
        if (!(sim.network.get(i).message() instanceof PeerMessage.Ack)) {
          sim.deliver(i);
          progress = true;
          break;
        }
      }
      if (!progress) {
        break;
      }
    }
    assertEquals(3, sim.replicas.get(2).committed(), "the tail committed all three");
    assertEquals(List.of(1L, 2L, 3L), sim.replicas.get(0).sentList());
    assertEquals(List.of(1L, 2L, 3L), sim.replicas.get(1).sentList());
    assertEquals(List.of(), sim.replicas.get(2).sentList(), "the tail keeps nothing");
    assertTrue(sim.answers.isEmpty());
    sim.settle();
    assertEquals(List.of(), sim.replicas.get(0).sentList());
    assertEquals(List.of(), sim.replicas.get(1).sentList());
    assertEquals(3, sim.replicas.get(0).committed());
    assertEquals(3, sim.answers.size());
  }

  @Test
  void aForwardCarriesEveryEntryReadyAtTheFlushAndOnePersistBatch() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.autoFlush = false;
    ChainReplica<String> head = sim.replicas.get(0);
    for (int i = 0; i < 5; i++) {
      sim.apply(0, head.onClientWrite(1, new RequestId("c", i + 1), new WriteOp.Put(b("k" + i), b("v")), "w" + i, sim.now));
    }
    assertTrue(sim.network.isEmpty(), "nothing leaves before the flush");
    Output<String> out = head.flush();
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), out.persist().stream().map(LogEntry::seq).toList());
    assertEquals(1, out.messages().size());
    assertEquals(5, ((PeerMessage.Forward) out.messages().get(0).message()).entries().size());
  }

  @Test
  void largeEntriesAreForwardedInMessagesOfBoundedSize() {
    ChainSim sim = new ChainSim(0, 1, 2);
    byte[] big = new byte[400 * 1024];
    ChainReplica<String> head = sim.replicas.get(0);
    for (int i = 0; i < 5; i++) {
      head.onClientWrite(1, null, new WriteOp.Put(b("k" + i), big), "w" + i, sim.now);
    }
    Output<String> out = head.flush();
    assertEquals(3, out.messages().size(), "2 + 2 + 1 entries of 400 KiB under a 1 MiB budget");
    List<Long> seqs = new ArrayList<>();
    for (Output.Envelope<String> e : out.messages()) {
      ((PeerMessage.Forward) e.message()).entries().forEach(x -> seqs.add(x.seq()));
    }
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs);
  }

  @Test
  void entriesAreAppliedInSequenceOrderDespiteReorderingAndDuplicates() {
    ChainReplica<String> middle =
        ChainReplica.create(1, new ChainSim(0, 1, 2).config, ChainSettings.DEFAULTS, k -> Optional.empty());
    middle.start();
    List<LogEntry> entries = new ArrayList<>();
    for (long s = 1; s <= 4; s++) {
      entries.add(new LogEntry(s, new Mutation.Set(b("k"), b("v" + s)), null));
    }
    middle.onPeer(new PeerMessage.Forward(1, 0, List.of(entries.get(2), entries.get(3))));
    assertTrue(middle.flush().persist().isEmpty(), "3 and 4 wait for 1 and 2");
    middle.onPeer(new PeerMessage.Forward(1, 0, List.of(entries.get(0))));
    assertEquals(List.of(1L), middle.flush().persist().stream().map(LogEntry::seq).toList());
    middle.onPeer(new PeerMessage.Forward(1, 0, List.of(entries.get(1), entries.get(0))));
    assertEquals(List.of(2L, 3L, 4L), middle.flush().persist().stream().map(LogEntry::seq).toList());
    middle.onPeer(new PeerMessage.Forward(1, 0, entries));
    assertTrue(middle.flush().persist().isEmpty(), "duplicates are dropped");
    assertEquals(4, middle.lastReceived());
  }

  @Test
  void forwardsFromAReplicaThatIsNotThePredecessorAreIgnored() {
    ChainReplica<String> tail =
        ChainReplica.create(2, new ChainSim(0, 1, 2).config, ChainSettings.DEFAULTS, k -> Optional.empty());
    LogEntry e = new LogEntry(1, new Mutation.Set(b("k"), b("v")), null);
    tail.onPeer(new PeerMessage.Forward(1, 0, List.of(e)));
    assertTrue(tail.flush().persist().isEmpty());
    tail.onPeer(new PeerMessage.Forward(1, 1, List.of(e)));
    assertEquals(1, tail.flush().persist().size());
  }

  // ---------------------------------------------------------------------------------------- epochs

  @Test
  void aRequestThatKnowsANewerEpochIsRefusedWithTheReplicasEpoch() {
    ChainSim sim = new ChainSim(0, 1, 2);
    Output<String> newer =
        sim.replicas.get(0).onClientWrite(5, null, new WriteOp.Put(b("k"), b("v")), "newer", sim.now);
    assertEquals(5, newer.newerEpochSeen(), "the shell learns that its configuration is stale");
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.WRONG_EPOCH, 1), newer.replies().get(0).reply());
    assertTrue(sim.replicas.get(0).flush().persist().isEmpty());
    assertEquals(new ReadView.Refused(ClientReply.Reason.WRONG_EPOCH, 1),
        sim.replicas.get(2).view().get(5, b("k"), sim.now, sim.reader(2)));
  }

  @Test
  void aRequestFromAnOlderTableIsServedByTheReplicasOwnConfiguration() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.write("old", 0, 0, new RequestId("c", 1), new WriteOp.Put(b("k"), b("v")));
    sim.settle();
    assertEquals(written(1), sim.onlyAnswer("old"), "the head is the head of its own epoch: it takes the write");
    assertEquals(new ReadView.Value(new Versioned(b("v"), 1)),
        sim.replicas.get(1).view().get(0, b("k"), sim.now, sim.reader(1)));
  }

  @Test
  void aPeerMessageOfAnOlderEpochIsDroppedAndAnsweredWithTheEpoch() {
    ChainSim sim = new ChainSim(0, 1, 2);
    LogEntry e = new LogEntry(1, new Mutation.Set(b("k"), b("v")), null);
    Output<String> out = sim.replicas.get(1).onPeer(new PeerMessage.Forward(0, 0, List.of(e)));
    assertTrue(sim.replicas.get(1).flush().persist().isEmpty());
    assertEquals(List.of(new Output.Envelope<String>(0, new PeerMessage.EpochNotice(1, 1))), out.messages());
    Output<String> notice = sim.replicas.get(0).onPeer(new PeerMessage.EpochNotice(3, 1));
    assertEquals(3, notice.newerEpochSeen());
  }

  @Test
  void aMessageFromARemovedReplicaIsAnsweredWithTheNewEpoch() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.reconfigure(1, 2); // 0 is out, but still running with the new config
    assertFalse(sim.replicas.get(0).isMember());
    LogEntry e = new LogEntry(1, new Mutation.Set(b("k"), b("v")), null);
    Output<String> out = sim.replicas.get(1).onPeer(new PeerMessage.Forward(1, 0, List.of(e)));
    assertEquals(2, ((PeerMessage.EpochNotice) out.messages().get(0).message()).epoch());
  }

  // ----------------------------------------------------------------------------------- writes, CAS

  @Test
  void writesGoToTheHeadOnly() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.write("at-middle", 1, 1, null, new WriteOp.Put(b("k"), b("v")));
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.NOT_HEAD, 1), sim.onlyAnswer("at-middle"));
    sim.write("at-tail", 2, 1, null, new WriteOp.Put(b("k"), b("v")));
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.NOT_HEAD, 1), sim.onlyAnswer("at-tail"));
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
    assertEquals(value("two", 2), sim.onlyAnswer("cas-ok"));
    assertEquals(new ClientReply.Done(new WriteResult.CasDone(false, new Versioned(b("two"), 2))),
        sim.onlyAnswer("cas-bad"));
    assertEquals(value("x", 3), sim.onlyAnswer("cas-new"), "the refused one took no sequence number");
    for (int s = 0; s < 3; s++) {
      assertEquals("two", str(sim.stores.get(s).get("k").value()));
    }
  }

  @Test
  void compareAndSetOnASequenceNumberAppliesOnlyWhileTheValueStillCarriesIt() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.settle();
    sim.write("stale", 0, 1, new RequestId("c", 2), new WriteOp.CasSeq(b("k"), 7, b("x")));
    sim.write("fresh", 0, 1, new RequestId("c", 3), new WriteOp.CasSeq(b("k"), 1, b("two")));
    sim.write("again", 0, 1, new RequestId("c", 4), new WriteOp.CasSeq(b("k"), 1, b("three")));
    sim.write("absent", 0, 1, new RequestId("c", 5), new WriteOp.CasSeq(b("nothing"), 1, b("y")));
    sim.settle();
    assertEquals(new ClientReply.Done(new WriteResult.CasDone(false, new Versioned(b("one"), 1))),
        sim.onlyAnswer("stale"));
    assertEquals(value("two", 2), sim.onlyAnswer("fresh"));
    assertEquals(new ClientReply.Done(new WriteResult.CasDone(false, new Versioned(b("two"), 2))),
        sim.onlyAnswer("again"), "decided against the write still in flight before it");
    assertEquals(ABSENT, sim.onlyAnswer("absent"));
    assertEquals(new Versioned(b("two"), 2), sim.stores.get(2).get("k"));
    assertEquals(2, sim.replicas.get(2).committed(), "the refused ones made no entries");
  }

  @Test
  void aCompareAndSetThatDoesNotApplyTakesNoEntryAndIsAnsweredOnceTheValueItSawCommitted() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.settle();
    sim.write("clean", 0, 1, new RequestId("c", 2), new WriteOp.CasSeq(b("k"), 9, b("x")));
    assertEquals(new ClientReply.Done(new WriteResult.CasDone(false, new Versioned(b("one"), 1))),
        sim.onlyAnswer("clean"), "no write in flight for the key: answered at once");
    sim.put("w2", "k", "two");
    sim.write("dirty", 0, 1, new RequestId("c", 3), new WriteOp.CasSeq(b("k"), 1, b("x")));
    assertEquals(2, sim.replicas.get(0).lastReceived(), "no entry for either");
    sim.deliverAll();
    assertTrue(sim.persist(1) && sim.persist(2));
    sim.deliverAll();
    assertNull(sim.answers.get("dirty"), "\"two\" is not durable at the head yet: it may still be lost");
    assertTrue(sim.persist(0));
    sim.deliverAll();
    assertEquals(written(2), sim.onlyAnswer("w2"));
    assertEquals(new ClientReply.Done(new WriteResult.CasDone(false, new Versioned(b("two"), 2))),
        sim.onlyAnswer("dirty"), "answered with the write it saw, once that committed");
    // Not remembered as an answer: the same request tried again is decided afresh.
    sim.write("dirty-again", 0, 1, new RequestId("c", 3), new WriteOp.CasSeq(b("k"), 2, b("x")));
    sim.settle();
    assertEquals(value("x", 3), sim.onlyAnswer("dirty-again"));
  }

  @Test
  void aRefusedCompareAndSetIsAnsweredOnlyWhileTheHeadHoldsItsLeaseAndLoggedWithoutOne() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.settle();
    sim.autoLease = false;
    sim.put("w2", "k", "two");
    sim.write("waits", 0, 1, new RequestId("c", 2), new WriteOp.CasSeq(b("k"), 1, b("x")));
    sim.now += 2 * ChainSim.LEASE; // the head's lease runs out before the write it saw commits
    sim.settle();
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.NO_LEASE, 1), sim.onlyAnswer("waits"),
        "a head without its lease may have been replaced: the client tries again");
    sim.write("unleased", 0, 1, new RequestId("c", 3), new WriteOp.CasSeq(b("k"), 1, b("x")));
    assertEquals(3, sim.replicas.get(0).lastReceived(), "without a lease the refusal goes down the chain");
    sim.settle();
    assertEquals(new ClientReply.Done(new WriteResult.CasDone(false, new Versioned(b("two"), 2))),
        sim.onlyAnswer("unleased"));
  }

  @Test
  void refusalsWaitingAtAHeadThatLosesItsRoleAreRejectedForTheClientToTryTheNewHead() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.write("refused", 0, 1, new RequestId("c", 2), new WriteOp.CasSeq(b("k"), 7, b("x")));
    sim.reconfigure(0, 1); // the head stays head: the write it saw still commits through it
    assertNull(sim.answers.get("refused"));
    sim.settle();
    assertEquals(new ClientReply.Done(new WriteResult.CasDone(false, new Versioned(b("one"), 1))),
        sim.onlyAnswer("refused"));
    sim.put("w2", "k", "two");
    sim.write("at-old-head", 0, 2, new RequestId("c", 3), new WriteOp.CasSeq(b("k"), 1, b("x")));
    sim.reconfigure(1);
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.NOT_HEAD, 3), sim.onlyAnswer("at-old-head"));
  }

  @Test
  void refusalsWaitingAtAStoppingHeadAreHandedBackToTheShell() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "k", "one");
    sim.write("refused", 0, 1, new RequestId("c", 2), new WriteOp.CasSeq(b("k"), 7, b("x")));
    assertTrue(sim.replicas.get(0).abandon().contains("refused"));
  }

  @Test
  void aRetriedWriteIsAppliedOnceAndAnsweredWithTheFirstAnswer() {
    ChainSim sim = new ChainSim(0, 1, 2);
    RequestId id = new RequestId("client-a", 7);
    sim.write("first", 0, 1, id, new WriteOp.Cas(b("k"), null, b("v")));
    sim.write("retry-in-flight", 0, 1, id, new WriteOp.Cas(b("k"), null, b("v")));
    assertEquals(1, sim.replicas.get(0).lastReceived(), "the retry made no new entry");
    sim.settle();
    ClientReply applied = value("v", 1);
    assertEquals(applied, sim.onlyAnswer("first"));
    assertEquals(applied, sim.onlyAnswer("retry-in-flight"));
    sim.write("retry-after", 0, 1, id, new WriteOp.Cas(b("k"), null, b("v")));
    assertEquals(applied, sim.onlyAnswer("retry-after"), "not 'already present': the first answer");
    assertEquals(1, sim.replicas.get(0).lastReceived());
  }

  // ------------------------------------------------------------------------------- reconfiguration

  @Test
  void whenTheTailIsLostItsPredecessorBecomesTailAndCommitsWhatIsDurableAtItAndUpstream() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w", "k", "v");
    sim.persist(0);
    sim.deliverAll(); // the middle has it (and the head's durable point); the tail got it too
    sim.persist(1);
    sim.crash(2); // the tail dies before persisting
    sim.deliverAll();
    assertFalse(sim.answers.containsKey("w"));
    sim.reconfigure(0, 1);
    sim.settle();
    assertEquals(written(1), sim.onlyAnswer("w"), "the new tail commits, the head answers");
    assertEquals(1, sim.replicas.get(0).committed());
    assertEquals(List.of(), sim.replicas.get(0).sentList());
  }

  @Test
  void whenAMiddleIsLostItsPredecessorResendsToTheNewSuccessor() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "a", "1");
    sim.put("w2", "b", "2");
    sim.deliver(0);
    sim.deliver(0); // the middle has both, the tail has neither
    sim.crash(1);
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
    sim.put("lost", "b", "2");
    sim.network.clear(); // never left the old head
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
  void aChainReorderedToPromoteAnotherHeadKeepsEveryWriteAndAnswersEveryClientOnce() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "a", "1");
    sim.settle();
    sim.put("w2", "b", "2"); // forwarded to the middle, durable nowhere
    sim.deliverAll();
    sim.put("w3", "c", "3"); // still at the old head only
    sim.reconfigure(1, 0, 2); // the middle becomes head, the old head its successor
    sim.write("at-old-head", 0, 2, new RequestId("c", 99), new WriteOp.Put(b("d"), b("x")));
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.NOT_HEAD, 2), sim.onlyAnswer("at-old-head"));
    sim.put("w4", "d", "4");
    sim.settle();
    assertEquals(written(2), sim.onlyAnswer("w2"), "answered by the old head, where the client waits");
    assertEquals(written(3), sim.onlyAnswer("w3"), "taken back by the new head, not lost");
    assertEquals(written(4), sim.onlyAnswer("w4"));
    for (int s = 0; s < 3; s++) {
      assertEquals(sim.stores.get(1), sim.stores.get(s), "replica " + s);
      assertEquals(List.of(), sim.replicas.get(s).sentList());
    }
    assertEquals(4, sim.stores.get(2).size());
  }

  // ----------------------------------------------------------------------------------------- splits

  @Test
  void aSplitIsTheRangesLastEntryAndIsReportedByTheHeadOnceCommitted() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "a", "1");
    sim.put("w2", "m", "2"); // in flight when the split is asked for
    sim.split(0, "k");
    sim.put("late", "z", "3");
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.SEALED, 1), sim.onlyAnswer("late"),
        "a write after the split belongs to a new range");
    assertTrue(sim.splitReports.isEmpty(), "not committed yet");
    sim.settle();
    assertEquals(written(1), sim.onlyAnswer("w1"));
    assertEquals(written(2), sim.onlyAnswer("w2"), "writes before the split commit as usual");
    assertEquals(1, sim.splitReports.size(), "reported once, when it committed: " + sim.splitReports);
    assertEquals(0, sim.splitReports.get(0).getKey(), "by the head");
    Output.Ended done = sim.splitReports.get(0).getValue();
    assertEquals(3, done.seq());
    Mutation.Split split = (Mutation.Split) done.ending();
    assertEquals("k", str(split.key()));
    assertEquals(7, split.leftId());
    assertEquals(8, split.rightId());
    for (int s = 0; s < 3; s++) {
      assertEquals(3, sim.replicas.get(s).committed(), "replica " + s + " holds the final state");
      assertEquals(3, sim.replicas.get(s).sealedAt());
      assertEquals(sim.stores.get(0), sim.stores.get(s));
    }
    sim.write("retry", 0, 1, new RequestId("c", "w2".hashCode()), new WriteOp.Put(b("m"), b("2")));
    assertEquals(written(2), sim.onlyAnswer("retry"), "a retry of a write from before the split still gets its answer");
    sim.split(0, "k");
    assertEquals(2, sim.splitReports.size(), "asked again, it reports again");
    for (int t = 0; t < sim.settings.resendAfterTicks(); t++) {
      sim.tickAll();
    }
    assertEquals(3, sim.splitReports.size(), "and it repeats the report by itself every few ticks");
  }

  @Test
  void aSplitIsRefusedOutsideTheRangeAtTheWrongEpochOrAwayFromTheHead() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.apply(0, sim.replicas.get(0).onEnd(2, new Mutation.Split(b("k"), 7, 8)));
    sim.split(1, "k");
    sim.settle();
    assertEquals(0, sim.replicas.get(0).sealedAt(), "nothing sequenced");
    sim.put("w", "a", "1");
    sim.settle();
    assertEquals(written(1), sim.onlyAnswer("w"));
    // A range [b, d): its start is no split point, a key outside it neither.
    ChainReplica<String> r = ChainReplica.create(0,
        new RangeConfig(3, b("b"), b("d"), 1, List.of(new Replica(0, "n"))), ChainSettings.DEFAULTS,
        k -> Optional.empty());
    r.start();
    for (String at : List.of("b", "a", "d", "e")) {
      r.onEnd(1, new Mutation.Split(b(at), 7, 8));
      assertEquals(0, r.sealedAt(), "at " + at);
    }
    r.onEnd(1, new Mutation.Split(b("c"), 7, 8));
    assertEquals(1, r.sealedAt());
    assertTrue(r.onEnd(1, new Mutation.Split(b("bb"), 9, 10)).isEmpty(), "a second split another way is ignored");
    assertTrue(r.onEnd(1, new Mutation.Seal(b("d"), 9)).isEmpty(), "and so is a seal");
    assertEquals("c", str(r.ending().orElseThrow().key()));
  }

  @Test
  void aNewHeadAfterACrashKnowsTheRangeIsSealedAndReportsTheSplit() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "a", "1");
    sim.settle();
    sim.split(0, "k");
    sim.deliverAll(); // the split reaches the middle and the tail, which persist it
    sim.persist(1);
    sim.persist(2);
    sim.crash(0);
    sim.network.removeIf(m -> m.from() == 0);
    sim.reconfigure(1, 2);
    sim.write("after", 1, sim.config.epoch(), new RequestId("c", 9), new WriteOp.Put(b("b"), b("2")));
    sim.settle();
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.SEALED, 2), sim.onlyAnswer("after"));
    assertEquals(1, sim.splitReports.stream().filter(e -> e.getKey() == 1).count(), "the new head reports it");
    assertEquals(2, sim.splitReports.get(0).getValue().seq());
    // A restart recovers the seal from the stored log.
    ChainReplica<String> restarted = sim.restart(2);
    assertEquals(2, restarted.sealedAt());
    sim.reconfigure(2, 1);
    sim.settle();
    sim.write("later", 2, sim.config.epoch(), new RequestId("c", 10), new WriteOp.Put(b("c"), b("3")));
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.SEALED, 3), sim.onlyAnswer("later"));
  }

  @Test
  void aRetiredReadViewAnswersNoReadEvenOneThatCheckedBeforeTheStoreRead() {
    ChainSim sim = new ChainSim(0, 1);
    sim.put("w", "a", "1");
    sim.settle();
    sim.read("before", 1, "a");
    assertEquals(value("1", 1), sim.onlyAnswer("before"));
    ChainReplica<String> tail = sim.replicas.get(1);
    ReadView.Outcome raced = tail.view().get(1, b("a"), sim.now, k -> {
      tail.view().retire(); // a new range starts on this node between the check and the store read
      return Optional.of(new Versioned(b("newer"), 2));
    });
    assertEquals(new ReadView.Refused(ClientReply.Reason.NOT_IN_CHAIN, 1), raced);
    sim.read("after", 1, "a");
    assertEquals(new ClientReply.Rejected(ClientReply.Reason.NOT_IN_CHAIN, 1), sim.onlyAnswer("after"));
    assertNull(tail.view().overlay(List.of(), false, b(""), b(""), 10), "scans refuse too");
  }

  @ParameterizedTest
  @ValueSource(longs = {31, 32, 33, 34, 35, 36})
  void headsPromotedAtRandomMomentsLoseNoWriteAndLeaveIdenticalReplicas(long seed) {
    Random random = new Random(seed);
    ChainSim sim = new ChainSim(0, 1, 2);
    List<Integer> order = new ArrayList<>(List.of(0, 1, 2));
    List<WriteOp.Put> ops = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      ops.add(new WriteOp.Put(b("k" + random.nextInt(5)), b("v" + i)));
      sim.write("op" + i, sim.head(), sim.config.epoch(), new RequestId("c", i + 1), ops.get(i));
      for (int n = random.nextInt(5); n > 0; n--) {
        sim.stepRandomly(random);
      }
      if (random.nextInt(8) == 0) {
        java.util.Collections.rotate(order, 1 + random.nextInt(2));
        sim.reconfigure(order.stream().mapToInt(Integer::intValue).toArray());
      }
    }
    sim.settleRandomly(random);
    // Every write is answered once: done with its sequence number, or refused because it was held at a
    // head that lost the role before it could sequence it (the client tries the new head). Replaying the
    // done ones in sequence order gives every replica's store.
    TreeMap<Long, WriteOp.Put> done = new TreeMap<>();
    for (int i = 0; i < 60; i++) {
      List<ClientReply> a = sim.answers.get("op" + i);
      assertEquals(1, a == null ? 0 : a.size(), "seed " + seed + ": op" + i + " answered once: " + a);
      if (a.get(0) instanceof ClientReply.Done d) {
        assertTrue(done.put(((WriteResult.Written) d.result()).seq(), ops.get(i)) == null, "one write per seq");
      } else {
        assertEquals(ClientReply.Reason.NOT_HEAD, ((ClientReply.Rejected) a.get(0)).reason(), "seed " + seed + ": op" + i);
      }
    }
    TreeMap<String, Versioned> model = new TreeMap<>();
    done.forEach((seq, put) -> model.put(str(put.key()), new Versioned(put.value(), seq)));
    for (int s = 0; s < 3; s++) {
      assertEquals(model, sim.stores.get(s), "seed " + seed + ": replica " + s);
    }
    assertEquals(done.size(), sim.replicas.get(sim.tail()).committed());
  }

  @Test
  void aNewHeadTakesBackWhatItsSuccessorsHoldBeforeItSequencesAgain() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "a", "1");
    sim.settle();
    // Entry 2 reaches the tail, which persists it; the middle and the head lose it in a crash.
    sim.put("w2", "b", "2");
    sim.deliverAll();
    sim.persist(2);
    ChainReplica<String> middle = sim.restart(1);
    sim.crash(0);
    sim.network.removeIf(m -> m.from() == 0);
    assertEquals(1, middle.lastReceived());
    sim.reconfigure(1, 2); // the restarted middle is head now
    assertTrue(middle.probing());
    sim.write("w3", 1, sim.config.epoch(), new RequestId("c", 3), new WriteOp.Put(b("c"), b("3")));
    assertFalse(sim.answers.containsKey("w3"));
    assertEquals(1, middle.lastReceived(), "a write waits while the head takes back entry 2");
    sim.settle();
    assertFalse(middle.probing());
    assertEquals(written(3), sim.onlyAnswer("w3"), "3, not 2: entry 2 is the tail's");
    assertEquals(new Versioned(b("2"), 2), sim.stores.get(1).get("b"));
    assertEquals(sim.stores.get(1), sim.stores.get(2));
  }

  @Test
  void aRestartedHeadResendsWhatItStoredAndItsSuccessorsLacked() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "a", "1");
    sim.put("w2", "b", "2");
    sim.network.clear(); // the forwards are lost with the restart
    sim.persist(0);
    sim.persist(0);
    ChainReplica<String> head = sim.restart(0);
    sim.settle();
    for (int t = 0; t < sim.settings.resendAfterTicks() && !head.sentList().isEmpty(); t++) {
      sim.tickAll();
      sim.settle();
    }
    assertEquals(sim.stores.get(0), sim.stores.get(2));
    assertEquals(2, head.committed());
  }

  @Test
  void aWholeChainCrashKeepsEveryAnsweredWriteAndNoSequenceNumberNamesTwoWrites() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w1", "a", "1");
    sim.settle();
    sim.put("w2", "b", "2");
    sim.put("w3", "c", "3");
    sim.deliverAll();
    sim.persist(2);
    sim.persist(2); // only the tail has 2 and 3 durably
    sim.persist(1);
    for (int s = 0; s < 3; s++) {
      sim.crash(s);
    }
    sim.network.clear();
    sim.restart(2);
    sim.restart(1);
    ChainReplica<String> head = sim.restart(0);
    sim.write("w4", 0, 1, new RequestId("c", 4), new WriteOp.Put(b("d"), b("4")));
    sim.settle();
    assertEquals(written(4), sim.onlyAnswer("w4"));
    assertEquals(4, head.committed());
    for (int s = 1; s < 3; s++) {
      assertEquals(sim.stores.get(0), sim.stores.get(s));
      assertEquals(sim.storedLogs.get(0), sim.storedLogs.get(s), "one log: every number names one write");
    }
    assertEquals("1", str(sim.stores.get(0).get("a").value()), "the answered write survived");
  }

  @Test
  void lostForwardsAndAcksAreResentAfterSomeTicksWithoutProgress() {
    ChainSim sim = new ChainSim(0, 1, 2);
    sim.put("w", "k", "v");
    sim.persist(0);
    sim.network.clear(); // the forward (and the durable notice) to the middle are lost
    for (int t = 1; t < sim.settings.resendAfterTicks(); t++) {
      sim.apply(0, sim.replicas.get(0).onTick());
      assertTrue(sim.network.isEmpty(), "no resend before the deadline");
    }
    sim.apply(0, sim.replicas.get(0).onTick());
    assertEquals(1, forwardsTo(sim, 1), "resent");
    assertTrue(sim.network.stream().anyMatch(m -> m.to() == 2 && m.message() instanceof PeerMessage.Durable),
        "and the head's word to the tail, which may have been lost too");
    sim.settle();
    assertEquals(written(1), sim.onlyAnswer("w"));
    sim.put("w2", "k", "v2");
    sim.settle();
    // The tail's acknowledgement of a third write to the head is lost: the head keeps it until a resend.
    sim.put("w3", "k", "v3");
    for (int i = 0; i < 1000 && !(sim.network.isEmpty() && sim.unpersisted.values().stream().allMatch(q -> q.isEmpty())); i++) {
      for (int s = 0; s < 3; s++) {
        sim.persist(s);
      }
      if (!sim.network.isEmpty()) {
        if (sim.network.get(0).message() instanceof PeerMessage.Ack && sim.network.get(0).to() == 0) {
          sim.network.remove(0);
        } else {
          sim.deliver(0);
        }
      }
    }
    assertEquals(List.of(3L), sim.replicas.get(0).sentList());
    for (int t = 0; t < sim.settings.resendAfterTicks(); t++) {
      sim.apply(0, sim.replicas.get(0).onTick());
    }
    sim.settle(); // the tail hears the head again and repeats its acknowledgement
    assertEquals(List.of(), sim.replicas.get(0).sentList());
    assertEquals(1, sim.answers.get("w3").size(), "answered once");
  }

  // ---------------------------------------------------------------------------------- random runs

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void randomInterleavingsLeaveIdenticalReplicasAndAnswerEveryWriteOnce(long seed) {
    Random random = new Random(seed);
    ChainSim sim = new ChainSim(0, 1, 2);
    List<WriteOp> ops = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      WriteOp op = randomOp(random, i);
      ops.add(op);
      sim.write("op" + i, 0, 1, new RequestId("c", i + 1), op);
      if (random.nextInt(3) == 0) {
        sim.settleRandomly(random);
      }
    }
    sim.settleRandomly(random);
    for (int s = 1; s < 3; s++) {
      assertEquals(sim.stores.get(0), sim.stores.get(s), "replica " + s + " equals the head");
    }
    for (int s = 0; s < 3; s++) {
      assertEquals(List.of(), sim.replicas.get(s).sentList());
    }
    // Every write answered once, as a sequential execution in submission order answers (a compare-and-set
    // that does not apply takes no sequence number).
    TreeMap<String, Versioned> model = new TreeMap<>();
    long seq = 0;
    for (int i = 0; i < ops.size(); i++) {
      WriteResult expected = applyToModel(model, ops.get(i), seq + 1);
      if (!(expected instanceof WriteResult.CasDone cas && !cas.applied())) {
        seq++;
      }
      assertEquals(List.of(new ClientReply.Done(expected)), sim.answers.get("op" + i), "op" + i);
    }
    assertEquals(seq, sim.replicas.get(2).committed());
    assertEquals(model, sim.stores.get(2));
  }

  /**
   * Random interleavings with message loss, interrupted by crashes of the whole chain (every replica
   * loses what it had not persisted, and restarts from its store): the replicas end with one log, in
   * which every answered write has the number and answer it was given.
   */
  @ParameterizedTest
  @ValueSource(longs = {11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void wholeChainCrashesLoseNoAnsweredWriteAndLeaveOneLog(long seed) {
    Random random = new Random(seed);
    ChainSim sim = new ChainSim(0, 1, 2);
    List<WriteOp> ops = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      WriteOp op = randomOp(random, i);
      ops.add(op);
      sim.write("op" + i, 0, 1, new RequestId("c", i + 1), op);
      for (int n = random.nextInt(6); n > 0; n--) {
        sim.stepRandomly(random);
      }
      if (random.nextInt(15) == 0) {
        for (int s = 0; s < 3; s++) {
          sim.crash(s);
        }
        sim.network.clear();
        for (int s : new int[] {2, 1, 0}) {
          sim.restart(s);
        }
      }
    }
    sim.settleRandomly(random);
    for (int s = 1; s < 3; s++) {
      assertEquals(sim.stores.get(0), sim.stores.get(s), "seed " + seed + ": replica " + s + " equals the head");
      assertEquals(sim.storedLogs.get(0), sim.storedLogs.get(s), "seed " + seed + ": one log");
    }
    // Replaying the one log gives the stores, and every answer is what the log says of its write.
    TreeMap<String, Versioned> model = new TreeMap<>();
    java.util.Map<RequestId, WriteResult> results = new java.util.HashMap<>();
    for (LogEntry e : sim.storedLogs.get(0).values()) {
      String key = str(e.mutation().key());
      if (e.changesData()) {
        Versioned after = e.valueAfter();
        if (after == null) {
          model.remove(key);
        } else {
          model.put(key, after);
        }
      }
      results.put(e.origin(), e.result());
    }
    assertEquals(model, sim.stores.get(0));
    for (int i = 0; i < ops.size(); i++) {
      List<ClientReply> a = sim.answers.get("op" + i);
      if (a == null) {
        continue; // lost with a crash, never answered
      }
      assertEquals(1, a.size(), "op" + i + " answered once");
      WriteResult logged = results.get(new RequestId("c", i + 1));
      if (logged == null) {
        // A compare-and-set that did not apply, answered without an entry: the value it saw was committed
        // when it was answered, so the one log holds the write that made it.
        Versioned saw = ((WriteResult.CasDone) ((ClientReply.Done) a.get(0)).result()).current();
        assertTrue(saw == null || saw.equals(sim.storedLogs.get(0).get(saw.seq()).valueAfter()),
            "seed " + seed + ": op" + i + " saw " + saw + ", which the log does not hold");
        continue;
      }
      assertEquals(new ClientReply.Done(logged), a.get(0), "seed " + seed + ": op" + i + " is in the log as answered");
    }
  }

  private static WriteOp randomOp(Random random, int i) {
    String key = "k" + random.nextInt(4);
    return switch (random.nextInt(3)) {
      case 0 -> new WriteOp.Put(b(key), b("v" + i));
      case 1 -> new WriteOp.Delete(b(key));
      default -> new WriteOp.Cas(b(key), random.nextBoolean() ? null : b("v" + (i - 1)), b("c" + i));
    };
  }

  private static WriteResult applyToModel(TreeMap<String, Versioned> model, WriteOp op, long seq) {
    String key = str(op.key());
    if (op instanceof WriteOp.Put put) {
      model.put(key, new Versioned(put.value(), seq));
      return new WriteResult.Written(seq);
    }
    if (op instanceof WriteOp.Delete) {
      model.remove(key);
      return new WriteResult.Written(seq);
    }
    WriteOp.Cas cas = (WriteOp.Cas) op;
    Versioned cur = model.get(key);
    boolean holds = cas.expected() == null
        ? cur == null
        : cur != null && java.util.Arrays.equals(cur.value(), cas.expected());
    if (holds) {
      model.put(key, new Versioned(cas.newValue(), seq));
    }
    return new WriteResult.CasDone(holds, model.get(key));
  }
}
