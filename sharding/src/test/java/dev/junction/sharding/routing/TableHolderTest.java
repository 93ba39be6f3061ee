package dev.junction.sharding.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A gateway applies routing table versions in order and never goes back. */
class TableHolderTest {
  private static final RoutingTable BASE = Fixtures.letters();

  private static RoutingTable v(long version) {
    return Fixtures.atVersion(BASE, version);
  }

  @Test
  void anEmptyHolderHasNoTableUntilOneIsOffered() {
    TableHolder h = TableHolder.empty();
    assertThrows(IllegalStateException.class, h::current);
    assertEquals(Optional.empty(), h.find());
    assertEquals(0, h.version());
    RoutingTable first = v(1);
    assertTrue(h.offer(first));
    assertSame(first, h.current());
    assertEquals(Optional.of(first), h.find());
  }

  @Test
  void versionsOfferedInOrderAreAllApplied() {
    TableHolder h = TableHolder.of(v(1));
    for (long version = 2; version <= 5; version++) {
      assertTrue(h.offer(v(version)));
      assertEquals(version, h.current().version());
    }
  }

  @Test
  void anOlderOrEqualVersionIsIgnored() {
    RoutingTable v3 = v(3);
    TableHolder h = TableHolder.of(v3);
    assertFalse(h.offer(v(2)));
    assertFalse(h.offer(v(3)), "an equal version is not applied again");
    assertSame(v3, h.current());
  }

  @Test
  void outOfOrderOffersOnlyEverMoveForward() {
    TableHolder h = TableHolder.empty();
    long[] offered = {3, 1, 2, 5, 4, 5, 6};
    boolean[] expected = {true, false, false, true, false, false, true};
    long[] held = {3, 3, 3, 5, 5, 5, 6};
    for (int i = 0; i < offered.length; i++) {
      assertEquals(expected[i], h.offer(v(offered[i])), "offer of v" + offered[i]);
      assertEquals(held[i], h.version());
    }
  }

  @Test
  void nullTablesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> TableHolder.of(null));
    assertThrows(IllegalArgumentException.class, () -> TableHolder.empty().offer(null));
  }

  @Test
  void concurrentOffersEndAtTheNewestVersionAndEachVersionIsAppliedAtMostOnce()
      throws Exception {
    int threads = 4;
    int versions = 300;
    List<RoutingTable> tables = new ArrayList<>();
    for (int i = 1; i <= versions; i++) {
      tables.add(v(i));
    }
    TableHolder h = TableHolder.empty();
    CountDownLatch go = new CountDownLatch(1);
    List<Callable<List<Long>>> tasks = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<RoutingTable> order = new ArrayList<>(tables);
      Collections.shuffle(order, new Random(100 + t));
      tasks.add(() -> offerAll(h, order, go));
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<Long>>> futures = new ArrayList<>();
      tasks.forEach(task -> futures.add(pool.submit(task)));
      go.countDown();
      Set<Long> applied = new HashSet<>();
      for (Future<List<Long>> f : futures) {
        for (long version : f.get(30, TimeUnit.SECONDS)) {
          assertTrue(applied.add(version), "v" + version + " applied twice");
        }
      }
      assertEquals(versions, h.version());
      assertTrue(applied.contains((long) versions));
    } finally {
      pool.shutdownNow();
    }
  }

  /** Offers every table; checks that the held version never goes down; returns the versions applied. */
  private static List<Long> offerAll(TableHolder h, List<RoutingTable> order, CountDownLatch go)
      throws InterruptedException {
    go.await();
    List<Long> applied = new ArrayList<>();
    long seen = 0;
    for (RoutingTable t : order) {
      if (h.offer(t)) {
        applied.add(t.version());
      }
      long now = h.version();
      if (now < seen) {
        throw new AssertionError("held version went back from " + seen + " to " + now);
      }
      seen = now;
    }
    return applied;
  }
}
