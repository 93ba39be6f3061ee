package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.junction.chain.core.ClientReply;
import dev.junction.chain.core.LogEntry;
import dev.junction.chain.core.Mutation;
import dev.junction.chain.core.PeerMessage;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReadOp;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.core.WriteResult;
import dev.junction.chain.replica.ChainLink;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.chain.serialization.ChainBatchSerializer;
import dev.junction.chain.replica.Responder;
import dev.junction.chain.core.ReplicaId;
import dev.junction.chain.serialization.KryoSerializer;
import dev.junction.store.KeyValue;
import dev.junction.store.Versioned;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import dev.junction.sharding.placement.Move;
import dev.junction.sharding.placement.MoveBook;
import dev.junction.sharding.placement.LoadBook;
import dev.junction.sharding.placement.Plan;
import dev.junction.sharding.placement.ReplicaSize;
import dev.junction.sharding.routing.LoadSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every cluster message has a sample here, and every sample round-trips through Junction's Kryo
 * serializer: the permitted subclasses of each sealed message type are walked, so a new message without a
 * sample fails this test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MessageSerializationTest {
  private ActorTestKit kit;
  private Serialization serialization;
  private final List<Object> samples = new ArrayList<>();

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @BeforeAll
  void start() {
    kit =
        ActorTestKit.create(
            "serialization",
            ConfigFactory.parseString(
                    "pekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on")
                .withFallback(ConfigFactory.load()));
    serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    TestProbe<ReplicaActor.Reply> probe = kit.createTestProbe();
    TestProbe<ReplicaActor.Status> statusProbe = kit.createTestProbe();
    TestProbe<ReplicaActor.Command> replicaProbe = kit.createTestProbe();
    TestProbe<ChainLink.Command> linkProbe = kit.createTestProbe();
    TestProbe<Controller.PlanReport> planProbe = kit.createTestProbe();
    TestProbe<Controller.DrainState> drainProbe = kit.createTestProbe();
    TestProbe<Controller.LoadView> loadProbe = kit.createTestProbe();
    TestProbe<Controller.MoveStarted> moveProbe = kit.createTestProbe();
    RangeConfig config =
        new RangeConfig(7, b("a"), b(""), 3, List.of(new Replica(0, "pekko://junction@127.0.0.1:1"), new Replica(4, "pekko://junction@127.0.0.1:2")));
    RequestId id = new RequestId("client", 42);
    LogEntry entry = new LogEntry(9, new Mutation.CasRejected(b("k"), new Versioned(b("v"), 8)), id);
    TestProbe<Responder.Answer> inbox = kit.createTestProbe();
    Responder.Remote remote = new Responder.Remote(inbox.getRef(), 77);
    samples.addAll(
        List.of(
            new ReplicaActor.ClientWrite(3, id, new WriteOp.Cas(b("k"), null, new byte[1 << 20]), remote),
            new ReplicaActor.ClientWrite(3, id, new WriteOp.CasSeq(b("k"), 12, b("v")), remote),
            new ReplicaActor.ClientRead(3, new ReadOp.Scan(b("a"), b(""), 10), remote),
            new ReplicaActor.Peer(new PeerMessage.Forward(3, 0, List.of(entry,
                new LogEntry(10, new Mutation.Set(b("k"), b("v")), null),
                new LogEntry(11, new Mutation.Split(b("m"), 11, 12), null),
                new LogEntry(12, new Mutation.Seal(b("m"), 13), null),
                new LogEntry(13, new Mutation.MergeInto(b("m"), 13, 12, b("a"), config.chain()), null)))),
            new ReplicaActor.Peer(new PeerMessage.Forward(3, 0, List.of())),
            new ReplicaActor.Peer(new PeerMessage.Ack(3, 4, 9)),
            new ReplicaActor.Peer(new PeerMessage.Durable(3, 0, 9)),
            new ReplicaActor.Peer(new PeerMessage.Hello(3, 4, 9)),
            new ReplicaActor.Peer(new PeerMessage.Welcome(3, 4, 9)),
            new ReplicaActor.Peer(new PeerMessage.EpochNotice(3, 4)),
            new ReplicaActor.Peer(new PeerMessage.Probe(3, 0)),
            new ReplicaActor.Peer(new PeerMessage.Holding(3, 4, 11)),
            new ReplicaActor.Peer(new PeerMessage.Fetch(3, 0, 10, 11)),
            new ReplicaActor.Peer(new PeerMessage.Backfill(3, 4, List.of(entry))),
            new ReplicaActor.Peer(new PeerMessage.Follow(3, 65, 11, "pekko://junction@127.0.0.1:25520")),
            new Responder.Answer(77, new ReplicaActor.WriteDone(new WriteResult.Written(5))),
            new NodeEndpoint.Write(new ReplicaId(7, 0), 3, id, new WriteOp.Delete(b("k")), remote),
            new NodeEndpoint.Read(new ReplicaId(7, 4), 3, new ReadOp.Get(b("k")), remote),
            new ReplicaActor.ConfigChanged(config),
            new TableKeeper.Announced(12),
            ReplicaActor.Wake.INSTANCE,
            new ReplicaActor.GetStatus(statusProbe.getRef()),
            new ReplicaActor.LeaseGranted(-123_456_789L, 1_000_000_000L),
            new ReplicaActor.HoldLog(5_000_000_000L),
            new Controller.LeaseRequest(7, 4, 3, Long.MIN_VALUE + 5, replicaProbe.getRef()),
            new Controller.JoinReady(7, 67, "pekko://junction@127.0.0.1:2", 1234),
            new Controller.ReplicaBehind(7, 67, 9),
            new Controller.PlanRequest(planProbe.getRef()),
            new Controller.Drain("pekko://junction@127.0.0.1:2", false, drainProbe.getRef()),
            new Controller.DrainState("pekko://junction@127.0.0.1:2", "", true, 4),
            new Controller.PlanReport(12, true,
                List.of(new Move.ReplicaMove(7, "a", "b", "hot"), new Move.HeadMove(8, "a", "c", "hot"),
                    new Move.AddReplica(9, "d", "short"), new Move.RemoveReplica(10, "e", "long")),
                List.of(new Plan.Rejected(new Move.HeadMove(8, "b", "c", "hot"), "gains too little")),
                0.5, 0.4, 0.375, new java.util.TreeMap<>(java.util.Map.of("a", 0.4, "b", 0.2)),
                List.of(new MoveBook.Operator(3, new Move.ReplicaMove(7, "a", "b", "hot"), 71, 6,
                    MoveBook.Phase.COPYING, 123L, false)),
                456L,
                List.of(new MoveBook.Operator(2, new Move.HeadMove(8, "a", "c", "hot"), 4, 5,
                    MoveBook.Phase.DONE, 100L, false))),
            new Controller.StartMove(7, "a", "b", moveProbe.getRef()),
            new Controller.MoveStarted("", java.util.Optional.of(new MoveBook.Operator(3,
                new Move.ReplicaMove(7, "a", "b", "asked for"), 71, 6, MoveBook.Phase.COPYING, 123L, false)), 456L),
            new Controller.MoveStarted("there is no range 99", java.util.Optional.empty(), 456L),
            new Controller.CancelMove(3, moveProbe.getRef()),
            new Controller.ApplyPlan(planProbe.getRef()),
            new Controller.NodeStats("pekko://junction@127.0.0.1:2", 2_000_000_000L,
                new java.util.TreeMap<>(java.util.Map.of(7L, new LoadSnapshot.Counts(10, 2, 1, 200, 11_000, 4))),
                new java.util.TreeMap<>(java.util.Map.of("pekko://junction@127.0.0.1:1",
                    new LoadSnapshot.Counts(10, 2, 1, 200, 11_000))),
                List.of(new ReplicaSize(7, 4, 100, 110_000, b("m"), 99)),
                new java.util.TreeMap<>(java.util.Map.of(7L, List.of(b("k1"), b("k2"))))),
            new Controller.StartSplit(7, b("m"), moveProbe.getRef()),
            new Controller.RangeEnded(7, 3, 120, new Mutation.Split(b("m"), 11, 12)),
            new Controller.RangeEnded(7, 3, 120, new Mutation.Seal(b("m"), 13)),
            new Controller.RangeEnded(8, 3, 120, new Mutation.MergeInto(b("m"), 13, 99, b("a"), config.chain())),
            new Controller.StartMerge(7, moveProbe.getRef()),
            new Controller.MoveStarted("", java.util.Optional.of(new MoveBook.Operator(5,
                new Move.MergeRanges(7, 8, 13, 99, "asked for"), -1, 6, MoveBook.Phase.MERGING, 123L, false)), 456L),
            new Controller.MoveStarted("", java.util.Optional.of(new MoveBook.Operator(4,
                new Move.SplitRange(7, b("m"), 11, 12, "asked for"), -1, 6, MoveBook.Phase.SEALING, 123L, false)), 456L),
            new ReplicaActor.End(3, new Mutation.Split(b("m"), 11, 12)),
            new ReplicaActor.End(3, new Mutation.MergeInto(b("m"), 13, 99, b("a"), config.chain())),
            new Controller.LoadRequest(loadProbe.getRef()),
            new Controller.LoadView(12, 10_000,
                List.of(new LoadBook.RangeLoad(7, 5.5, 1, 0.5, 100, 5500, 2.5, true, 100, 110_000, b("m"), 99)),
                List.of(new LoadBook.NodeLoad("pekko://junction@127.0.0.1:1", 5, 1, 0.5, 3, 1, 330_000, 7.5)),
                new Controller.OperatorTally(List.of(new MoveBook.Operator(3, new Move.ReplicaMove(7, "a", "b", "even out"),
                    4, 6, MoveBook.Phase.COPYING, 123L, false)), 456L, Map.of("done", 7L, "expired", 1L))),
            new ReplicaActor.Join(config, 4, "pekko://junction@127.0.0.1:3"),
            new ReplicaActor.WhereIsBulk(replicaProbe.getRef()),
            new ReplicaActor.BulkAt("127.0.0.1", 41000),
            new ChainLink.WireAsk(linkProbe.getRef()),
            new ChainLink.WireAt("pekko://junction@127.0.0.1:2", "127.0.0.1", 41001),
            new ReplicaActor.WriteDone(new WriteResult.CasDone(true, new Versioned(b("v"), 3))),
            new ReplicaActor.WriteDone(new WriteResult.Written(5)),
            new ReplicaActor.Value(null),
            new ReplicaActor.Value(new Versioned(new byte[0], 1)),
            new ReplicaActor.Entries(List.of(new KeyValue(b("k"), b("v"), 2)), true),
            new ReplicaActor.Rejected(ClientReply.Reason.NOT_TAIL, 3),
            new ReplicaActor.Failed(ReplicaActor.Failure.STORE_FULL, "full"),
            new ReplicaActor.Failed(ReplicaActor.Failure.OUTCOME_UNKNOWN, "unknown"),
            ReplicaActor.AtTail.INSTANCE,
            new ReplicaActor.Status("7.4", "node", true, 3, "tail", 9, 9, 1_500_000_000L),
            new RouterActor.RouteWrite(id, new WriteOp.Put(b("k"), b("v")), 1000, probe.getRef()),
            new RouterActor.RouteGet(b("k"), 1000, probe.getRef()),
            new RouterActor.RouteScan(b("a"), b("b"), 5, 1000, probe.getRef()),
            new PublishedTable(2, List.of(new RangeConfig(1, b(""), b(""), 1, config.chain())), 3,
                List.of(new MoveBook.Operator(3, new Move.ReplicaMove(1, "a", "b", "hot"), 71, 6,
                    MoveBook.Phase.COPYING, 123L, true),
                    new MoveBook.Operator(4, new Move.SplitRange(1, b("m"), 2, 3, "big"), -1, 6,
                    MoveBook.Phase.SEALING, 123L, false)),
                List.of("pekko://junction@127.0.0.1:3"))));
  }

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void everyMessageRoundTripsThroughKryo() throws Exception {
    for (Object message : samples) {
      Serializer serializer = serialization.findSerializerFor(message);
      assertEquals(KryoSerializer.IDENTIFIER, serializer.identifier(), message.getClass().getName());
      byte[] bytes = serializer.toBinary(message);
      Object back = serializer.fromBinary(bytes, message.getClass());
      assertEquals(message.getClass(), back.getClass());
      assertArrayEquals(bytes, serializer.toBinary(back), "same fields after a round trip: " + message);
      if (!containsArrays(message)) {
        assertEquals(message, back);
      }
    }
  }

  @Test
  void chainBatchesBetweenNodesRoundTripInTheirCompactFormat() throws Exception {
    List<ChainLink.Item> items = new ArrayList<>();
    for (Object s : samples) {
      if (s instanceof ReplicaActor.Peer p) {
        items.add(new ChainLink.Item(7, 4, p.message()));
      }
    }
    ChainLink.Batch batch = new ChainLink.Batch(items);
    Serializer serializer = serialization.findSerializerFor(batch);
    assertEquals(ChainBatchSerializer.IDENTIFIER, serializer.identifier());
    byte[] bytes = serializer.toBinary(batch);
    ChainLink.Batch back = (ChainLink.Batch) serializer.fromBinary(bytes, ChainLink.Batch.class);
    assertEquals(items.size(), back.items().size());
    assertArrayEquals(bytes, serializer.toBinary(back), "the same messages after a round trip");
    for (int i = 0; i < items.size(); i++) {
      assertEquals(items.get(i).message().getClass(), back.items().get(i).message().getClass());
    }
    assertThrows(Exception.class, () -> serializer.fromBinary(java.util.Arrays.copyOf(bytes, bytes.length - 3),
        ChainLink.Batch.class), "a truncated batch is refused");
  }

  @Test
  void peerMessagesAreCoveredThroughTheReplicasPeerEnvelope() {
    Set<Class<?>> inside = new HashSet<>();
    for (Object s : samples) {
      if (s instanceof ReplicaActor.Peer p) {
        inside.add(p.message().getClass());
      }
    }
    for (Class<?> c : PeerMessage.class.getPermittedSubclasses()) {
      assertTrue(inside.contains(c), c.getName() + " has no sample inside a ReplicaActor.Peer");
    }
  }

  private static boolean containsArrays(Object message) {
    return !(message instanceof ReplicaActor.Wake
        || message instanceof ReplicaActor.Rejected
        || message instanceof ReplicaActor.AtTail
        || message instanceof ReplicaActor.Failed
        || message instanceof ReplicaActor.Status
        || message instanceof ReplicaActor.GetStatus);
  }

  @Test
  void everySealedMessageTypeHasASample() {
    Set<Class<?>> covered = new HashSet<>();
    for (Object s : samples) {
      covered.add(s.getClass());
    }
    for (Class<?> root : List.of(ReplicaActor.Command.class, ReplicaActor.Reply.class, RouterActor.Command.class,
        NodeEndpoint.Command.class, ChainLink.Command.class, Controller.Command.class)) {
      for (Class<?> c : root.getPermittedSubclasses()) {
        // Local messages, and the link's Batch, which has its own serializer (tested below).
        boolean local = Set.of("Persisted", "PersistFailed", "Tick", "Peers", "TransferDone", "TransferFailed", "FollowFailed", "Recovered",
            "Flush", "Out", "Batch", "Loaded", "MembersChanged", "ReachabilityChanged", "Published", "Placed",
            "PlacedAhead", "PlacementSettled", "RegionsKnown", "RepairTick").contains(c.getSimpleName());
        assertTrue(local || covered.contains(c), c.getName() + " has no serialization sample");
      }
    }
  }

  @Test
  void messagesThatAreNotJunctionSerializableAreRefused() {
    record Stray(String text) {}
    // Java serialization is off, so nothing serializes a class that is not a Junction message.
    assertThrows(Exception.class, () -> serialization.findSerializerFor(new Stray("x")).toBinary(new Stray("x")));
  }
}
