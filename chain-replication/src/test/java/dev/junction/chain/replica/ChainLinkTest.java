package dev.junction.chain.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.bulk.BulkTransport;
import dev.junction.chain.bulk.TcpBulkTransport;
import dev.junction.chain.core.ChainSettings;
import dev.junction.chain.core.Mutation;
import dev.junction.chain.core.PeerMessage;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReplicaId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/** Where a replica's message for a peer goes when the replica sends it itself ({@link ChainLink#sendDirect}). */
class ChainLinkTest {
  private static final String SELF = "pekko://junction@127.0.0.1:1";
  private static final String OTHER = "pekko://junction@127.0.0.1:2";

  /** A directory that records what goes through sharding; nothing else of it is used. */
  private static final class Recording implements ChainDirectory {
    final List<Object[]> sent = new CopyOnWriteArrayList<>();

    @Override
    public void send(ReplicaId to, ReplicaActor.Command message) {
      sent.add(new Object[] {to, message});
    }

    @Override
    public String selfNode() {
      return SELF;
    }

    @Override
    public Optional<RangeConfig> config(long rangeId) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void subscribe(long rangeId, ActorRef<ReplicaActor.Command> replica) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void newerEpochSeen(long rangeId, long epoch) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void sendPeer(String node, ReplicaId to, PeerMessage message) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void requestLease(ReplicaId replica, long epoch, long requestedAt, ActorRef<ReplicaActor.Command> replyTo) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void joinReady(ReplicaId replica, long appliedSeq) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void reportBehind(ReplicaId replica, long epoch) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void reportEnded(ReplicaId replica, long epoch, long seq, Mutation.Ending ending) {
      throw new UnsupportedOperationException();
    }

    @Override
    public BulkTransport bulk() {
      throw new UnsupportedOperationException();
    }

    @Override
    public LocalReplicas locals() {
      throw new UnsupportedOperationException();
    }

    @Override
    public ChainSettings chainSettings() {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void aPeerOnAnotherNodeGetsTheMessageOverTheWireOnceItsConnectionIsUpAndNotBefore() throws Exception {
    LocalReplicas locals = new LocalReplicas();
    Recording directory = new Recording();
    ReplicaId to = new ReplicaId(7, 2);
    PeerMessage durable = new PeerMessage.Durable(3, 1, 42);
    assertFalse(ChainLink.sendDirect(locals, directory, null, OTHER, to, durable), "no wire: the link carries it");

    List<ChainLink.Item> received = new CopyOnWriteArrayList<>();
    try (ChainWire receiving = new ChainWire(received::addAll);
        TcpBulkTransport port = ChainWireTest.server(receiving);
        ChainWire sending = new ChainWire(items -> { })) {
      assertFalse(ChainLink.sendDirect(locals, directory, sending, OTHER, to, durable),
          "no connection yet: the link carries it (and asks for the connection)");
      sending.connect(OTHER, port.address());
      ChainWireTest.await("connected", () -> sending.connected(OTHER));
      for (long seq = 1; seq <= 100; seq++) {
        assertTrue(ChainLink.sendDirect(locals, directory, sending, OTHER, to, new PeerMessage.Durable(3, 1, seq)));
      }
      ChainWireTest.await("every message arrived", () -> received.size() == 100);
      for (int i = 0; i < 100; i++) {
        assertEquals(new ChainLink.Item(7, 2, new PeerMessage.Durable(3, 1, i + 1)), received.get(i), "in order");
      }
      assertEquals(100, sending.stats().framesSent(), "one frame per message");
    }
    assertTrue(directory.sent.isEmpty(), "nothing went through sharding");
  }

  @Test
  void aPeerOnThisNodeThatIsNotServingYetGetsTheMessageThroughSharding() {
    Recording directory = new Recording();
    ReplicaId to = new ReplicaId(7, 2);
    PeerMessage durable = new PeerMessage.Durable(3, 1, 42);
    assertTrue(ChainLink.sendDirect(new LocalReplicas(), directory, null, SELF, to, durable));
    assertEquals(1, directory.sent.size());
    assertEquals(to, directory.sent.get(0)[0]);
    assertEquals(new ReplicaActor.Peer(durable), directory.sent.get(0)[1]);
  }
}
