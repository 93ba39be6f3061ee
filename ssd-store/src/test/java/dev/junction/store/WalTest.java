package dev.junction.store;

import static dev.junction.store.TestKeys.b;
import static dev.junction.store.TestKeys.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

/**
 * The write-ahead log and the memtable: recovery after a crash (torn and corrupt records included), stores
 * of the format before the WAL, reads during a flush, conditions evaluated against the memtable.
 */
class WalTest {
  @TempDir Path dir;

  /** A store that never flushes by itself: what it writes stays in the WAL and the memtable. */
  private StoreSettings walOnly(long segmentBytes) {
    return StoreSettings.defaults(dir.resolve("store"))
        .withMapSizes(8 << 20, 64 << 20)
        .withWal(segmentBytes, 1L << 30, Duration.ofHours(1));
  }

  private static WriteBatch write(int i) {
    return new WriteBatch()
        .put(b("key" + i), b("value" + i), i)
        .appendLog(7, i, b("log" + i))
        .putMeta(7, new RangeMeta(1, i, b("a"), Keys.unbounded()));
  }

  private static void assertWritten(SsdStore store, int count) {
    for (int i = 0; i < count; i++) {
      assertEquals(new Versioned(b("value" + i), i), store.get(b("key" + i)).orElseThrow(), "key" + i);
    }
    assertEquals(count - 1, store.meta(7).orElseThrow().appliedSeq());
    List<LogRecord> records = store.readLog(7, 0, Integer.MAX_VALUE);
    assertEquals(count, records.size());
    assertEquals("log" + (count - 1), s(records.get(count - 1).entry()));
  }

  private static Path lastSegment(Path store) throws Exception {
    try (var files = Files.list(store.resolve(Wal.DIRECTORY))) {
      return files.sorted().reduce((a, c) -> c).orElseThrow();
    }
  }

  @Test
  void aCrashedStoreReplaysItsLogAndFlushesIt() throws Exception {
    StoreSettings settings = walOnly(64 << 20);
    SsdStore store = SsdStore.open(settings);
    for (int i = 0; i < 50; i++) {
      store.write(write(i));
    }
    store.write(new WriteBatch().delete(b("key3")).truncateLog(7, 9));
    assertEquals(0, store.stats().flushes());
    store.crashForTest();

    try (SsdStore reopened = SsdStore.open(settings)) {
      assertEquals(51, reopened.recoveredGroups());
      assertTrue(reopened.get(b("key3")).isEmpty(), "the delete was replayed");
      assertEquals(10, reopened.readLog(7, 0, 100).get(0).seq(), "the truncation was replayed");
      assertEquals(new Versioned(b("value49"), 49), reopened.get(b("key49")).orElseThrow());
      assertEquals(1, reopened.stats().flushes(), "what was replayed is flushed at once");
      assertEquals(1, reopened.walSegments().size(), "the segments LMDB covers are deleted");
    }
    try (SsdStore again = SsdStore.open(settings)) {
      assertEquals(0, again.recoveredGroups(), "the flush on open recorded where LMDB got to");
      assertEquals(49, again.meta(7).orElseThrow().appliedSeq());
    }
  }

  @Test
  void aTornFinalRecordIsIgnoredAndEverythingBeforeItRecovered() throws Exception {
    StoreSettings settings = walOnly(64 << 20);
    SsdStore store = SsdStore.open(settings);
    for (int i = 0; i < 20; i++) {
      store.write(write(i));
    }
    store.crashForTest();
    Path segment = lastSegment(dir.resolve("store"));
    long size = Files.size(segment);
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.truncate(size - 10); // the last record loses its end, as if the machine stopped mid-write
    }

