package dev.junction.store;

import static dev.junction.store.TestKeys.b;
import static dev.junction.store.TestKeys.longKey;
import static dev.junction.store.TestKeys.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SsdStoreTest {
  @TempDir Path dir;
  SsdStore store;

  @BeforeEach
  void open() {
    store = SsdStore.open(StoreSettings.defaults(dir.resolve("store")).withMapSizes(8 << 20, 64 << 20));
  }

  @AfterEach
  void close() {
    store.close();
  }

  private List<String> keys(List<KeyValue> entries) {
    List<String> out = new ArrayList<>();
    for (KeyValue kv : entries) {
      out.add(s(kv.key()));
    }
    return out;
  }

  private void putAll(String... keys) {
    WriteBatch batch = new WriteBatch();
    long seq = 1;
    for (String k : keys) {
      batch.put(b(k), b("v-" + k), seq++);
    }
    store.write(batch);
  }

  @Test
  void aBatchThatHandsItsArraysOverIsKeptAsItIsAndAPlainOneIsCopied() {
    byte[] handed = b("aaa");
    byte[] lent = b("aaa");
    store.write(WriteBatch.handingOver().put(b("h"), handed, 1));
    store.write(new WriteBatch().put(b("c"), lent, 2));
    handed[0] = 'z'; // breaks handingOver's contract, to show the store kept this very array
    lent[0] = 'z';
    assertEquals("zaa", s(store.get(b("h")).orElseThrow().value()));
    assertEquals("aaa", s(store.get(b("c")).orElseThrow().value()));
  }

  @Test
  void getReturnsValueAndSequenceOfTheLastWrite() {
    assertEquals(Optional.empty(), store.get(b("k")));
    store.put(b("k"), b("one"), 7);
    assertEquals(new Versioned(b("one"), 7), store.get(b("k")).orElseThrow());
    store.put(b("k"), b("two"), 8);
    assertEquals(new Versioned(b("two"), 8), store.get(b("k")).orElseThrow());
    store.put(b("empty"), new byte[0], 9);
    assertEquals(new Versioned(new byte[0], 9), store.get(b("empty")).orElseThrow());
  }

  @Test
  void deleteRemovesOnlyThatKey() {
    putAll("a", "b");
    store.delete(b("a"));
    store.delete(b("never-there"));
    assertTrue(store.get(b("a")).isEmpty());
    assertTrue(store.get(b("b")).isPresent());
  }

  @Test
  void keysAndValuesOutsideTheLimitsAreRejectedWithClearErrors() {
    InvalidRequestException empty =
        assertThrows(InvalidRequestException.class, () -> store.put(new byte[0], b("v"), 1));
    assertTrue(empty.getMessage().contains("keys must be 1 to 4096 bytes"), empty.getMessage());
    assertThrows(InvalidRequestException.class, () -> store.put(new byte[4097], b("v"), 1));
    assertThrows(InvalidRequestException.class, () -> store.get(new byte[4097]));
    store.put(new byte[4096], b("largest key"), 1);
    assertEquals(s(store.get(new byte[4096]).orElseThrow().value()), "largest key");

    InvalidRequestException big =
        assertThrows(
            InvalidRequestException.class,
            () -> store.put(b("k"), new byte[Keys.MAX_VALUE_BYTES + 1], 1));
    assertTrue(big.getMessage().contains("up to 1048576 bytes"), big.getMessage());
    store.put(b("k"), new byte[Keys.MAX_VALUE_BYTES], 1);
    assertEquals(Keys.MAX_VALUE_BYTES, store.get(b("k")).orElseThrow().value().length);

    assertThrows(InvalidRequestException.class, () -> store.put(b("k"), b("v"), -1));
    assertThrows(InvalidRequestException.class, () -> store.put(b("k"), null, 1));
    assertThrows(InvalidRequestException.class, () -> store.scan(b("b"), b("a"), 10));
    assertThrows(InvalidRequestException.class, () -> store.scan(b("a"), b("b"), 0));
  }

  @Test
  void aLowerConfiguredValueLimitIsEnforced() {
    store.close();
    store = SsdStore.open(StoreSettings.defaults(dir.resolve("store")).withMaxValueBytes(100));
    store.put(b("k"), new byte[100], 1);
    InvalidRequestException e =
        assertThrows(InvalidRequestException.class, () -> store.put(b("k"), new byte[101], 2));
    assertTrue(e.getMessage().contains("up to 100 bytes"), e.getMessage());
    assertTrue(store.submit(new WriteBatch().put(b("k"), new byte[101], 2)).isCompletedExceptionally());
    assertEquals(1, store.get(b("k")).orElseThrow().seq());
  }

  @Test
  void scanIsHalfOpenOrderedAndLimited() {
    putAll("a", "b", "ba", "bb", "c", "d");
    assertEquals(List.of("b", "ba", "bb"), keys(store.scan(b("b"), b("c"), 100)));
    assertEquals(List.of("b", "ba"), keys(store.scan(b("b"), b("c"), 2)));
    assertEquals(List.of("ba", "bb", "c"), keys(store.scan(b("b\0"), b("c\0"), 100)));
    assertEquals(List.of("a", "b"), keys(store.scan(Keys.unbounded(), b("ba"), 100)));
    assertEquals(List.of("c", "d"), keys(store.scan(b("bc"), Keys.unbounded(), 100)));
    assertEquals(6, store.scan(Keys.unbounded(), Keys.unbounded(), 100).size());
    assertEquals(List.of(), keys(store.scan(b("b"), b("b"), 100)));
    assertEquals(List.of(), keys(store.scan(b("e"), Keys.unbounded(), 100)));
    KeyValue first = store.scan(b("a"), b("b"), 1).get(0);
    assertEquals("v-a", s(first.value()));
    assertEquals(1, first.seq());
  }

  @Test
  void aScanPageStopsAtItsByteBudgetAndSaysThereIsMore() {
    for (int i = 0; i < 10; i++) {
      store.put(b("k" + i), new byte[100], i);
    }
    ScanPage first = store.scanPage(b("k"), b("l"), 100, 310);
    assertEquals(List.of("k0", "k1", "k2"), keys(first.entries()), "three entries of 102 bytes fit in 310");
    assertTrue(first.more());
    ScanPage rest = store.scanPage(Keys.successor(b("k2")), b("l"), 100, 10_000);
    assertEquals(7, rest.entries().size());
    assertFalse(rest.more());
    ScanPage byCount = store.scanPage(b("k"), b("l"), 2, 10_000);
    assertEquals(2, byCount.entries().size());
    assertFalse(byCount.more(), "a scan that stops at its limit is not cut short");
    assertEquals(1, store.scanPage(b("k"), b("l"), 5, 1).entries().size(), "at least one entry");
    byte[] longest = new byte[Keys.MAX_KEY_BYTES];
    store.scan(Keys.successor(longest), Keys.unbounded(), 1); // a bound one byte past the longest key
  }

  @Test
  void scanOrdersBytesUnsigned() {
    store.put(new byte[] {(byte) 0xff}, b("high"), 1);
    store.put(new byte[] {0x01}, b("low"), 2);
    store.put(new byte[] {(byte) 0x80, 0}, b("mid"), 3);
    List<KeyValue> all = store.scan(Keys.unbounded(), Keys.unbounded(), 10);
    assertEquals(List.of("low", "mid", "high"), all.stream().map(kv -> s(kv.value())).toList());
  }

  @Test
  void deleteRangeRemovesExactlyTheHalfOpenInterval() {
    putAll("a", "b", "ba", "bb", "c", "d");
    store.write(new WriteBatch().deleteRange(b("b"), b("c")));
    assertEquals(List.of("a", "c", "d"), keys(store.scan(Keys.unbounded(), Keys.unbounded(), 100)));
    store.write(new WriteBatch().deleteRange(b("c"), Keys.unbounded()));
    assertEquals(List.of("a"), keys(store.scan(Keys.unbounded(), Keys.unbounded(), 100)));
    store.write(new WriteBatch().deleteRange(Keys.unbounded(), Keys.unbounded()));
    assertEquals(List.of(), store.scan(Keys.unbounded(), Keys.unbounded(), 100));
  }

  @Test
  void aBatchCommitsDataAndMetadataOfSeveralRangesAtomically() {
    RangeMeta r1 = new RangeMeta(3, 10, b("a"), b("m"));
    RangeMeta r2 = new RangeMeta(4, 20, b("m"), Keys.unbounded());
    store.write(
        new WriteBatch()
            .put(b("b"), b("1"), 10)
            .put(b("x"), b("2"), 20)
            .putMeta(1, r1)
            .putMeta(2, r2));
    assertEquals(r1, store.meta(1).orElseThrow());
    assertEquals(r2, store.meta(2).orElseThrow());
    assertEquals(List.of(1L, 2L), List.copyOf(store.allMeta().keySet()));
    store.write(new WriteBatch().deleteMeta(1).putMeta(2, r2.withAppliedSeq(21)));
    assertTrue(store.meta(1).isEmpty());
    assertEquals(21, store.meta(2).orElseThrow().appliedSeq());

    // A failing condition applies nothing of its batch, metadata included.
    CommitResult r =
        store.write(
            new WriteBatch()
                .expect(b("b"), b("not-1"))
                .put(b("b"), b("changed"), 22)
                .putMeta(2, r2.withAppliedSeq(22)));
    assertFalse(r.applied());
    assertEquals("1", s(r.observed().get(0).orElseThrow().value()));
    assertEquals("1", s(store.get(b("b")).orElseThrow().value()));
    assertEquals(21, store.meta(2).orElseThrow().appliedSeq());
  }

  @Test
  void compareAndSetComparesValuesAndAbsence() {
    CasResult created = store.compareAndSet(b("k"), null, b("v1"), 1);
    assertTrue(created.applied());
    CasResult again = store.compareAndSet(b("k"), null, b("v2"), 2);
    assertFalse(again.applied());
    assertEquals(new Versioned(b("v1"), 1), again.current().orElseThrow());
    CasResult wrong = store.compareAndSet(b("k"), b("nope"), b("v2"), 2);
    assertFalse(wrong.applied());
    CasResult swapped = store.compareAndSet(b("k"), b("v1"), b("v2"), 2);
    assertTrue(swapped.applied());
    assertEquals(new Versioned(b("v2"), 2), swapped.current().orElseThrow());
    assertEquals(new Versioned(b("v2"), 2), store.get(b("k")).orElseThrow());
    store.delete(b("k"));
    CasResult onAbsent = store.compareAndSet(b("k"), b("v2"), b("v3"), 3);
    assertFalse(onAbsent.applied());
    assertTrue(onAbsent.current().isEmpty());
  }

  @Test
  void snapshotIsConsistentAndCarriesTheMetadataOfItsMoment() {
    putAll("a", "b", "c");
    store.write(new WriteBatch().putMeta(9, new RangeMeta(1, 3, b("a"), b("z"))));
    List<KeyValue> seen = new ArrayList<>();
    try (StoreSnapshot snap = store.snapshot(b("a"), b("c"))) {
      store.write(
          new WriteBatch()
              .put(b("a"), b("changed"), 4)
              .put(b("aa"), b("new"), 5)
              .delete(b("b"))
              .putMeta(9, new RangeMeta(1, 5, b("a"), b("z"))));
      snap.forEachRemaining(seen::add);
      assertEquals(3, snap.meta(9).orElseThrow().appliedSeq());
    }
    assertEquals(List.of("a", "b"), keys(seen));
    assertEquals("v-a", s(seen.get(0).value()));
    assertEquals(5, store.meta(9).orElseThrow().appliedSeq());
  }

  @Test
  void snapshotImportsIntoAnotherStore() {
    WriteBatch batch = new WriteBatch();
    for (int i = 0; i < 1000; i++) {
      batch.put(b(String.format("key%05d", i)), b("value" + i), i);
    }
    batch.put(longKey("key00500", 3000, "x"), b("long"), 5000);
    store.write(batch);
    try (SsdStore other =
            SsdStore.open(StoreSettings.defaults(dir.resolve("other")).withMapSizes(8 << 20, 64 << 20));
        StoreSnapshot snap = store.snapshot(b("key00100"), b("key00900"))) {
      long n = other.importEntries(snap, 64);
      assertEquals(801, n);
      assertEquals(
          store.scan(b("key00100"), b("key00900"), 10_000),
          other.scan(Keys.unbounded(), Keys.unbounded(), 10_000));
      assertEquals(5000, other.get(longKey("key00500", 3000, "x")).orElseThrow().seq());
    }
  }

  @Test
  void longKeysKeepTheirOrderAndIdentity() {
    byte[] shared = longKey("shared", 600, "");
    List<byte[]> keys = new ArrayList<>();
    for (String suffix : new String[] {"zz", "a", "m", "b", "\u0001", "mm"}) {
      keys.add(longKey(s(shared), 600 + 1 + suffix.length(), suffix));
    }
    keys.add(shared); // a key that is exactly a prefix of all the others
    keys.add(longKey("shared", KeyCodec.INLINE_MAX, "")); // the stored prefix itself
    keys.add(longKey("shared", 4096, "end"));
    keys.add(b("sharec")); // sorts before them all
    keys.add(b("shared\u00ff")); // after them all
    long seq = 1;
    for (byte[] k : keys) {
      store.put(k, b("v" + seq), seq++);
    }
    for (int i = 0; i < keys.size(); i++) {
      assertEquals(i + 1, store.get(keys.get(i)).orElseThrow().seq());
    }
    List<byte[]> sorted = new ArrayList<>(keys);
    sorted.sort(Keys::compare);
    List<KeyValue> scanned = store.scan(Keys.unbounded(), Keys.unbounded(), 100);
    assertEquals(sorted.size(), scanned.size());
    for (int i = 0; i < sorted.size(); i++) {
      assertArrayEquals(sorted.get(i), scanned.get(i).key(), "position " + i);
    }
    // Bounds that are themselves long keys inside the group.
    byte[] from = keys.get(2); // ...m
    byte[] to = keys.get(0); // ...zz
    List<KeyValue> inner = store.scan(from, to, 100);
    List<byte[]> expected = sorted.stream().filter(k -> Keys.inInterval(k, from, to)).toList();
    assertEquals(expected.size(), inner.size());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), inner.get(i).key());
    }
    store.write(new WriteBatch().deleteRange(from, to));
    for (byte[] k : keys) {
      assertEquals(!Keys.inInterval(k, from, to), store.get(k).isPresent());
    }
    store.delete(keys.get(0));
    assertTrue(store.get(keys.get(0)).isEmpty());
  }

  @Test
  void theReplicationLogKeepsRecordsPerRangeInOrderUntilTruncated() {
    WriteBatch batch = new WriteBatch();
    for (long seq = 1; seq <= 5; seq++) {
      batch.appendLog(7, seq, b("r7-" + seq)).appendLog(8, seq, b("r8-" + seq));
    }
    store.write(batch.put(b("k"), b("v"), 5));
    assertEquals(List.of(3L, 4L, 5L), store.readLog(7, 3, 10).stream().map(LogRecord::seq).toList());
    assertEquals("r8-2", s(store.readLog(8, 2, 1).get(0).entry()));
    store.write(new WriteBatch().truncateLog(7, 3));
    assertEquals(List.of(4L, 5L), store.readLog(7, 0, 10).stream().map(LogRecord::seq).toList());
    assertEquals(5, store.readLog(8, 0, 10).size(), "other ranges' logs are untouched");
    store.write(new WriteBatch().truncateLog(7, Long.MAX_VALUE));
    assertEquals(List.of(), store.readLog(7, 0, 10));
    assertEquals(List.of(), store.readLog(6, 0, 10));
    store.close();
    store = SsdStore.open(StoreSettings.defaults(dir.resolve("store")));
    assertEquals(5, store.readLog(8, 0, 10).size());
  }

  @Test
  void dataAndMetadataSurviveReopening() {
    putAll("a", "b");
    store.write(new WriteBatch().putMeta(5, new RangeMeta(2, 2, b("a"), b("c"))));
    store.close();
    store = SsdStore.open(StoreSettings.defaults(dir.resolve("store")));
    assertEquals("v-b", s(store.get(b("b")).orElseThrow().value()));
    assertEquals(2, store.meta(5).orElseThrow().epoch());
  }

  @Test
  void aClosedStoreRefusesWork() {
    store.close();
    assertThrows(StoreClosedException.class, () -> store.get(b("a")));
    assertThrows(StoreClosedException.class, () -> store.put(b("a"), b("v"), 1));
    assertTrue(store.submit(new WriteBatch().put(b("a"), b("v"), 1)).isCompletedExceptionally());
  }

  @Test
  void measureCountsWhatAnIntervalHoldsAcrossMemtableAndLmdbAndFindsItsMiddle() {
    WriteBatch first = new WriteBatch();
    for (int i = 0; i < 1000; i++) {
      first.put(b(String.format("k%05d", i)), new byte[100], i + 1);
    }
    store.write(first);
    store.flush(); // these are in LMDB now; what follows is (partly) in the memtable
    WriteBatch second = new WriteBatch();
    for (int i = 1000; i < 2000; i++) {
      second.put(b(String.format("k%05d", i)), new byte[100], i + 1);
    }
    second.delete(b("k00000")).put(b("k00001"), new byte[10], 3000);
    second.put(longKey("z", 600, "1"), b("long"), 3001);
    store.write(second);

    long keys = 0;
    long bytes = 0;
    for (KeyValue kv : store.scan(b(""), b(""), 10_000)) {
      keys++;
      bytes += kv.key().length + kv.value().length;
    }
    RangeSize all = store.measure(b(""), b(""));
    assertEquals(keys, all.keys());
    assertEquals(bytes, all.bytes());
    assertEquals(2000, all.keys()); // 2,000 short keys, one deleted, one long one
    // Equal entries: the middle by bytes is the middle by count, to within the sampling's precision.
    int middle = Integer.parseInt(s(all.middleKey()).substring(1, 6));
    assertTrue(Math.abs(middle - 1000) <= 16, "middle key " + s(all.middleKey()));

    RangeSize part = store.measure(b("k00010"), b("k00020"));
    assertEquals(10, part.keys());
    assertEquals(10 * (6 + 100), part.bytes());
    assertEquals("k00015", s(part.middleKey()));
    assertEquals(RangeSize.EMPTY, store.measure(b("l"), b("z")));
    assertEquals(0, store.measure(b("k00003"), b("k00004")).middleKey().length); // one key: no middle
    assertThrows(InvalidRequestException.class, () -> store.measure(b("b"), b("a")));
  }
}
