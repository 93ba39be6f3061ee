package dev.junction.chain.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.bulk.BulkTransport;
import dev.junction.chain.bulk.TransferRequest;
import dev.junction.chain.bulk.TransferResult;
import dev.junction.chain.core.ChainSettings;
import dev.junction.chain.core.ClientReply;
import dev.junction.chain.core.Mutation;
import dev.junction.chain.core.PeerMessage;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.ReplicaId;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.core.WriteResult;
import dev.junction.store.KeyValue;
import dev.junction.store.RangeMeta;
import dev.junction.store.SsdStore;
import dev.junction.store.StoreSettings;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica that copies its range to join its chain: it follows the tail's committed entries before it
 * reports ready (storing them in order, asking again after a gap), and a copy whose move the controller
 * gave up (the range's epoch moved before it joined) must not wait, holding its data and its claim on the
 * keys, for the node's lifetime. And a replica that starts from its store reads it off the actors' threads.
 */
class JoiningCopyTest {
  private static final String SELF = "pekko://junction@127.0.0.1:1";
  private static final String OTHER = "pekko://junction@127.0.0.1:2";
  private static final String THIRD = "pekko://junction@127.0.0.1:3";

  @TempDir Path dir;
  private final ActorTestKit kit = ActorTestKit.create();

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A source node's snapshot of [b, m): 50 keys at seq 5. */
  private static final class Source implements BulkTransport {
    @Override
    public String name() {
      return "test";
    }

    @Override
    public InetSocketAddress address() {
      return new InetSocketAddress("127.0.0.1", 1);
    }

    @Override
    public CompletableFuture<TransferResult> fetch(
        InetSocketAddress peer, TransferRequest request, Consumer<Optional<RangeMeta>> atStart,
        Consumer<List<KeyValue>> sink) {
      RangeMeta meta = new RangeMeta(1, 5, b("b"), b("m"), 1, 5);
      atStart.accept(Optional.of(meta));
      List<KeyValue> entries = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        entries.add(new KeyValue(b(String.format("c%03d", i)), b("v" + i), 1 + i % 5));
      }
      sink.accept(entries);
      return CompletableFuture.completedFuture(
          new TransferResult(entries.size(), 50 * 6, entries.get(entries.size() - 1).key(), Optional.of(meta)));
    }

    @Override
    public void close() {}
  }

  /** What the replica sees of the cluster: one range's configuration, a bulk source, and what it reports. */
  private static final class Directory implements ChainDirectory {
    volatile RangeConfig config;
    volatile ChainSettings settings = ChainSettings.DEFAULTS;
    final List<ReplicaActor.Command> sent = new CopyOnWriteArrayList<>();
    /** Chain messages sent over the node links: node, replica, message. */
    final List<Object[]> peers = new CopyOnWriteArrayList<>();
    final List<Long> ready = new CopyOnWriteArrayList<>();
    final LocalReplicas locals = new LocalReplicas(new Leftovers(Duration.ZERO));
    final BulkTransport bulk = new Source();

    @Override
    public Optional<RangeConfig> config(long rangeId) {
      return Optional.ofNullable(config);
    }

    @Override
    public void subscribe(long rangeId, ActorRef<ReplicaActor.Command> replica) {}

    @Override
    public void newerEpochSeen(long rangeId, long epoch) {}

    @Override
    public void send(ReplicaId to, ReplicaActor.Command message) {
      sent.add(message);
    }

    @Override
    public void sendPeer(String node, ReplicaId to, PeerMessage message) {
      peers.add(new Object[] {node, to, message});
    }

    @Override
    public void requestLease(ReplicaId replica, long epoch, long requestedAt, ActorRef<ReplicaActor.Command> replyTo) {}

    @Override
    public void joinReady(ReplicaId replica, long appliedSeq) {
      ready.add(appliedSeq);
    }

    @Override
    public void reportBehind(ReplicaId replica, long epoch) {}

    @Override
    public void reportEnded(ReplicaId replica, long epoch, long seq, Mutation.Ending ending) {}

    @Override
    public BulkTransport bulk() {
      return bulk;
    }

    @Override
    public String selfNode() {
      return SELF;
    }

    @Override
    public LocalReplicas locals() {
      return locals;
    }

    @Override
    public ChainSettings chainSettings() {
      return settings;
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
      Thread.sleep(10);
    }
  }

  private static int keys(SsdStore store) {
    return store.scan(b("b"), b("m"), 1000).size();
  }

  @Test
  void aCopyWhoseRangeMovedOnWithoutItStopsAndIsWiped() throws Exception {
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")))) {
      Directory directory = new Directory();
      directory.settings = following(Duration.ZERO); // no wait for the node: ready a second after the copy
      RangeConfig asked = new RangeConfig(7, b("b"), b("m"), 1, List.of(new Replica(0, OTHER), new Replica(1, THIRD)));
      directory.config = asked;
      ReplicaId id = new ReplicaId(7, 65);
      ActorRef<ReplicaActor.Command> replica = kit.spawn(ReplicaActor.create(id, new ReplicaStore(store, 7, 65), directory));
      TestProbe<Object> probe = kit.createTestProbe();

      replica.tell(new ReplicaActor.Join(asked, 1, SELF));
      await("the replica asks where the source's bulk server is",
          () -> directory.sent.stream().anyMatch(m -> m instanceof ReplicaActor.WhereIsBulk));
      replica.tell(new ReplicaActor.BulkAt("127.0.0.1", 1));
      await("the copy is ready", () -> !directory.ready.isEmpty());
      assertEquals(5, directory.ready.get(0), "complete up to the snapshot's seq");
      assertEquals(50, keys(store));
      assertTrue(directory.locals.leftovers().inUseNow(b("b"), b("m")), "the copy claims its keys");

      // The same epoch again (a table that changed elsewhere): the copy may still join, it waits.
      replica.tell(new ReplicaActor.ConfigChanged(asked));
      // The controller gave the move up: the range went on to epoch 2 without slot 65.
      RangeConfig moved = new RangeConfig(7, b("b"), b("m"), 2, List.of(new Replica(0, OTHER), new Replica(66, THIRD)));
      directory.config = moved;
      replica.tell(new ReplicaActor.ConfigChanged(moved));
      probe.expectTerminated(replica, Duration.ofSeconds(10));
      assertFalse(directory.locals.leftovers().inUseNow(b("b"), b("m")), "its claim went with it");
      await("the copy's data is wiped", () -> directory.locals.leftovers().wipedRanges() == 1);
      assertEquals(0, keys(store));
      assertTrue(store.meta(7).isEmpty(), "and its metadata");
      assertEquals(1, directory.ready.size(), "it did not report ready again");
      directory.locals.leftovers().close();
    }
  }

  /**
   * A replica reads its stored state (its log, what it inherits) on the pool for blocking work, not on the
   * actors' threads: while the read waits, the replica answers (as one not yet started), and a newer
   * configuration may come; it then starts from what it read and takes the newer one (without that it
   * stayed at the epoch it began with, which its chain had left).
   */
  @Test
  void aReplicaReadsItsStoredLogOffTheActorsThreadsAndTakesAConfigurationThatCameMeanwhile() throws Exception {
    ActorTestKit one = ActorTestKit.create(com.typesafe.config.ConfigFactory.parseString(
        "pekko.actor.default-blocking-io-dispatcher.thread-pool-executor.fixed-pool-size = 1"));
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")))) {
      RangeConfig first = new RangeConfig(7, b("b"), b("m"), 1, List.of(new Replica(0, SELF)));
      ReplicaStore stored = new ReplicaStore(store, 7, 0);
      List<dev.junction.chain.core.LogEntry> entries = new ArrayList<>();
      for (int i = 1; i <= 5_000; i++) {
        entries.add(set(i, "c" + i, "v" + i));
      }
      stored.persist(first, entries, 4_000).get();
      // The blocking pool's one thread is taken until the test lets go.
      java.util.concurrent.Executor blocking =
          one.system().dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
      blocking.execute(() -> {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      Directory directory = new Directory();
      directory.config = first;
      ActorRef<ReplicaActor.Command> replica = one.spawn(ReplicaActor.create(new ReplicaId(7, 0), stored, directory));
      TestProbe<ReplicaActor.Status> probe = one.createTestProbe();
      replica.tell(new ReplicaActor.GetStatus(probe.getRef()));
      ReplicaActor.Status waiting = probe.receiveMessage(Duration.ofSeconds(10));
      assertEquals("none", waiting.role(), "it answers while its read waits for the pool: " + waiting);

      RangeConfig next = new RangeConfig(7, b("b"), b("m"), 2, List.of(new Replica(0, SELF), new Replica(1, OTHER)));
      directory.config = next;
      replica.tell(new ReplicaActor.ConfigChanged(next));
      replica.tell(new ReplicaActor.GetStatus(probe.getRef()));
      assertEquals("none", probe.receiveMessage(Duration.ofSeconds(10)).role(), "still reading");
      release.countDown();

      ReplicaActor.Status[] status = new ReplicaActor.Status[1];
      await("the replica runs at epoch 2", () -> {
        replica.tell(new ReplicaActor.GetStatus(probe.getRef()));
        status[0] = probe.receiveMessage(Duration.ofSeconds(5));
        return status[0].epoch() == 2;
      });
      assertEquals("head", status[0].role(), status[0].toString());
      assertEquals(5_000, status[0].lastPersisted(), "it started from its stored log: " + status[0]);
    } finally {
      release.countDown();
      one.shutdownTestKit();
    }
  }

  /**
   * A client request that reaches a replica before it started, from a gateway whose table has a newer
   * configuration of the range than the replica's node, waits for the start instead of being refused (its
   * gateway would pause and retry): at a split the gateways route to the new replicas a moment before
   * these start. One from a gateway that knows no newer configuration is refused at once, and one whose
   * configuration never comes is refused after the hold.
   */
  @Test
  void aClientRequestThatComesJustBeforeItsReplicaStartsWaitsForTheStart() throws Exception {
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")))) {
      Directory directory = new Directory();
      ActorRef<ReplicaActor.Command> replica =
          kit.spawn(ReplicaActor.create(new ReplicaId(7, 0), new ReplicaStore(store, 7, 0), directory));
      List<ReplicaActor.Reply> early = new CopyOnWriteArrayList<>();
      List<ReplicaActor.Reply> stale = new CopyOnWriteArrayList<>();
      replica.tell(new ReplicaActor.ClientWrite(1, new RequestId("c", 1), new WriteOp.Put(b("c"), b("v")),
          new Responder.Local(early::add)));
      replica.tell(new ReplicaActor.ClientWrite(0, new RequestId("c", 2), new WriteOp.Put(b("d"), b("v")),
          new Responder.Local(stale::add)));
      TestProbe<ReplicaActor.Status> probe = kit.createTestProbe();
      replica.tell(new ReplicaActor.GetStatus(probe.getRef()));
      assertEquals("none", probe.receiveMessage(Duration.ofSeconds(10)).role());
      assertEquals(List.of(new ReplicaActor.Rejected(ClientReply.Reason.NOT_IN_CHAIN, 0)), stale,
          "no newer configuration known to its gateway: refused at once");
      assertEquals(List.of(), early, "held");

      directory.config = new RangeConfig(7, b("b"), b("m"), 1, List.of(new Replica(0, SELF)));
      replica.tell(new ReplicaActor.ConfigChanged(directory.config));
      await("the held write answered", () -> !early.isEmpty());
      assertEquals(List.of(new ReplicaActor.WriteDone(new WriteResult.Written(1))), early,
          "applied once the replica started");

      ActorRef<ReplicaActor.Command> never =
          kit.spawn(ReplicaActor.create(new ReplicaId(8, 0), new ReplicaStore(store, 8, 0), new Directory()));
      List<ReplicaActor.Reply> waited = new CopyOnWriteArrayList<>();
      long sent = System.nanoTime();
      never.tell(new ReplicaActor.ClientWrite(3, new RequestId("c", 3), new WriteOp.Put(b("e"), b("v")),
          new Responder.Local(waited::add)));
      await("the write whose configuration never came refused", () -> !waited.isEmpty());
      assertTrue(System.nanoTime() - sent >= ReplicaActor.HOLD_BEFORE_START, "held first");
      assertEquals(List.of(new ReplicaActor.Rejected(ClientReply.Reason.NOT_IN_CHAIN, 0)), waited);
    }
  }

  /**
   * A replica that sharding started but that never starts serving here (a cancelled split's woken new
   * replica, whose range never reaches the table; one whose chain places it on another node) stops after
   * {@code unstarted-stop-after}, holding nothing; one that started here does not, and neither does one
   * holding a client request for a start that seems near.
   */
  @Test
  void aReplicaThatNeverStartsStopsAfterAWhile() throws Exception {
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")))) {
      ChainSettings quick = settings(ChainSettings.DEFAULTS.followBeforeJoin(), Duration.ofSeconds(1));
      Directory unknown = new Directory();
      unknown.settings = quick;
      Directory elsewhere = new Directory();
      elsewhere.settings = quick;
      elsewhere.config = new RangeConfig(8, b("b"), b("m"), 1, List.of(new Replica(0, OTHER)));
      Directory here = new Directory();
      here.settings = quick;
      here.config = new RangeConfig(9, b("m"), b("t"), 1, List.of(new Replica(0, SELF)));
      ActorRef<ReplicaActor.Command> never =
          kit.spawn(ReplicaActor.create(new ReplicaId(7, 0), new ReplicaStore(store, 7, 0), unknown));
      ActorRef<ReplicaActor.Command> misplaced =
          kit.spawn(ReplicaActor.create(new ReplicaId(8, 0), new ReplicaStore(store, 8, 0), elsewhere));
      ActorRef<ReplicaActor.Command> started =
          kit.spawn(ReplicaActor.create(new ReplicaId(9, 0), new ReplicaStore(store, 9, 0), here));
      TestProbe<Object> watcher = kit.createTestProbe();
      long spawned = System.nanoTime();
      watcher.expectTerminated(never, Duration.ofSeconds(20));
      assertTrue(System.nanoTime() - spawned >= quick.unstartedStopAfter().toNanos(), "not before its time");
      watcher.expectTerminated(misplaced, Duration.ofSeconds(20));

      TestProbe<ReplicaActor.Status> probe = kit.createTestProbe();
      started.tell(new ReplicaActor.GetStatus(probe.getRef()));
      assertEquals("head+tail", probe.receiveMessage(Duration.ofSeconds(5)).role(), "the started one runs on");

      // Held for a start that seems near (its gateway knows epoch 1, this node nothing yet), it waits for the
      // hold to end (refused then), and stops only after that.
      Directory waiting = new Directory();
      waiting.settings = quick;
      ActorRef<ReplicaActor.Command> holding =
          kit.spawn(ReplicaActor.create(new ReplicaId(10, 0), new ReplicaStore(store, 10, 0), waiting));
      List<ReplicaActor.Reply> held = new CopyOnWriteArrayList<>();
      holding.tell(new ReplicaActor.ClientWrite(1, new RequestId("c", 1), new WriteOp.Put(b("c"), b("v")),
          new Responder.Local(held::add)));
      watcher.expectTerminated(holding, Duration.ofSeconds(20));
      assertEquals(List.of(new ReplicaActor.Rejected(ClientReply.Reason.NOT_IN_CHAIN, 0)), held,
          "the held request answered before the replica stopped");
    }
  }

  private static ChainSettings following(Duration d) {
    return settings(d, ChainSettings.DEFAULTS.unstartedStopAfter());
  }

  /** The defaults, but for how long a new node's copies follow and how soon a never-started replica stops. */
  private static ChainSettings settings(Duration followBeforeJoin, Duration unstartedStopAfter) {
    ChainSettings x = ChainSettings.DEFAULTS;
    return new ChainSettings(x.tick(), x.resendAfterTicks(), x.maxForwardBytes(), x.retainedLog(), x.dedupPerClient(),
        x.dedupClients(), x.maxQueuedWrites(), x.leftoverWipeAfter(), x.leftoverSweepEvery(), followBeforeJoin,
        unstartedStopAfter);
  }

  /** The Follow messages the replica sent: to whom, asking after which sequence number. */
  private static List<String> follows(Directory d) {
    List<String> out = new ArrayList<>();
    for (Object[] p : d.peers) {
      if (p[2] instanceof PeerMessage.Follow f) {
        out.add(p[0] + " " + p[1] + " after " + f.lastHeld() + " from " + f.node() + " slot " + f.fromSlot());
      }
    }
    return out;
  }

  private static dev.junction.chain.core.LogEntry set(long seq, String key, String value) {
    return new dev.junction.chain.core.LogEntry(seq, new Mutation.Set(b(key), b(value)),
        new dev.junction.chain.core.RequestId("c", seq));
  }

  @Test
  void aCopyFollowsTheTailStoringItsCommittedEntriesInOrderThenReportsReadyWithThem() throws Exception {
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")))) {
      Directory directory = new Directory();
      directory.settings = following(Duration.ofSeconds(2));
      RangeConfig asked = new RangeConfig(7, b("b"), b("m"), 1, List.of(new Replica(0, OTHER), new Replica(1, THIRD)));
      directory.config = asked;
      ReplicaId id = new ReplicaId(7, 65);
      ActorRef<ReplicaActor.Command> replica = kit.spawn(ReplicaActor.create(id, new ReplicaStore(store, 7, 65), directory));

      replica.tell(new ReplicaActor.Join(asked, 1, SELF));
      await("the replica asks where the source's bulk server is",
          () -> directory.sent.stream().anyMatch(m -> m instanceof ReplicaActor.WhereIsBulk));
      replica.tell(new ReplicaActor.BulkAt("127.0.0.1", 1));
      String first = THIRD + " " + new ReplicaId(7, 1) + " after 5 from " + SELF + " slot 65";
      await("the copy asks the tail to follow it from its snapshot's seq", () -> follows(directory).contains(first));
      assertTrue(directory.ready.isEmpty(), "not ready while it follows");

      replica.tell(new ReplicaActor.Peer(new PeerMessage.Forward(1, 1, List.of(set(6, "c100", "x"),
          new dev.junction.chain.core.LogEntry(7, new Mutation.Remove(b("c000")), null)))));
      replica.tell(new ReplicaActor.Peer(new PeerMessage.Forward(1, 1, List.of(set(6, "c100", "dup")))));
      replica.tell(new ReplicaActor.Peer(new PeerMessage.Forward(1, 1, List.of(set(9, "c101", "gap")))));
      String again = THIRD + " " + new ReplicaId(7, 1) + " after 7 from " + SELF + " slot 65";
      await("a gap makes it ask again from what it holds", () -> follows(directory).contains(again));

      await("the copy reports ready once its node followed for follow-before-join", () -> !directory.ready.isEmpty());
      assertEquals(List.of(7L), directory.ready, "with what it followed");
      assertEquals("x", new String(store.get(b("c100")).orElseThrow().value(), StandardCharsets.UTF_8));
      assertEquals(6, store.get(b("c100")).orElseThrow().seq());
      assertTrue(store.get(b("c000")).isEmpty(), "the removal applied");
      assertTrue(store.get(b("c101")).isEmpty(), "nothing after the gap");
      assertEquals(7, store.meta(7).orElseThrow().appliedSeq());
      assertEquals(50, keys(store));
      directory.locals.leftovers().close();
    }
  }
}
