package dev.junction.chain.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.store.Versioned;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A new replica that copied its range follows the tail before it joins ({@link PeerMessage.Follow}): the
 * tail sends it the committed entries it lacks from its stored log, then every entry as it commits, and
 * nothing that is not committed; a configuration change ends the stream until the follower asks again.
 * The follower here is slot 7, which runs no core: what the replica actor does with the stream (store
 * each entry in order) is done by {@link #follow}.
 */
class FollowTest {
  private static final int FOLLOWER = 7;

  /** Chain 0 -> 1 -> 2 with writes 1..3 committed and a copy of the tail's data at seq 3 as slot 7. */
  private static ChainSim chainWithCopy() {
    ChainSim sim = new ChainSim(0, 1, 2);
    for (int i = 1; i <= 3; i++) {
      sim.put("w" + i, "k" + i, "v" + i);
    }
    sim.settle();
    sim.stores.put(FOLLOWER, new TreeMap<>(sim.stores.get(2)));
    return sim;
  }

  private static void askToFollow(ChainSim sim, int tail, long epoch, long lastHeld) {
    ChainReplica<String> r = sim.replicas.get(tail);
    sim.apply(tail, r.onPeer(new PeerMessage.Follow(epoch, FOLLOWER, lastHeld, "node7")));
  }

  /** The sequence numbers of the forwards slot 7 received, in order. */
  private static List<Long> followed(ChainSim sim) {
    List<Long> seqs = new ArrayList<>();
    for (ChainSim.InFlight m : sim.toOutsiders) {
      if (m.to() == FOLLOWER && m.message() instanceof PeerMessage.Forward f) {
        for (LogEntry e : f.entries()) {
          seqs.add(e.seq());
        }
      }
    }
    return seqs;
  }

  /** Stores the followed entries in order into slot 7's store, as the follower's shell does; the last held. */
  private static long follow(ChainSim sim, long held) {
    TreeMap<String, Versioned> store = sim.stores.get(FOLLOWER);
    for (ChainSim.InFlight m : sim.toOutsiders) {
      if (m.to() != FOLLOWER || !(m.message() instanceof PeerMessage.Forward f)) {
        continue;
      }
      for (LogEntry e : f.entries()) {
        if (e.seq() != held + 1) {
          continue;
        }
        if (e.mutation() instanceof Mutation.Set set) {
          store.put(ChainSim.str(set.key()), new Versioned(set.value(), e.seq()));
        } else if (e.mutation() instanceof Mutation.Remove rm) {
          store.remove(ChainSim.str(rm.key()));
        }
        held = e.seq();
      }
    }
    return held;
  }

  @Test
  void theTailSendsAFollowerTheCommittedEntriesItLacksThenEachAsItCommits() {
    ChainSim sim = chainWithCopy();
    sim.put("w4", "k4", "v4");
    sim.settle();
    askToFollow(sim, 2, 1, 3);
    sim.settle();
    assertEquals(List.of(4L), followed(sim), "seq 4 from the tail's stored log");

    sim.put("w5", "k5", "v5");
    sim.put("w6", "k6", "v6");
    sim.settle();
    assertEquals(List.of(4L, 5L, 6L), followed(sim), "then each entry once, in order, as it commits");
    assertEquals(6, follow(sim, 3));
    assertEquals(sim.stores.get(2), sim.stores.get(FOLLOWER));
  }

  @Test
  void aFollowerGetsNoEntryBeforeItIsCommitted() {
    ChainSim sim = chainWithCopy();
    askToFollow(sim, 2, 1, 3);
    sim.settle();
    assertEquals(List.of(new PeerMessage.Forward(1, 2, List.of())),
        sim.toOutsiders.stream().map(ChainSim.InFlight::message).toList(),
        "a follower that lacks nothing committed is told so with an empty forward");
    sim.put("w4", "k4", "v4");
    // Forwarded to the tail and durable there, but the middle's durable notice has not reached it.
    sim.persist(0);
    sim.deliverFirst(PeerMessage.Forward.class);
    sim.deliverFirst(PeerMessage.Forward.class);
    sim.persist(2);
    assertEquals(List.of(), followed(sim));
    sim.settle();
    assertEquals(List.of(4L), followed(sim), "sent once committed");
  }

  @Test
  void onlyTheTailServesAFollowerAndAConfigurationChangeEndsTheStream() {
    ChainSim sim = chainWithCopy();
    askToFollow(sim, 1, 1, 3); // a middle: ignored
    askToFollow(sim, 2, 1, 3);
    sim.settle();
    sim.put("w4", "k4", "v4");
    sim.settle();
    assertEquals(List.of(4L), followed(sim));

    sim.reconfigure(0, 1); // the tail leaves: the stream ends
    sim.replicas.remove(2);
    sim.put("w5", "k5", "v5");
    sim.settle();
    assertEquals(List.of(4L), followed(sim));

    askToFollow(sim, 1, 1, 4); // of the old epoch: answered with the new one, not served
    sim.settle();
    assertEquals(List.of(4L), followed(sim));
    askToFollow(sim, 1, 2, 4); // the new tail, asked at its epoch
    sim.put("w6", "k6", "v6");
    sim.settle();
    assertEquals(List.of(4L, 5L, 6L), followed(sim));
  }

  @Test
  void aReplicaOfTheChainIsNoFollower() {
    ChainSim sim = chainWithCopy();
    sim.apply(2, sim.replicas.get(2).onPeer(new PeerMessage.Follow(1, 1, 0, "node1")));
    sim.put("w4", "k4", "v4");
    sim.settle();
    assertTrue(sim.toOutsiders.isEmpty());
    assertTrue(sim.network.isEmpty());
  }

  @Test
  void aFollowerJoinsAtTheTailWithNothingToCatchUpAndTheChainGoesOn() {
    ChainSim sim = chainWithCopy();
    askToFollow(sim, 2, 1, 3);
    for (int i = 4; i <= 8; i++) {
      sim.put("w" + i, "k" + i, "v" + i);
    }
    sim.settle();
    long held = follow(sim, 3);
    assertEquals(8, held);

    RangeConfig next = sim.config.withChain(List.of(new Replica(0, "node0"), new Replica(1, "node1"),
        new Replica(2, "node2"), new Replica(FOLLOWER, "node7")));
    ChainReplica<String> joiner =
        ChainReplica.recover(FOLLOWER, next, sim.settings, held, held, List.of(), List.of(), sim.reader(FOLLOWER));
    sim.addReplica(FOLLOWER, joiner);
    sim.reconfigure(0, 1, 2, FOLLOWER);
    sim.apply(FOLLOWER, joiner.start());
    sim.settle();
    assertTrue(joiner.synced());
    assertTrue(sim.failedCatchUps.isEmpty());
    sim.put("w9", "k9", "v9");
    sim.settle();
    assertEquals(new ClientReply.Done(new WriteResult.Written(9)), sim.onlyAnswer("w9"));
    assertEquals(sim.stores.get(0), sim.stores.get(FOLLOWER));
  }
}
