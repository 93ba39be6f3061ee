package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.sharding.placement.Move;
import dev.junction.sharding.placement.MoveBook;
import dev.junction.sharding.routing.RoutingTable;
import dev.junction.store.KeyValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Splits on a live cluster of three nodes: a range becomes two on its replicas while a client keeps
 * writing into it through another node's gateway. Nothing is copied, every write the client was told
 * succeeded is there afterwards on the two new ranges (read through every gateway, and scanned across
 * the new boundary), both new ranges take writes, a new range splits again, two ranges merge back into
 * one under writes, and a request the controller cannot carry out is refused with the reason, changing
 * nothing.
 */
class SplitTest {
  private static final Duration T = Duration.ofSeconds(10);
  @TempDir Path dir;

  /** Keys written before the first split, one in each of its parts, whose writes are retried after it. */
  private static final List<String> RETRIED = List.of("e-retried", "h-retried");

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aRangeSplitsUnderWritesWithoutLosingOneAndItsPartsSplitAgain() throws Exception {
    String extra = "junction.cluster.split-points = [\"m\"]\n"
        + "junction.cluster.rebalance.interval = 0s\n"
        + "junction.cluster.stats.interval = 500ms\n"
        + "junction.cluster.stats.size-interval = 1s\n"
        // The leftover sweep every second: the ranges that ended here must keep the data their parts took over.
        + "junction.chain.leftovers.sweep-every = 1s\n"
        + "junction.chain.leftovers.wipe-after = 0s\n";
    try (TestCluster cluster = TestCluster.start(3, dir, extra)) {
      Map<String, String> written = new TreeMap<>();
      long[] seq = {0};
      for (int i = 0; i < 100; i++) {
        put(cluster, 0, written, seq, (char) ('a' + i % 26) + "-" + i, "v" + i);
      }
      long[] retrySeq = {0}; // a client of its own, whose last requests range 1 still remembers when it splits
      for (String key : RETRIED) {
        cluster.put(0, "retry", written, retrySeq, key, "first");
      }
      RangeConfig parent = cluster.table().range(1).orElseThrow();

      assertEquals("there is no range 99 (ranges: [1, 2])", split(cluster, 99, "f").refused());
      assertEquals("'q' is not strictly inside range 1 [, m): a range splits at a key after its start and before"
          + " its end", split(cluster, 1, "q").refused());
      assertEquals(cluster.table(), cluster.node(1).tables().current(), "refusals change nothing");

      AtomicBoolean stop = new AtomicBoolean();
      List<Throwable> failures = new ArrayList<>();
      // The writer stops when told, once the split is done: its bounds are a safety net only. On a fast machine
      // it does thousands of writes a second, so a count bound of a few thousand ran out during a split.
      Thread writer = TestCluster.writer(stop, failures, 50_000, Duration.ofSeconds(60),
          i -> put(cluster, 1, written, seq, (char) ('a' + i % 13) + "+" + i, "w" + i));
      Controller.MoveStarted started;
      try {
        waitForWrites(cluster, writer, written, 150);
        started = split(cluster, 1, "f");
        assertEquals("", started.refused());
        Move.SplitRange asked = (Move.SplitRange) started.operator().orElseThrow().move();
        assertEquals(3, asked.leftId(), "new ids come after every id handed out");
        assertEquals(4, asked.rightId());
        assertEquals(MoveBook.Phase.RESERVING, started.operator().get().phase());
        assertTrue(split(cluster, 1, "g").refused().startsWith("range 1 has an operator under way already"),
            "one operator per range");
        cluster.await(Duration.ofSeconds(30), "range 1 split into 3 and 4", () ->
            cluster.table().range(1).isEmpty() && cluster.table().range(3).isPresent());
        int before = writtenCount(written);
        waitForWrites(cluster, writer, written, before + 100); // the writer goes on into the new ranges
      } finally {
        stop.set(true);
        writer.join(TimeUnit.SECONDS.toMillis(30));
      }
      synchronized (failures) {
        assertTrue(failures.isEmpty(), "every write during the split succeeded: " + failures);
      }
      RoutingTable t = cluster.table();
      RangeConfig left = t.range(3).orElseThrow();
      RangeConfig right = t.range(4).orElseThrow();
      assertEquals("", new String(left.start(), StandardCharsets.UTF_8));
      assertEquals("f", new String(left.end(), StandardCharsets.UTF_8));
      assertEquals("f", new String(right.start(), StandardCharsets.UTF_8));
      assertEquals("m", new String(right.end(), StandardCharsets.UTF_8));
      assertEquals(parent.chain(), left.chain(), "same replicas, nothing copied");
      assertEquals(List.of(parent.chain().get(1), parent.chain().get(2), parent.chain().get(0)), right.chain(),
          "the right part's head on another node");
      assertEquals(parent.epoch() + 1, left.epoch());
      assertEquals(4, t.lastRangeId());
      cluster.await(Duration.ofSeconds(10), "the split operator done", () -> ended(cluster, started).isPresent());
      assertEquals(MoveBook.Phase.DONE, ended(cluster, started).get().phase());
      cluster.awaitServing(Duration.ofSeconds(30));

      checkEverything(cluster, written);
      // Each node's replica of range 1 handed on the requests it answered to its parts there, which answer a
      // retried write range 1 applied with its answer, not by applying it again (here with another value).
      for (int n = 0; n < 3; n++) {
        int node = n;
        cluster.await(Duration.ofSeconds(10), "range 1's replica on node " + n + " handed on what it answered",
            () -> cluster.node(node).replicas().locals().handedOver(1).isPresent());
      }
      for (int i = 0; i < 2; i++) {
        String key = RETRIED.get(i);
        Router.Result retried = cluster.router(2).write(new dev.junction.chain.core.RequestId("retry", i + 1),
            new dev.junction.chain.core.WriteOp.Put(b(key), b("again")), T).toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertInstanceOf(Router.Written.class, retried, key);
        Router.Result read = cluster.router(0).get(b(key), T).toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals(written.get(key), new String(((Router.Found) read).value().value(), StandardCharsets.UTF_8),
            "the retry of " + key + " was not applied again");
      }
      for (String k : List.of("b-new", "h-new", "x-new")) { // both new ranges and the untouched one take writes
        put(cluster, 2, written, seq, k, "after");
      }

      // A new range splits again, at the key near its middle as measured by its tail.
      cluster.await(Duration.ofSeconds(30), "range 4 measured", () -> {
        Controller.MoveStarted s = split(cluster, 4, "");
        if (s.refused().contains("not been measured")) {
          return false;
        }
        assertEquals("", s.refused());
        assertEquals(5, ((Move.SplitRange) s.operator().orElseThrow().move()).leftId());
        return true;
      });
      cluster.await(Duration.ofSeconds(30), "range 4 split into 5 and 6", () ->
          cluster.table().range(4).isEmpty() && cluster.table().range(6).isPresent());
      byte[] middle = cluster.table().range(6).orElseThrow().start();
      assertTrue(new String(middle, StandardCharsets.UTF_8).compareTo("f") > 0
          && new String(middle, StandardCharsets.UTF_8).compareTo("m") < 0, "a key inside [f, m)");
      cluster.awaitServing(Duration.ofSeconds(30));
      checkEverything(cluster, written);
      assertEquals(List.of(3L, 5L, 6L, 2L), cluster.table().ranges().stream().map(RangeConfig::rangeId).toList());

      // Ranges 5 and 6 merge back into one (range 7) while the client writes into both.
      assertEquals("range 2 is the last range: it has no range after it to merge with", merge(cluster, 2).refused());
      AtomicBoolean stopAgain = new AtomicBoolean();
      Thread second = TestCluster.writer(stopAgain, failures, 50_000, Duration.ofSeconds(60),
          i -> put(cluster, 0, written, seq, (char) ('f' + i % 7) + "*" + i, "m" + i));
      try {
        waitForWrites(cluster, second, written, writtenCount(written) + 50);
        Controller.MoveStarted merging = merge(cluster, 5);
        assertEquals("", merging.refused());
        assertEquals(7, ((Move.MergeRanges) merging.operator().orElseThrow().move()).mergedId());
        cluster.await(Duration.ofSeconds(30), "ranges 5 and 6 merged into 7", () ->
            cluster.table().range(7).isPresent() && cluster.table().range(5).isEmpty());
        waitForWrites(cluster, second, written, writtenCount(written) + 50);
      } finally {
        stopAgain.set(true);
        second.join(TimeUnit.SECONDS.toMillis(30));
      }
      synchronized (failures) {
        assertTrue(failures.isEmpty(), "every write during the merge succeeded: " + failures);
      }
      // Sharding started every new range's replicas where their chains place them, not where a gateway first
      // called them (it would move them only at its next rebalance, and their writes would wait meanwhile).
      for (int n = 0; n < 3; n++) {
        List<String> misplaced = cluster.node(n).replicas().locals().misplaced().stream()
            .filter(id -> id.rangeId() >= 3).map(dev.junction.chain.core.ReplicaId::entityId).toList();
        assertEquals(List.of(), misplaced, "replicas of the new ranges sharding started on node " + n);
      }
      RangeConfig merged = cluster.table().range(7).orElseThrow();
      assertEquals("f", new String(merged.start(), StandardCharsets.UTF_8));
      assertEquals("m", new String(merged.end(), StandardCharsets.UTF_8));
      assertEquals(List.of(3L, 7L, 2L), cluster.table().ranges().stream().map(RangeConfig::rangeId).toList());
      cluster.awaitServing(Duration.ofSeconds(30));
      checkEverything(cluster, written);
    }
  }

