package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.core.WriteResult;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.store.KeyValue;
import dev.junction.store.Keys;
import dev.junction.store.Versioned;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Three nodes in one JVM: the vertical slice through real ActorSystems on loopback. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterTest {
  private static final Duration T = Duration.ofSeconds(10);
  @TempDir static Path dir;
  TestCluster cluster;
  final AtomicLong requests = new AtomicLong();

  @BeforeAll
  void start() {
    cluster = TestCluster.start(3, dir, "junction.cluster.split-points = [\"d\", \"k\", \"r\"]");
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String s(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  private Router.Result await(java.util.concurrent.CompletionStage<Router.Result> r) throws Exception {
    return r.toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private RequestId id() {
    return new RequestId("test", requests.incrementAndGet());
  }

  private Router.Result put(int gateway, String key, String value) throws Exception {
    return await(cluster.router(gateway).write(id(), new WriteOp.Put(b(key), b(value)), T));
  }

  private Versioned get(int gateway, String key) throws Exception {
    Router.Result r = await(cluster.router(gateway).get(b(key), T));
    return assertInstanceOf(Router.Found.class, r, r.toString()).value();
  }

  @Test
  void theTableHasFourRangesOfThreeReplicasOnDistinctNodes() {
    List<RangeConfig> ranges = cluster.table().ranges();
    assertEquals(4, ranges.size());
    for (RangeConfig r : ranges) {
      assertEquals(3, r.chain().size());
      assertEquals(3, r.chain().stream().map(Replica::node).distinct().count());
    }
    for (int i = 0; i < 3; i++) {
      assertEquals(cluster.table(), cluster.node(i).tables().current(), "node " + i + " has the same table");
    }
  }

  @Test
  void aWriteThroughOneGatewayIsReadThroughAnother() throws Exception {
    Router.Result w = put(0, "apple", "red");
    WriteResult.Written written =
        assertInstanceOf(WriteResult.Written.class, assertInstanceOf(Router.Written.class, w).result());
    for (int g = 0; g < 3; g++) {
      Versioned v = get(g, "apple");
      assertEquals("red", s(v.value()));
      assertEquals(written.seq(), v.seq());
    }
    await(cluster.router(2).write(id(), new WriteOp.Delete(b("apple")), T));
    assertEquals(null, get(1, "apple"));
  }

  @Test
  void scansAcrossRangesComeBackSortedAndComplete() throws Exception {
    TreeSet<String> keys = new TreeSet<>();
    List<CompletableFuture<Router.Result>> writes = new ArrayList<>();
    for (char c = 'a'; c <= 'z'; c++) {
      for (int i = 0; i < 4; i++) {
        String key = "scan-" + c + i;
        key = c + key;
        keys.add(key);
        writes.add(cluster.router(i % 3).write(id(), new WriteOp.Put(b(key), b("v" + key)), T).toCompletableFuture());
      }
    }
    for (CompletableFuture<Router.Result> w : writes) {
      assertInstanceOf(Router.Written.class, w.get(20, TimeUnit.SECONDS));
    }
    Router.Result r = await(cluster.router(1).scan(b("b"), b("y"), 1000, T));
    List<String> got = assertInstanceOf(Router.Scanned.class, r).entries().stream().map(kv -> s(kv.key())).toList();
    assertEquals(new ArrayList<>(new TreeSet<>(got)), got, "in key order, no duplicates");
    List<String> ours = got.stream().filter(k -> k.contains("scan-")).toList(); // other tests share the cluster
    assertEquals(new ArrayList<>(keys.subSet("b", "y")), ours, "every key of [b, y), across four ranges");

    Router.Result limited = await(cluster.router(2).scan(b("c"), Keys.unbounded(), 10, T));
    List<KeyValue> first10 = assertInstanceOf(Router.Scanned.class, limited).entries();
    assertEquals(new ArrayList<>(keys.tailSet("c")).subList(0, 10), first10.stream().map(kv -> s(kv.key())).toList());
    assertEquals("v" + s(first10.get(0).key()), s(first10.get(0).value()));
  }

  @Test
  void largeValuesTravelAndScansLargerThanOneAnswerArriveWhole() throws Exception {
    byte[] biggest = new byte[Keys.MAX_VALUE_BYTES];
    new java.util.Random(7).nextBytes(biggest);
    assertInstanceOf(Router.Written.class,
        await(cluster.router(0).write(id(), new WriteOp.Put(b("big"), biggest), T)));
    assertArrayEquals(biggest, get(1, "big").value(), "a 1 MiB value crosses the cluster");

    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      byte[] v = new byte[400 * 1024];
      new java.util.Random(i).nextBytes(v);
      values.add(v);
      assertInstanceOf(Router.Written.class,
          await(cluster.router(i % 3).write(id(), new WriteOp.Put(b("z-large-" + i), v), T)));
    }
    List<KeyValue> streamed = new ArrayList<>();
    List<Integer> pieces = new ArrayList<>();
    Router.Result done =
        await(cluster.router(2).scanStreaming(b("z-large-"), b("z-large."), 100, T, page -> {
          pieces.add(page.size());
          streamed.addAll(page);
        }));
    assertInstanceOf(Router.Scanned.class, done);
    assertEquals(6, streamed.size());
    assertEquals(List.of(2, 2, 2), pieces, "the tail answered in pieces of at most 1 MiB");
    for (int i = 0; i < 6; i++) {
      assertEquals("z-large-" + i, s(streamed.get(i).key()));
      assertArrayEquals(values.get(i), streamed.get(i).value());
    }
  }

  @Test
  void compareAndSetAppliesOnlyWhenTheExpectationHolds() throws Exception {
    Router.Result created = await(cluster.router(0).write(id(), new WriteOp.Cas(b("lock"), null, b("owner-1")), T));
    WriteResult.CasDone c = (WriteResult.CasDone) ((Router.Written) created).result();
    assertTrue(c.applied());
    Router.Result again = await(cluster.router(1).write(id(), new WriteOp.Cas(b("lock"), null, b("owner-2")), T));
    WriteResult.CasDone refused = (WriteResult.CasDone) ((Router.Written) again).result();
    assertFalse(refused.applied());
    assertEquals("owner-1", s(refused.current().value()));
    Router.Result swap =
        await(cluster.router(2).write(id(), new WriteOp.Cas(b("lock"), b("owner-1"), b("owner-2")), T));
    assertTrue(((WriteResult.CasDone) ((Router.Written) swap).result()).applied());
    assertEquals("owner-2", s(get(0, "lock").value()));
  }

  @Test
  void aRetriedWriteWithTheSameRequestIdAppliesOnce() throws Exception {
    RequestId same = id();
    Router.Result first = await(cluster.router(0).write(same, new WriteOp.Cas(b("once"), null, b("1")), T));
    Router.Result retry = await(cluster.router(1).write(same, new WriteOp.Cas(b("once"), null, b("1")), T));
    assertEquals(first, retry, "the retry gets the first answer, not 'already present'");
  }

  @Test
  void concurrentWritersOfOneKeyLeaveEveryReplicaIdentical() throws Exception {
    List<CompletableFuture<Router.Result>> writes = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      writes.add(cluster.router(i % 3).write(id(), new WriteOp.Put(b("hot"), b("w" + i)), T).toCompletableFuture());
    }
    long lastSeq = 0;
    for (CompletableFuture<Router.Result> w : writes) {
      Router.Written done = assertInstanceOf(Router.Written.class, w.get(30, TimeUnit.SECONDS));
      lastSeq = Math.max(lastSeq, ((WriteResult.Written) done.result()).seq());
    }
    RangeConfig range = cluster.table().lookup(b("hot"));
    Versioned atTail = cluster.nodeOf(range.tail()).store().get(b("hot")).orElseThrow();
    assertEquals(lastSeq, atTail.seq(), "the tail holds the last committed write");
    for (Replica r : range.chain()) {
      Versioned v = cluster.nodeOf(r).store().get(b("hot")).orElseThrow();
      assertEquals(atTail, v, "replica " + r + " equals the tail");
      assertArrayEquals(atTail.value(), v.value());
    }
  }

  @Test
  void aReadOfAKeyWithAWriteInFlightAtTheHeadGoesToTheTailIsCountedAndNeverGoesBack() throws Exception {
    // Writes to one key, a few in flight at a time, keep it dirty at its head most of the time; reads of it
    // through the head's node, whose replica then passes them to the tail, see committed values only, in order.
    RangeConfig range = cluster.table().lookup(b("inflight"));
    int head = -1;
    for (int i = 0; i < cluster.size(); i++) {
      if (cluster.node(i).address().toString().equals(range.head().node())) {
        head = i;
      }
    }
    Router router = cluster.router(head);
    long before = router.stats().sentToTail();
    List<CompletableFuture<Router.Result>> inFlight = new ArrayList<>();
    long lastSeq = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int written = 0;
    while (router.stats().sentToTail() == before && written < 20_000 && System.nanoTime() - deadline < 0) {
      inFlight.removeIf(CompletableFuture::isDone);
      while (inFlight.size() < 4) {
        inFlight.add(router.write(id(), new WriteOp.Put(b("inflight"), b("v" + written++)), T).toCompletableFuture());
      }
      Versioned v = get(head, "inflight");
      if (v != null) {
        assertTrue(v.seq() >= lastSeq, "a read went back from seq " + lastSeq + " to " + v.seq());
        lastSeq = v.seq();
      }
    }
    for (CompletableFuture<Router.Result> w : inFlight) {
      assertInstanceOf(Router.Written.class, w.get(30, TimeUnit.SECONDS));
    }
    assertTrue(router.stats().sentToTail() > before, "no read met a write in flight in " + written + " writes");
  }

  @Test
  void readModifyWritesWithLatestReadsFromEveryGatewayLoseNoIncrement() throws Exception {
    put(0, "counter", "0");
    int writers = 3;
    int increments = 15;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
    AtomicLong lostRaces = new AtomicLong();
    List<java.util.concurrent.Future<?>> done = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int gateway = w;
      done.add(pool.submit(() -> {
        for (int i = 0; i < increments; i++) {
          for (int attempt = 0; ; attempt++) {
            assertTrue(attempt < 100, "an increment lost 100 races in a row");
            Router.Result r = await(cluster.router(gateway).get(b("counter"), true, T));
            Versioned current = assertInstanceOf(Router.Found.class, r, r.toString()).value();
            long next = Long.parseLong(s(current.value())) + 1;
            Router.Written cas = assertInstanceOf(Router.Written.class, await(cluster.router(gateway)
                .write(id(), new WriteOp.CasSeq(b("counter"), current.seq(), b(Long.toString(next))), T)));
            if (((WriteResult.CasDone) cas.result()).applied()) {
              break;
            }
            lostRaces.incrementAndGet();
          }
        }
        return null;
      }));
    }
    for (java.util.concurrent.Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    for (int gateway = 0; gateway < 3; gateway++) {
      Router.Result r = await(cluster.router(gateway).get(b("counter"), true, T));
      assertEquals(Long.toString(writers * increments), s(assertInstanceOf(Router.Found.class, r).value().value()),
          "every increment applied once (lost races: " + lostRaces.get() + ")");
      assertEquals(Long.toString(writers * increments), s(get(gateway, "counter").value()));
    }
    assertNull(assertInstanceOf(Router.Found.class, await(cluster.router(1).get(b("no-such-key"), true, T))).value());
  }

  @Test
  void aLatestReadAfterAnAcknowledgedWriteSeesIt() throws Exception {
    for (int i = 0; i < 20; i++) {
      Router.Written w = assertInstanceOf(Router.Written.class, put(i % 3, "latest", "v" + i));
      long seq = ((WriteResult.Written) w.result()).seq();
      Router.Result r = await(cluster.router((i + 1) % 3).get(b("latest"), true, T));
      Versioned v = assertInstanceOf(Router.Found.class, r).value();
      assertEquals("v" + i, s(v.value()));
      assertEquals(seq, v.seq());
    }
  }
}
