package dev.junction.chain.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.store.RangeMeta;
import dev.junction.store.SsdStore;
import dev.junction.store.StoreSettings;
import dev.junction.store.WriteBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a replica that left its chain leaves in its node's store: wiped, unless the keys are in use again. */
class LeftoversTest {
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Range 3 = [b, m) with {@code keys} keys, its metadata and log; a key on each side of it. */
  private static void fill(SsdStore store, int keys) {
    store.put(b("a"), b("other range"), 1);
    store.put(b("m"), b("other range"), 1);
    for (int i = 0; i < keys; i += 500) {
      WriteBatch batch = new WriteBatch();
      for (int j = i; j < Math.min(keys, i + 500); j++) {
        batch.put(b(String.format("c%05d", j)), b("v" + j), 10 + j);
      }
      store.write(batch.appendLog(3, 10 + i, b("log")).putMeta(3, new RangeMeta(1, 10 + i, b("b"), b("m"), 0, 10 + i)));
    }
  }

  private static int keysIn(SsdStore store, String from, String to) {
    return store.scanPage(b(from), b(to), 100_000, 1L << 30).entries().size();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
      Thread.sleep(10);
    }
  }

  @Test
  void whatAReplicaLeftIsWipedInChunksAndTheNeighboursStay() throws Exception {
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")));
        Leftovers leftovers = new Leftovers(Duration.ZERO)) {
      fill(store, 3_000); // three chunks
      ReplicaStore rs = new ReplicaStore(store, 3, 0);
      leftovers.schedule(rs, "3.0", b("b"), b("m"));
      await("the wipe finished", () -> leftovers.wipedRanges() == 1);
      assertEquals(0, keysIn(store, "b", "m"), "the range's keys are gone");
      assertEquals(3_000, leftovers.wipedKeys());
      assertTrue(store.meta(3).isEmpty(), "and its metadata");
      assertTrue(rs.storedLog().isEmpty(), "and its log");
      assertEquals(1, keysIn(store, "a", "b"), "the key before the range stays");
      assertEquals(1, keysIn(store, "m", "n"), "the key after it too");
      assertEquals(0, leftovers.keptRanges());
    }
  }

  @Test
  void keysThatAnotherReplicaHereClaimedStay() throws Exception {
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")));
        Leftovers leftovers = new Leftovers(Duration.ZERO)) {
      fill(store, 100);
      ReplicaStore rs = new ReplicaStore(store, 3, 0);
      // A replica of a range with some of these keys (copied here after a split, or the range moved back).
      long claim = leftovers.claim(b("c00050"), b("d"));
      leftovers.schedule(rs, "3.0", b("b"), b("m"));
      await("the wipe gave up", () -> leftovers.keptRanges() == 1);
      assertEquals(100, keysIn(store, "b", "m"), "nothing was deleted");
      assertTrue(store.meta(3).isPresent(), "nor the metadata");
      // Released (that replica stopped): the next replica to leave these keys has them wiped.
      leftovers.release(claim);
      leftovers.schedule(rs, "3.0", b("b"), b("m"));
      await("the wipe finished", () -> leftovers.wipedRanges() == 1);
      assertEquals(0, keysIn(store, "b", "m"));
      // A claim elsewhere does not hold a wipe up.
      leftovers.claim(b("x"), new byte[0]);
      fill(store, 10);
      leftovers.schedule(rs, "3.0", b("b"), b("m"));
      await("the second wipe finished", () -> leftovers.wipedRanges() == 2);
      assertEquals(0, keysIn(store, "b", "m"));
    }
  }

  @Test
  void aWipeStopsAtTheChunkBeforeWhichTheTablePlacesTheKeysHereAgain() throws Exception {
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")));
        Leftovers leftovers = new Leftovers(Duration.ZERO)) {
      fill(store, 3_000);
      ReplicaStore rs = new ReplicaStore(store, 3, 0);
      AtomicInteger asked = new AtomicInteger();
      // The table places an overlapping range here from the second check on (before the second chunk).
      leftovers.placedHere((start, end) -> asked.incrementAndGet() > 1);
      leftovers.schedule(rs, "3.0", b("b"), b("m"));
      await("the wipe gave up", () -> leftovers.keptRanges() == 1);
      assertEquals(2, asked.get(), "checked before each chunk");
      assertEquals(ReplicaStore.WIPE_CHUNK, leftovers.wipedKeys(), "one chunk went");
      assertEquals(3_000 - ReplicaStore.WIPE_CHUNK, keysIn(store, "b", "m"), "the rest stayed");
      assertTrue(store.meta(3).isPresent(), "with the range's metadata");
    }
  }

  @Test
  void oneWipePerRangeAtATimeAndASweepSchedulesWhatNoReplicaDid() throws Exception {
    try (SsdStore store = SsdStore.open(StoreSettings.defaults(dir.resolve("s")));
        Leftovers leftovers = new Leftovers(Duration.ofSeconds(1))) {
      fill(store, 100);
      ReplicaStore rs = new ReplicaStore(store, 3, 0);
      assertTrue(leftovers.schedule(rs, "3.0", b("b"), b("m")));
      assertFalse(leftovers.schedule(rs, "3.0", b("b"), b("m")), "already scheduled");
      await("the wipe finished", () -> leftovers.wipedRanges() == 1);
      assertEquals(100, leftovers.wipedKeys());
      // What a crash left (nobody scheduled it): the node's sweep finds it.
      fill(store, 10);
      AtomicInteger sweeps = new AtomicInteger();
      leftovers.every(Duration.ofMillis(50), () -> {
        sweeps.incrementAndGet();
        leftovers.schedule(rs, "3.0", b("b"), b("m"));
      });
      await("the sweep's wipe finished", () -> leftovers.wipedRanges() >= 2);
      assertEquals(0, keysIn(store, "b", "m"));
      assertEquals(110, leftovers.wipedKeys());
      assertTrue(sweeps.get() >= 2, "it runs again and again");
    }
  }
}
