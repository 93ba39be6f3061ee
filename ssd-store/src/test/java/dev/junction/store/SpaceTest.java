package dev.junction.store;

import static dev.junction.store.TestKeys.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Map growth, the store-full error, and resizes racing with readers. */
class SpaceTest {
  private static final int MIB = 1 << 20;
  @TempDir Path dir;

  private SsdStore open(long initial, long max) {
    return SsdStore.open(
        StoreSettings.defaults(dir.resolve("store"))
            .withMapSizes(initial, max)
            .withResizeWait(Duration.ofSeconds(2)));
  }

  private static byte[] value(int i) {
    byte[] v = new byte[4000];
    new Random(i).nextBytes(v);
    return v;
  }

  @Test
  void theMapGrowsWhenFullAndKeepsEverything() {
    try (SsdStore store = open(MIB, 64 * MIB)) {
      for (int i = 0; i < 2000; i++) { // ~8 MB of values in a 1 MiB map
        store.put(b("key" + i), value(i), i);
      }
      StoreStats stats = store.stats();
      assertTrue(stats.mapResizes() >= 3, "resizes: " + stats.mapResizes());
      assertTrue(stats.mapSize() >= 8 * MIB, "map: " + stats.mapSize());
      for (int i = 0; i < 2000; i++) {
        assertEquals(i, store.get(b("key" + i)).orElseThrow().seq());
      }
    }
    try (SsdStore reopened = open(MIB, 64 * MIB)) {
      assertEquals(1999, reopened.get(b("key1999")).orElseThrow().seq());
    }
  }

  @Test
  void atTheMaximumWritesFailTypedWhileReadsAndDeletesWork() {
    try (SsdStore store = open(MIB, 4 * MIB)) {
      int written = 0;
      StoreFullException full = null;
      for (int i = 0; i < 10_000 && full == null; i++) {
        try {
          store.put(b("key" + i), value(i), i);
          written++;
        } catch (StoreFullException e) {
          full = e;
        }
      }
      assertTrue(full != null, "the store never reported full");
      assertTrue(full.getMessage().contains("max-map-size"), full.getMessage());
      assertTrue(written > 500, "wrote only " + written);
      assertTrue(store.stats().rejectedFull() >= 1);
      assertTrue(store.isFull(), "a head asks this before it starts a write");
      final int n = written;
      assertThrows(StoreFullException.class, () -> store.put(b("another"), value(n), n));
      assertEquals(0, store.get(b("key0")).orElseThrow().seq(), "reads keep working");
      // Deletes keep working, and the space they free takes new writes again.
      store.write(new WriteBatch().deleteRange(b("key"), b("key\u00ff")));
      assertFalse(store.isFull(), "space was freed");
      assertTrue(store.get(b("key0")).isEmpty());
      for (int i = 0; i < 100; i++) {
        store.put(b("again" + i), value(i), i);
      }
      assertEquals(99, store.get(b("again99")).orElseThrow().seq());
    }
  }

  @Test
  void aResizeWaitsForAnOpenSnapshotAndGivesUpAtItsDeadline() {
    try (SsdStore store = open(MIB, 64 * MIB)) {
      store.put(b("a"), b("x"), 1);
      StoreSnapshot snap = store.snapshot(Keys.unbounded(), Keys.unbounded());
      StoreFullException stuck = null;
      int i = 0;
      for (; i < 2000 && stuck == null; i++) {
        try {
          store.put(b("key" + i), value(i), i);
        } catch (StoreFullException e) {
          stuck = e;
        }
      }
      assertTrue(stuck != null, "a write needed a resize while the snapshot was open");
      assertTrue(stuck.getMessage().contains("could not grow"), stuck.getMessage());
      assertEquals("x", TestKeys.s(store.get(b("a")).orElseThrow().value()), "reads work meanwhile");
      assertTrue(snap.hasNext());
      snap.close();
      // With the snapshot gone the map can grow again (and the pages it held are free).
      for (int j = i; j < i + 500; j++) {
        store.put(b("key" + j), value(j), j);
      }
      assertTrue(store.stats().mapResizes() >= 1);
    }
  }

  @Test
  void readersRacingWithResizesSeeConsistentValues() throws Exception {
    try (SsdStore store = open(MIB, 256 * MIB)) {
      store.put(b("fixed"), b("value"), 1);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicLong reads = new AtomicLong();
      Thread[] readers = new Thread[3];
      for (int t = 0; t < readers.length; t++) {
        readers[t] =
            new Thread(
                () -> {
                  try {
                    while (!stop.get()) {
                      Versioned v = store.get(b("fixed")).orElseThrow();
                      if (!"value".equals(TestKeys.s(v.value()))) {
                        throw new AssertionError("read " + v);
                      }
                      store.scan(b("fixed"), Keys.unbounded(), 2);
                      reads.incrementAndGet();
                    }
                  } catch (Throwable e) {
                    failure.set(e);
                  }
                });
        readers[t].start();
      }
      try {
        for (int i = 0; i < 6000; i++) { // ~24 MB: five or more doublings from 1 MiB
          store.put(b("key" + i), value(i), i);
        }
      } finally {
        stop.set(true);
        for (Thread t : readers) {
          t.join(10_000);
        }
      }
      if (failure.get() != null) {
        throw new AssertionError("a reader failed", failure.get());
      }
      assertTrue(store.stats().mapResizes() >= 4, "resizes: " + store.stats().mapResizes());
      assertTrue(reads.get() > 0);
    }
  }
}