    store = SsdStore.open(settings);
    assertEquals(19, store.recoveredGroups());
    assertWritten(store, 19);
    assertTrue(store.get(b("key19")).isEmpty(), "the torn record is not applied");
    // The torn tail was cut: a new write follows the last valid record and survives another crash.
    store.write(write(19));
    store.crashForTest();
    try (SsdStore reopened = SsdStore.open(settings)) {
      assertEquals(1, reopened.recoveredGroups());
      assertWritten(reopened, 20);
    }
  }

  @Test
  void aRecordWithABadChecksumEndsTheLog() throws Exception {
    StoreSettings settings = walOnly(64 << 20);
    SsdStore store = SsdStore.open(settings);
    for (int i = 0; i < 10; i++) {
      store.write(write(i));
    }
    store.crashForTest();
    Path segment = lastSegment(dir.resolve("store"));
    long size = Files.size(segment);
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, size - 3);
      one.put(0, (byte) (one.get(0) ^ 0x40)).rewind();
      ch.write(one, size - 3); // the last record's payload changes: its CRC no longer matches
    }
    try (SsdStore reopened = SsdStore.open(settings)) {
      assertEquals(9, reopened.recoveredGroups());
      assertWritten(reopened, 9);
      assertTrue(reopened.get(b("key9")).isEmpty());
    }
  }

  @Test
  void theLogRollsIntoSegmentsAndRecoveryReadsThemAll() throws Exception {
    StoreSettings settings = walOnly(4 << 10);
    SsdStore store = SsdStore.open(settings);
    for (int i = 0; i < 200; i++) {
      store.write(write(i));
    }
    assertTrue(store.walSegments().size() > 5, "segments: " + store.walSegments().size());
    store.crashForTest();
    try (SsdStore reopened = SsdStore.open(settings)) {
      assertEquals(200, reopened.recoveredGroups());
      assertWritten(reopened, 200);
      assertEquals(1, reopened.walSegments().size());
    }
  }

  @Test
  void recycledSegmentsNeverReplayTheirOldRecords() throws Exception {
    // Small segments and a memtable flushed all the time: covered segments are soon reused for new ones.
    StoreSettings settings =
        StoreSettings.defaults(dir.resolve("store"))
            .withMapSizes(8 << 20, 64 << 20)
            .withWal(4 << 10, 1 << 10, Duration.ofMillis(1));
    SsdStore store = SsdStore.open(settings);
    // Records of one size: an old record in a reused file starts exactly where a new one would.
    int i = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!(store.recycledWalSegments() >= 3 && inReusedSpace(store)) && System.nanoTime() < deadline) {
      store.write(new WriteBatch().put(b("k"), b(String.format("v%06d", i)), i).put(b("k" + (i % 7)), b(String.format("w%06d", i)), i));
      i++;
    }
    assertTrue(store.recycledWalSegments() >= 3 && inReusedSpace(store), "no reused segment after " + i);
    int written = i;
    store.crashForTest();
    try (SsdStore reopened = SsdStore.open(settings)) {
      int last = written - 1;
      assertEquals(new Versioned(b(String.format("v%06d", last)), last), reopened.get(b("k")).orElseThrow());
      for (int j = Math.max(0, written - 7); j < written; j++) {
        assertEquals(
            new Versioned(b(String.format("w%06d", j)), j), reopened.get(b("k" + (j % 7))).orElseThrow());
      }
    }
  }

  /** True when the WAL's current segment is a reused file with older bytes after the last record. */
  private static boolean inReusedSpace(SsdStore store) {
    try {
      List<Path> segments = store.walSegments();
      Path last = segments.get(segments.size() - 1);
      String name = last.getFileName().toString();
      long start = Long.parseLong(name.substring(0, name.indexOf('.')));
      return Files.size(last) > store.walPosition() - start + 200;
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void anInvalidRecordBeforeTheLastSegmentIsRefusedRatherThanDroppingLaterOnes() throws Exception {
    StoreSettings settings = walOnly(4 << 10);
    SsdStore store = SsdStore.open(settings);
    for (int i = 0; i < 100; i++) {
      store.write(write(i));
    }
    store.crashForTest();
    Path first;
    try (var files = Files.list(dir.resolve("store").resolve(Wal.DIRECTORY))) {
      first = files.sorted().findFirst().orElseThrow();
    }
    try (FileChannel ch = FileChannel.open(first, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {0x55, 0x55}), 20);
    }
    StoreOpenException e = assertThrows(StoreOpenException.class, () -> SsdStore.open(settings));
    assertTrue(e.getMessage().contains(first.getFileName().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("invalid record"), e.getMessage());
  }

  @Test
  void aStoreOfTheFormatBeforeTheLogOpensAndIsUpgraded() throws Exception {
    Path store = dir.resolve("old");
    Files.createDirectories(store);
    // What the previous build wrote: three tables, no 'wal' table, no wal/ directory.
    try (Env<ByteBuffer> env =
        Env.create().setMapSize(8 << 20).setMaxDbs(3).open(store.toFile(), EnvFlags.MDB_NOTLS)) {
      Dbi<ByteBuffer> data = env.openDbi("data", DbiFlags.MDB_CREATE);
      env.openDbi("meta", DbiFlags.MDB_CREATE);
      env.openDbi("log", DbiFlags.MDB_CREATE);
      try (Txn<ByteBuffer> txn = env.txnWrite()) {
        ByteBuffer key = ByteBuffer.allocateDirect(3).put(b("old")).flip();
        ByteBuffer value = ByteBuffer.allocateDirect(8 + 5).putLong(42).put(b("value")).flip();
        data.put(txn, key, value);
        txn.commit();
      }
    }
    Files.writeString(store.resolve(SsdStore.MARKER_FILE), SsdStore.FORMAT_1_LINE + "\n");

    try (SsdStore s = SsdStore.open(StoreSettings.defaults(store))) {
      assertEquals(new Versioned(b("value"), 42), s.get(b("old")).orElseThrow());
      s.put(b("new"), b("v"), 43);
    }
    assertEquals(
        SsdStore.FORMAT_LINE, Files.readAllLines(store.resolve(SsdStore.MARKER_FILE)).get(0),
        "marked with the new format, which the previous build refuses instead of missing the WAL");
    assertTrue(Files.isDirectory(store.resolve(Wal.DIRECTORY)));
    try (SsdStore s = SsdStore.open(StoreSettings.defaults(store))) {
      assertEquals(2, s.scan(Keys.unbounded(), Keys.unbounded(), 10).size());
    }
  }

  @Test
  void aFileWhereTheLogDirectoryBelongsIsRefused() throws Exception {
    Path store = dir.resolve("store");
    SsdStore.open(StoreSettings.defaults(store)).close();
    Path wal = store.resolve(Wal.DIRECTORY);
    try (var files = Files.list(wal)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(wal);
    Files.writeString(wal, "not a directory");
    StoreOpenException e =
        assertThrows(StoreOpenException.class, () -> SsdStore.open(StoreSettings.defaults(store)));
    assertTrue(e.getMessage().contains("write-ahead log directory"), e.getMessage());
  }

  /** The model of what the reads of {@link #readsDuringAFlushSeeEveryWriteOnceInOrder} must return. */
  private static final class Expected {
    final TreeMap<byte[], Versioned> data = new TreeMap<>(Keys::compare);
    final TreeMap<Long, byte[]> log = new TreeMap<>();
    RangeMeta meta;

    void check(SsdStore store, String at) {
      List<KeyValue> all = store.scan(Keys.unbounded(), Keys.unbounded(), Integer.MAX_VALUE);
      assertEquals(data.size(), all.size(), at + ": scan size");
      int i = 0;
      for (Map.Entry<byte[], Versioned> e : data.entrySet()) {
        KeyValue kv = all.get(i++);
        assertArrayEquals(e.getKey(), kv.key(), at + ": key order");
        assertEquals(e.getValue(), new Versioned(kv.value(), kv.seq()), at + ": " + s(kv.key()));
        assertEquals(Optional.of(e.getValue()), store.get(e.getKey()), at + ": get " + s(kv.key()));
      }
      // Page by page, each key exactly once.
      List<KeyValue> paged = new ArrayList<>();
      byte[] from = Keys.unbounded();
      while (true) {
        ScanPage page = store.scanPage(from, Keys.unbounded(), 7, 60);
        paged.addAll(page.entries());
        if (page.entries().size() < 7 && !page.more()) {
          break;
        }
        from = Keys.successor(page.entries().get(page.entries().size() - 1).key());
      }
      assertEquals(all, paged, at + ": paged scan");
      List<LogRecord> records = store.readLog(1, 0, Integer.MAX_VALUE);
      assertEquals(List.copyOf(log.keySet()), records.stream().map(LogRecord::seq).toList(), at + ": log");
      for (LogRecord r : records) {
        assertArrayEquals(log.get(r.seq()), r.entry(), at + ": log record " + r.seq());
      }
      assertEquals(meta, store.meta(1).orElseThrow(), at + ": meta");
      assertEquals(Map.of(1L, meta), store.allMeta(), at + ": all meta");
    }
  }

  @Test
  void readsDuringAFlushSeeEveryWriteOnceInOrder() throws Exception {
    Expected expected = new Expected();
    try (SsdStore store = SsdStore.open(walOnly(64 << 20))) {
      // In LMDB: k00..k29, log 1..10.
      WriteBatch first = new WriteBatch();
      for (int i = 0; i < 30; i++) {
        first.put(key(i), b("lmdb" + i), i);
        expected.data.put(key(i), new Versioned(b("lmdb" + i), i));
      }
      for (long seq = 1; seq <= 10; seq++) {
        first.appendLog(1, seq, b("lmdb-log" + seq));
        expected.log.put(seq, b("lmdb-log" + seq));
      }
      expected.meta = new RangeMeta(1, 10, b("k"), Keys.unbounded());
      store.write(first.putMeta(1, expected.meta));
      store.flush();
      // In the memtable that is about to be flushed: overwrites, deletes, new keys, log appends, a truncation.
      WriteBatch second = new WriteBatch();
      for (int i = 0; i < 40; i += 2) {
        second.put(key(i), b("frozen" + i), 100 + i);
        expected.data.put(key(i), new Versioned(b("frozen" + i), 100 + i));
      }
      second.delete(key(5)).truncateLog(1, 3);
      expected.data.remove(key(5));
      expected.log.headMap(3L, true).clear();
      for (long seq = 11; seq <= 15; seq++) {
        second.appendLog(1, seq, b("frozen-log" + seq));
        expected.log.put(seq, b("frozen-log" + seq));
      }
      store.write(second);
      expected.check(store, "before the flush");

      try (AutoCloseable held = store.holdFlushes()) {
        store.requestFlush();
        TestKeys.await(Duration.ofSeconds(10), "the flush to reach its hold", store::flushHeld);
        expected.check(store, "flush held, nothing newer");
        // In the new active memtable, over the one being flushed.
        WriteBatch third = new WriteBatch();
        for (int i = 0; i < 45; i += 3) {
          third.put(key(i), b("active" + i), 200 + i);
          expected.data.put(key(i), new Versioned(b("active" + i), 200 + i));
        }
        third.delete(key(2)).delete(key(7)).truncateLog(1, 12).appendLog(1, 2, b("active-log2"));
        expected.data.remove(key(2));
        expected.data.remove(key(7));
        expected.log.headMap(12L, true).clear();
        expected.log.put(2L, b("active-log2"));
        expected.meta = new RangeMeta(2, 20, b("k"), Keys.unbounded());
        store.write(third.putMeta(1, expected.meta));
        expected.check(store, "flush held, newer writes over it");
        assertEquals(1, store.stats().flushes(), "only the explicit flush so far");

        // Readers keep reading while the flush completes; each read must see the same state.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong reads = new AtomicLong();
        Thread reader =
            new Thread(
                () -> {
                  try {
                    while (!stop.get()) {
                      expected.check(store, "while the flush completes");
                      reads.incrementAndGet();
                    }
                  } catch (Throwable t) {
                    failure.set(t);
                  }
                });
        reader.start();
        TestKeys.await(Duration.ofSeconds(10), "a concurrent read", () -> reads.get() > 0);
        held.close();
        TestKeys.await(Duration.ofSeconds(10), "the flush", () -> store.stats().flushes() == 2);
        long after = reads.get();
        TestKeys.await(Duration.ofSeconds(10), "reads after the flush", () -> reads.get() > after + 1);
        stop.set(true);
        reader.join(10_000);
        if (failure.get() != null) {
          throw new AssertionError("a concurrent read failed", failure.get());
        }
      }
      expected.check(store, "after the flush");
      store.flush();
      expected.check(store, "all in LMDB");
    }
  }

  @Test
  void aScanWhoseViewIsOlderThanAFlushTakesANewerOne() {
    try (SsdStore store = SsdStore.open(walOnly(64 << 20))) {
      store.put(b("k"), b("v1"), 1);
      store.beforeNextScanReadsLmdb(
          () -> {
            // The scan holds a view of the memtable with k=v1; before it reads LMDB, that memtable (with a
            // newer k=v2) and the next one (k=v3, j) reach LMDB.
            store.put(b("k"), b("v2"), 2);
            store.flush();
            store.put(b("k"), b("v3"), 3);
            store.put(b("j"), b("new"), 4);
            store.flush();
          });
      List<KeyValue> seen = store.scan(Keys.unbounded(), Keys.unbounded(), 10);
      // Without the retry the old view's k=v1 would hide LMDB's k=v3 while j (written later) showed.
      assertEquals(List.of(new KeyValue(b("j"), b("new"), 4), new KeyValue(b("k"), b("v3"), 3)), seen);
      assertEquals(1, store.scanRetries());

      store.put(b("k"), b("v4"), 5);
      store.beforeNextScanReadsLmdb(
          () -> {
            store.put(b("i"), b("newer"), 6); // in the same memtable, after the scan's view
            store.flush();
          });
      assertEquals(
          List.of(new KeyValue(b("i"), b("newer"), 6), new KeyValue(b("j"), b("new"), 4),
              new KeyValue(b("k"), b("v4"), 5)),
          store.scan(Keys.unbounded(), Keys.unbounded(), 10),
          "after one flush as well: its newer writes are in LMDB but not in the view");
      assertEquals(2, store.scanRetries());
    }
  }

  private static byte[] key(int i) {
    return b(String.format("k%02d", i));
  }

  @Test
  void conditionsAreEvaluatedAgainstTheMemtableOverLmdb() throws Exception {
    try (SsdStore store = SsdStore.open(walOnly(64 << 20))) {
      store.put(b("flushed"), b("old"), 1);
      store.put(b("gone"), b("old"), 2);
      store.flush();
      store.delete(b("gone")); // a tombstone in the memtable over the value in LMDB
      store.put(b("flushed"), b("new"), 3);

      CasResult stale = store.compareAndSet(b("flushed"), b("old"), b("x"), 4);
      assertFalse(stale.applied(), "the memtable's value is the current one");
      assertEquals(new Versioned(b("new"), 3), stale.current().orElseThrow());
      assertTrue(store.compareAndSet(b("flushed"), b("new"), b("newer"), 4).applied());
      CasResult deleted = store.compareAndSet(b("gone"), b("old"), b("x"), 5);
      assertFalse(deleted.applied(), "the memtable's delete hides LMDB's value");
      assertTrue(deleted.current().isEmpty());
      assertTrue(store.compareAndSet(b("gone"), null, b("back"), 5).applied());

      // A memtable being flushed is part of the state too.
      try (AutoCloseable held = store.holdFlushes()) {
        store.requestFlush();
        TestKeys.await(Duration.ofSeconds(10), "the flush to reach its hold", store::flushHeld);
        assertFalse(store.compareAndSet(b("gone"), null, b("y"), 6).applied());
        assertTrue(store.compareAndSet(b("gone"), b("back"), b("again"), 6).applied());
        // Within one group, a batch sees the batches before it.
        List<CompletableFuture<CommitResult>> futures = new ArrayList<>();
        try (AutoCloseable commits = store.holdCommits()) {
          futures.add(store.submit(new WriteBatch().delete(b("flushed"))));
          futures.add(store.submit(new WriteBatch().expect(b("flushed"), null).put(b("flushed"), b("1"), 7)));
          futures.add(store.submit(new WriteBatch().expect(b("flushed"), b("newer")).put(b("lost"), b("x"), 8)));
          futures.add(store.submit(new WriteBatch().expect(b("flushed"), b("1")).put(b("won"), b("x"), 9)));
        }
        List<Boolean> applied = new ArrayList<>();
        for (CompletableFuture<CommitResult> f : futures) {
          applied.add(f.get(10, TimeUnit.SECONDS).applied());
        }
        assertEquals(List.of(true, true, false, true), applied);
      }
      TestKeys.await(Duration.ofSeconds(10), "the flush", () -> store.stats().flushes() == 2);
      assertEquals("1", s(store.get(b("flushed")).orElseThrow().value()));
      assertEquals("again", s(store.get(b("gone")).orElseThrow().value()));
      assertTrue(store.get(b("lost")).isEmpty());
      assertTrue(store.get(b("won")).isPresent());
    }
  }

  /**
   * A snapshot (a range's state transfer) flushes the memtable into LMDB first. That synced LMDB commit
   * may take hundreds of milliseconds; the node's other writes (every range it serves) must not wait for
   * it, only for the moment the memtable is swapped out. And the snapshot still holds every write made
   * before it was asked for.
   */
  @Test
  void writesGoOnWhileASnapshotFlushes() throws Exception {
    try (SsdStore store = SsdStore.open(walOnly(64 << 20))) {
      for (int i = 0; i < 20; i++) {
        store.write(write(i));
      }
      CompletableFuture<List<String>> snapshot;
      try (AutoCloseable held = store.holdFlushes()) {
        snapshot = CompletableFuture.supplyAsync(() -> {
          List<String> keys = new ArrayList<>();
          try (StoreSnapshot snap = store.snapshot(b("key"), b("kez"))) {
            snap.forEachRemaining(kv -> keys.add(s(kv.key())));
          }
          return keys;
        });
        TestKeys.await(Duration.ofSeconds(10), "the snapshot's flush to reach its hold", store::flushHeld);
        CompletableFuture<CommitResult> during = CompletableFuture.supplyAsync(() -> store.write(write(20)));
        assertTrue(during.get(10, TimeUnit.SECONDS).applied(), "a write while the snapshot's flush commits");
        assertFalse(snapshot.isDone(), "the snapshot waits for its flush");
      }
      List<String> keys = snapshot.get(10, TimeUnit.SECONDS);
      for (int i = 0; i < 20; i++) {
        assertTrue(keys.contains("key" + i), "the snapshot holds key" + i + ", written before it: " + keys);
      }
      assertWritten(store, 21);
    }
  }

  @Test
  void aBatchWhoseConditionFailedIsNotReplayed() throws Exception {
    StoreSettings settings = walOnly(64 << 20);
    SsdStore store = SsdStore.open(settings);
    store.put(b("k"), b("v1"), 1);
    assertFalse(store.write(new WriteBatch().expect(b("k"), b("nope")).put(b("k"), b("v2"), 2)).applied());
    store.crashForTest();
    try (SsdStore reopened = SsdStore.open(settings)) {
      assertEquals(1, reopened.recoveredGroups(), "only the applied batch was logged");
      assertEquals(new Versioned(b("v1"), 1), reopened.get(b("k")).orElseThrow());
    }
  }

  @Test
  void anInterruptedWriterNeitherBreaksTheLogNorLosesItsWrite() throws Exception {
    StoreSettings settings = walOnly(64 << 20);
    SsdStore store = SsdStore.open(settings);
    store.put(b("before"), b("v"), 1);
    // An interrupt closes a file channel the thread blocks in; the log must reopen it and go on.
    Thread.currentThread().interrupt();
    try {
      store.put(b("interrupted"), b("v"), 2);
      assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
    } finally {
      Thread.interrupted();
    }
    store.put(b("after"), b("v"), 3);
    store.crashForTest();
    try (SsdStore reopened = SsdStore.open(settings)) {
      assertEquals(3, reopened.recoveredGroups());
      assertEquals(3, reopened.scan(Keys.unbounded(), Keys.unbounded(), 10).size());
    }
  }

  @Test
  void settingsOfTheLogAreReadAndChecked() {
    StoreSettings s =
        StoreSettings.fromConfig(
            com.typesafe.config.ConfigFactory.parseString(
                "junction.store.wal { segment-size = 1MiB, memtable-bytes = 4MiB, flush-interval = 2s }"));
    assertEquals(1 << 20, s.walSegmentBytes());
    assertEquals(4 << 20, s.memtableBytes());
    assertEquals(Duration.ofSeconds(2), s.flushInterval());
    StoreSettings defaults = StoreSettings.defaults(Path.of("d"));
    assertEquals(64L << 20, defaults.walSegmentBytes());
    assertEquals(32L << 20, defaults.memtableBytes());
    assertEquals(Duration.ofSeconds(5), defaults.flushInterval());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            StoreSettings.fromConfig(
                com.typesafe.config.ConfigFactory.parseString("junction.store.wal.segment-size = 1KiB")));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            StoreSettings.fromConfig(
                com.typesafe.config.ConfigFactory.parseString("junction.store.wal.flush-interval = 0s")));
  }
}
