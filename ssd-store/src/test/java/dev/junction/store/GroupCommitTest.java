package dev.junction.store;

import static dev.junction.store.TestKeys.b;
import static dev.junction.store.TestKeys.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitTest {
  @TempDir Path dir;

  /** A store that flushes its memtable only on demand, so that the counters count only the commits. */
  private SsdStore open(Durability durability) {
    return SsdStore.open(
        StoreSettings.defaults(dir.resolve("store"))
            .withDurability(durability)
            .withMapSizes(8 << 20, 64 << 20)
            .withWal(64 << 20, 32 << 20, Duration.ofHours(1)));
  }

  @Test
  void queuedBatchesShareOneCommitInSubmissionOrder() throws Exception {
    try (SsdStore store = open(Durability.FSYNC)) {
      List<Integer> groups = new java.util.concurrent.CopyOnWriteArrayList<>();
      store.observeGroups(groups::add);
      List<CompletableFuture<CommitResult>> futures = new ArrayList<>();
      try (AutoCloseable held = store.holdCommits()) {
        for (int i = 0; i < 20; i++) {
          // Every batch checks the value the previous one wrote: only submission order satisfies all.
          WriteBatch batch = new WriteBatch();
          batch.expect(b("counter"), i == 0 ? null : b(Integer.toString(i - 1)));
          batch.put(b("counter"), b(Integer.toString(i)), i);
          futures.add(store.submit(batch));
        }
        assertFalse(futures.get(0).isDone(), "nothing commits while commits are held");
      }
      for (CompletableFuture<CommitResult> f : futures) {
        assertTrue(f.get(10, TimeUnit.SECONDS).applied());
      }
      StoreStats stats = store.stats();
      assertEquals(1, stats.commits());
      assertEquals(20, stats.batches());
      assertEquals(20, stats.largestGroup());
      assertEquals(List.of(20), groups, "the group commit's size, as observed (the metrics' histogram)");
      assertEquals(1, stats.syncs());
      assertEquals("19", s(store.get(b("counter")).orElseThrow().value()));
    }
  }

  @Test
  void synchronousWritersJoinTheGroupOfTheLeader() throws Exception {
    try (SsdStore store = open(Durability.FSYNC)) {
      ExecutorService pool = Executors.newFixedThreadPool(6);
      try {
        List<Future<CommitResult>> results = new ArrayList<>();
        try (AutoCloseable held = store.holdCommits()) {
          for (int i = 0; i < 6; i++) {
            int n = i;
            results.add(pool.submit(() -> store.write(new WriteBatch().put(b("k" + n), b("v"), n))));
          }
          TestKeys.await(Duration.ofSeconds(10), "six queued writers", () -> store.queuedBatches() == 6);
        }
        for (Future<CommitResult> r : results) {
          assertTrue(r.get(10, TimeUnit.SECONDS).applied());
        }
        assertEquals(1, store.stats().commits());
        assertEquals(6, store.stats().largestGroup());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void concurrentWritersLoseNothingAndLeaveOneValuePerKey() throws Exception {
    int threads = 8;
    int perThread = 300;
    try (SsdStore store = open(Durability.REPLICATED)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          done.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < perThread; i++) {
                      long seq = (long) thread * perThread + i;
                      if (i % 3 == 0) {
                        store.submit(new WriteBatch().put(b("t" + thread + "-" + i), b("v" + seq), seq))
                            .join();
                      } else {
                        store.put(b("t" + thread + "-" + i), b("v" + seq), seq);
                      }
                      // All threads also fight over one key with compare-and-set increments.
                      while (true) {
                        var cur = store.get(b("shared"));
                        byte[] expected = cur.map(Versioned::value).orElse(null);
                        int next = expected == null ? 1 : Integer.parseInt(s(expected)) + 1;
                        if (store.compareAndSet(b("shared"), expected, b(Integer.toString(next)), seq)
                            .applied()) {
                          break;
                        }
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      for (int t = 0; t < threads; t++) {
        for (int i = 0; i < perThread; i++) {
          long seq = (long) t * perThread + i;
          assertEquals(new Versioned(b("v" + seq), seq), store.get(b("t" + t + "-" + i)).orElseThrow());
        }
      }
      assertEquals(
          Integer.toString(threads * perThread), s(store.get(b("shared")).orElseThrow().value()),
          "every compare-and-set increment applied exactly once");
      // One put per write and one per successful compare-and-set; failed ones apply nothing.
      assertEquals((long) threads * perThread * 2, store.stats().operations());
    }
  }

  @Test
  void closeCommitsWhatIsQueued() throws Exception {
    SsdStore store = open(Durability.FSYNC);
    List<CompletableFuture<CommitResult>> futures = new ArrayList<>();
    AutoCloseable held = store.holdCommits();
    for (int i = 0; i < 5; i++) {
      futures.add(store.submit(new WriteBatch().put(b("k" + i), b("v"), i)));
    }
    held.close();
    store.close();
    for (CompletableFuture<CommitResult> f : futures) {
      assertTrue(f.get(10, TimeUnit.SECONDS).applied());
    }
    try (SsdStore reopened = open(Durability.FSYNC)) {
      assertEquals(5, reopened.scan(Keys.unbounded(), Keys.unbounded(), 100).size());
    }
  }

  @Test
  void replicatedModeSyncsInTheBackground() {
    try (SsdStore store =
        SsdStore.open(
            StoreSettings.defaults(dir.resolve("store"))
                .withDurability(Durability.REPLICATED)
                .withSyncInterval(Duration.ofMillis(20)))) {
      // The background task syncs the write-ahead log when something was appended since its last round.
      AtomicLong seq = new AtomicLong();
      TestKeys.await(
          Duration.ofSeconds(10),
          "background syncs",
          () -> {
            store.put(b("k"), b("v"), seq.incrementAndGet());
            return store.stats().syncs() >= 3;
          });
    }
  }

  @Test
  void replicatedModeDoesNotSyncPerCommitAndLosesNothingOnClose() throws Exception {
    StoreSettings settings =
        StoreSettings.defaults(dir.resolve("store"))
            .withDurability(Durability.REPLICATED)
            .withSyncInterval(Duration.ofHours(1))
            .withWal(64 << 20, 32 << 20, Duration.ofHours(1));
    try (SsdStore store = SsdStore.open(settings)) {
      for (int i = 0; i < 10; i++) {
        store.put(b("k" + i), b("v" + i), i);
      }
      StoreStats stats = store.stats();
      assertEquals(10, stats.commits());
      assertEquals(0, stats.syncs(), "no sync per commit in replicated mode");
      assertEquals(0, stats.flushes());
      assertTrue(stats.walBytes() > 0);
    }
    try (SsdStore reopened = SsdStore.open(settings)) {
      assertEquals(10, reopened.scan(Keys.unbounded(), Keys.unbounded(), 100).size());
      assertEquals(0, reopened.recoveredGroups(), "close flushed the memtable into LMDB");
    }
  }
}
