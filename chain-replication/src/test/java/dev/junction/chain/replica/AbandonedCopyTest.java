package dev.junction.chain.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.bulk.BulkTransport;
import dev.junction.chain.bulk.TransferRequest;
import dev.junction.chain.bulk.TransferResult;
import dev.junction.chain.core.ChainSettings;
import dev.junction.chain.core.Mutation;
import dev.junction.chain.core.PeerMessage;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.ReplicaId;
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
 * A replica that copied its range for a move the controller then gave up (the range's epoch moved before
 * it joined): it must not wait, holding its data and its claim on the keys, for the node's lifetime.
 */
class AbandonedCopyTest {
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
    final List<ReplicaActor.Command> sent = new CopyOnWriteArrayList<>();
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
    public void sendPeer(String node, ReplicaId to, PeerMessage message) {}

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
      return ChainSettings.DEFAULTS;
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
}