  private static Controller.MoveStarted merge(TestCluster cluster, long range) {
    try {
      return cluster.node(1).replicas().startMerge(cluster.node(1).system(), range, T)
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the controller did not answer", e);
    }
  }

  /** Every written key reads back with its value through every gateway, and one scan returns them all. */
  private static void checkEverything(TestCluster cluster, Map<String, String> written) throws Exception {
    synchronized (written) {
      for (Map.Entry<String, String> e : written.entrySet()) {
        for (int via = 0; via < cluster.size(); via++) {
          Router.Result r = cluster.router(via).get(b(e.getKey()), T).toCompletableFuture().get(20, TimeUnit.SECONDS);
          assertInstanceOf(Router.Found.class, r, e.getKey() + " via node " + via);
          assertEquals(e.getValue(), new String(((Router.Found) r).value().value(), StandardCharsets.UTF_8));
        }
      }
      Router.Result scan = cluster.router(1).scan(new byte[0], new byte[0], 100_000, T)
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
      Map<String, String> scanned = new TreeMap<>();
      for (KeyValue kv : ((Router.Scanned) scan).entries()) {
        scanned.put(new String(kv.key(), StandardCharsets.UTF_8), new String(kv.value(), StandardCharsets.UTF_8));
      }
      assertEquals(written, scanned, "a scan across the new boundaries");
    }
  }

