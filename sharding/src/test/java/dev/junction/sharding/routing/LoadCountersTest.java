package dev.junction.sharding.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.junction.sharding.routing.LoadSnapshot.Counts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The switch's counters: what they count, resetting, sorted output, and concurrent use. */
class LoadCountersTest {
  @Test
  void readsWritesAndScansAreCountedPerRangeAndPerNode() {
    LoadCounters c = new LoadCounters();
    c.recordRead(1, "n1", 10);
    c.recordRead(1, "n2", 20);
    c.recordWrite(1, "n1", 100);
    c.recordScan(2, "n2", 500);
    LoadSnapshot s = c.snapshot();
    assertEquals(new Counts(2, 1, 0, 100, 30), s.range(1));
    assertEquals(new Counts(0, 0, 1, 0, 500), s.range(2));
    assertEquals(new Counts(1, 1, 0, 100, 10), s.node("n1"));
    assertEquals(new Counts(1, 0, 1, 0, 520), s.node("n2"));
    assertEquals(new Counts(2, 1, 1, 100, 530), s.total());
    assertEquals(4, s.total().requests());
    assertEquals(Counts.ZERO, s.range(9));
    assertEquals(Counts.ZERO, s.node("n9"));
  }

  @Test
  void latestReadsAreReadsAndCountedApart() {
    LoadCounters c = new LoadCounters();
    c.recordRead(1, "n1", 10);
    c.recordLatestRead(1, "n2", 20);
    c.recordLatestRead(1, "n2", 20);
    assertEquals(new Counts(3, 0, 0, 0, 50, 2), c.snapshot().range(1));
    assertEquals(new Counts(2, 0, 0, 0, 40, 2), c.snapshotAndReset().node("n2"));
    assertEquals(Counts.ZERO, c.snapshot().range(1));
    assertThrows(IllegalArgumentException.class, () -> new Counts(1, 0, 0, 0, 0, 2));
  }

  @Test
  void snapshotsAreSortedWhateverTheRecordingOrder() {
    LoadCounters c = new LoadCounters();
    c.recordRead(10, "c", 1);
    c.recordRead(2, "a", 1);
    c.recordRead(1, "b", 1);
    c.recordRead(33, "aa", 1);
    LoadSnapshot s = c.snapshot();
    assertEquals(List.of(1L, 2L, 10L, 33L), List.copyOf(s.byRange().keySet()));
    assertEquals(List.of("a", "aa", "b", "c"), List.copyOf(s.byNode().keySet()));
    assertEquals(s.toString(), c.snapshot().toString());
  }

  @Test
  void snapshotKeepsTheCountsAndSnapshotAndResetClearsThem() {
    LoadCounters c = new LoadCounters();
    c.recordWrite(4, "n1", 8);
    assertEquals(c.snapshot(), c.snapshot());
    LoadSnapshot first = c.snapshotAndReset();
    assertEquals(new Counts(0, 1, 0, 8, 0), first.range(4));
    assertEquals(LoadSnapshot.EMPTY, c.snapshot(), "ranges and nodes without traffic are left out");
    c.recordWrite(4, "n1", 2);
    assertEquals(new Counts(0, 1, 0, 2, 0), c.snapshotAndReset().range(4));
  }

  @Test
  void snapshotsAreImmutable() {
    LoadCounters c = new LoadCounters();
    c.recordRead(1, "n1", 1);
    LoadSnapshot s = c.snapshot();
    assertThrows(UnsupportedOperationException.class, () -> s.byRange().put(2L, Counts.ZERO));
    assertThrows(UnsupportedOperationException.class, () -> s.byNode().clear());
  }

  @Test
  void invalidRecordsAreRejected() {
    LoadCounters c = new LoadCounters();
    assertThrows(IllegalArgumentException.class, () -> c.recordRead(1, "n1", -1));
    assertThrows(IllegalArgumentException.class, () -> c.recordWrite(1, "", 1));
    assertThrows(IllegalArgumentException.class, () -> c.recordScan(1, null, 1));
    assertThrows(IllegalArgumentException.class, () -> c.recordRead(-1, "n1", 1));
    assertEquals(LoadSnapshot.EMPTY, c.snapshot());
  }

  @Test
  void concurrentRecordingLosesNothingAcrossConcurrentResets() throws Exception {
    int writers = 4;
    int perWriter = 20_000;
    LoadCounters c = new LoadCounters();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        String node = "n" + w;
        done.add(pool.submit(() -> record(c, node, perWriter, go)));
      }
      Future<List<LoadSnapshot>> reporter = pool.submit(() -> resetRepeatedly(c, 200, go));
      go.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
      List<LoadSnapshot> windows = new ArrayList<>(reporter.get(60, TimeUnit.SECONDS));
      windows.add(c.snapshotAndReset());
      Map<Long, Counts> byRange = new TreeMap<>();
      Map<String, Counts> byNode = new TreeMap<>();
      for (LoadSnapshot s : windows) {
        s.byRange().forEach((k, v) -> byRange.merge(k, v, Counts::plus));
        s.byNode().forEach((k, v) -> byNode.merge(k, v, Counts::plus));
      }
      long perRange = (long) writers * perWriter / 4;
      for (long range = 0; range < 4; range++) {
        assertEquals(expected(perRange), byRange.get(range), "range " + range);
      }
      for (int w = 0; w < writers; w++) {
        assertEquals(expected(perWriter), byNode.get("n" + w), "node n" + w);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** What {@link #record} counts for {@code n} requests of one range or one node (n divisible by 16). */
  private static Counts expected(long n) {
    // Per 4 requests: 2 reads (1 byte out each), 1 write (3 bytes in), 1 scan (5 bytes out).
    long quads = n / 4;
    return new Counts(2 * quads, quads, quads, 3 * quads, 7 * quads);
  }

  /** Records {@code n} requests: request i to range i % 4, in blocks of four: read, write, read, scan. */
  private static Void record(LoadCounters c, String node, int n, CountDownLatch go)
      throws InterruptedException {
    go.await();
    for (int i = 0; i < n; i++) {
      long range = i % 4;
      switch ((i / 4) % 4) {
        case 0, 2 -> c.recordRead(range, node, 1);
        case 1 -> c.recordWrite(range, node, 3);
        default -> c.recordScan(range, node, 5);
      }
    }
    return null;
  }

  private static List<LoadSnapshot> resetRepeatedly(LoadCounters c, int times, CountDownLatch go)
      throws InterruptedException {
    go.await();
    List<LoadSnapshot> windows = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      windows.add(c.snapshotAndReset());
    }
    return windows;
  }

  @Test
  void keysAreSampledPerRangeAndWindowAtMostSamplesPerRange() {
    LoadCounters c = new LoadCounters();
    java.util.Set<String> offered = new java.util.HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String key = "k" + i;
      offered.add(key);
      c.sampleKey(1, key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    c.sampleKey(2, new byte[] {1});
    TreeMap<Long, List<byte[]>> taken = c.takeSamples();
    // About one in SAMPLE_EVERY of 10,000 keys is offered: far more than the reservoir keeps.
    assertEquals(LoadCounters.SAMPLES_PER_RANGE, taken.get(1L).size());
    for (byte[] k : taken.get(1L)) {
      org.junit.jupiter.api.Assertions.assertTrue(offered.contains(new String(k, java.nio.charset.StandardCharsets.UTF_8)));
    }
    org.junit.jupiter.api.Assertions.assertTrue(taken.getOrDefault(2L, List.of()).size() <= 1);
    assertEquals(Map.of(), c.takeSamples(), "a new window starts empty");
  }
}