  private static Controller.MoveStarted split(TestCluster cluster, long range, String at) {
    try {
      return cluster.node(2).replicas().startSplit(cluster.node(2).system(), range, b(at), T)
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the controller did not answer", e);
    }
  }

  private static java.util.Optional<MoveBook.Operator> ended(TestCluster cluster, Controller.MoveStarted started) {
    try {
      Controller.PlanReport plan = cluster.node(0).replicas().plan(cluster.node(0).system(), T)
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
      long id = started.operator().orElseThrow().id();
      return plan.ended().stream().filter(op -> op.id() == id).findFirst();
    } catch (Exception e) {
      return java.util.Optional.empty();
    }
  }

  private static int writtenCount(Map<String, String> written) {
    synchronized (written) {
      return written.size();
    }
  }

  /** Waits until {@code atLeast} keys are written, and fails at once, saying so, if the writer stopped. */
  private static void waitForWrites(TestCluster cluster, Thread writer, Map<String, String> written, int atLeast) {
    cluster.await(Duration.ofSeconds(30), atLeast + " keys written", () -> {
      boolean writing = writer.isAlive(); // before the count: its last write is counted once it ended
      if (writtenCount(written) >= atLeast) {
        return true;
      }
      assertTrue(writing, "the writer stopped (failed, or used up its bounds) at "
          + writtenCount(written) + " keys, before " + atLeast);
      return false;
    });
  }

  private static void put(TestCluster cluster, int via, Map<String, String> written, long[] seq, String key,
      String value) throws Exception {
    cluster.put(via, "split", written, seq, key, value);
  }
}
