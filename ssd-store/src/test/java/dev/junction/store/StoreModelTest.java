package dev.junction.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Random operations against the store and against a sorted in-memory model, compared after every step.
 * The keys mix short keys, keys around the inline limit, and long keys sharing their stored prefix, so
 * the prefix-and-digest encoding is exercised at every bound; range metadata and replication logs
 * (appends, truncations) are modelled too. Each seed runs with the default memtable and with a tiny one
 * that is flushed after nearly every group commit (in the background, so reads also meet a memtable being
 * flushed). A failing seed replays exactly, up to the timing of background flushes.
 */
class StoreModelTest {
  @TempDir Path dir;

  private static final class Model {
    final TreeMap<byte[], Versioned> map = new TreeMap<>(Keys::compare);
    final TreeMap<Long, RangeMeta> meta = new TreeMap<>();
    final Map<Long, TreeMap<Long, byte[]>> logs = new HashMap<>();

    TreeMap<Long, byte[]> log(long rangeId) {
      return logs.computeIfAbsent(rangeId, r -> new TreeMap<>());
    }

    List<LogRecord> readLog(long rangeId, long fromSeq, int limit) {
      List<LogRecord> out = new ArrayList<>();
      for (Map.Entry<Long, byte[]> e : log(rangeId).tailMap(fromSeq, true).entrySet()) {
        if (out.size() == limit) {
          break;
        }
        out.add(new LogRecord(e.getKey(), e.getValue()));
      }
      return out;
    }

    /** What {@link SsdStore#scanPage} returns for a byte budget. */
    ScanPage page(byte[] from, byte[] to, int limit, long maxBytes) {
      List<KeyValue> all = scan(from, to, limit);
      List<KeyValue> out = new ArrayList<>();
      long bytes = 0;
      for (KeyValue kv : all) {
        long size = kv.key().length + kv.value().length;
        if (!out.isEmpty() && bytes + size > maxBytes) {
          return new ScanPage(out, true);
        }
        out.add(kv);
        bytes += size;
      }
      return new ScanPage(out, false);
    }

    List<KeyValue> scan(byte[] from, byte[] to, int limit) {
      List<KeyValue> out = new ArrayList<>();
      for (Map.Entry<byte[], Versioned> e : map.tailMap(from, true).entrySet()) {
        if (out.size() == limit || (to.length > 0 && Keys.compare(e.getKey(), to) >= 0)) {
          break;
        }
        out.add(new KeyValue(e.getKey(), e.getValue().value(), e.getValue().seq()));
      }
      return out;
    }
  }

  private static byte[] randomKey(Random r) {
    byte[] prefix = new byte[KeyCodec.INLINE_MAX];
    Arrays.fill(prefix, (byte) 'p');
    switch (r.nextInt(5)) {
      case 0:
      case 1: {
        byte[] k = new byte[1 + r.nextInt(3)];
        for (int i = 0; i < k.length; i++) {
          k[i] = (byte) ('a' + r.nextInt(4));
        }
        return k;
      }
      case 2: { // around the inline limit, sharing the long keys' prefix
        int len = KeyCodec.INLINE_MAX - 2 + r.nextInt(5);
        byte[] k = Arrays.copyOf(prefix, len);
        for (int i = Math.max(0, len - 2); i < len; i++) {
          k[i] = (byte) ('a' + r.nextInt(3));
        }
        return k;
      }
      default: { // a long key of the shared group, or of another group
        int len = KeyCodec.INLINE_MAX + 1 + r.nextInt(100);
        byte[] k = Arrays.copyOf(prefix, len);
        if (r.nextInt(4) == 0) {
          k[10] = 'q';
        }
        for (int i = KeyCodec.INLINE_MAX; i < len; i++) {
          k[i] = (byte) ('a' + r.nextInt(3));
        }
        return k;
      }
    }
  }

  private static byte[] bound(Random r) {
    return r.nextInt(6) == 0 ? Keys.unbounded() : randomKey(r);
  }

  @ParameterizedTest(name = "seed {0}, memtable of {1} bytes")
  @CsvSource({
    "1, 33554432", "2, 33554432", "3, 33554432", "4, 33554432", "5, 33554432",
    "1, 1024", "2, 1024", "3, 1024", "4, 1024", "5, 1024"
  })
  void storeBehavesLikeASortedMap(long seed, long memtableBytes) {
    Random r = new Random(seed);
    Model model = new Model();
    StoreSettings settings =
        StoreSettings.defaults(dir.resolve("s" + seed))
            .withMapSizes(4 << 20, 256 << 20)
            .withWal(64 << 10, memtableBytes, Duration.ofMillis(memtableBytes < 4096 ? 5 : 500));
    SsdStore store = SsdStore.open(settings);
    try {
      long seq = 0;
      for (int step = 0; step < 1500; step++) {
        String at = "seed " + seed + " step " + step;
        int op = r.nextInt(110);
        if (op >= 100) {
          seq = logAndMetaStep(r, op - 100, store, model, seq, at);
        } else if (op < 40) {
          byte[] k = randomKey(r);
          byte[] v = new byte[r.nextInt(20)];
          r.nextBytes(v);
          store.put(k, v, ++seq);
          model.map.put(k, new Versioned(v, seq));
        } else if (op < 55) {
          byte[] k = randomKey(r);
          store.delete(k);
          model.map.remove(k);
        } else if (op < 60) {
          byte[][] b = interval(r);
          if (b[0].length == 0 && b[1].length == 0) {
            continue;
          }
          store.write(new WriteBatch().deleteRange(b[0], b[1]));
          model.map.keySet().removeIf(k -> Keys.inInterval(k, b[0], b[1]));
        } else if (op < 75) {
          byte[] k = randomKey(r);
          Versioned cur = model.map.get(k);
          byte[] expected = r.nextBoolean() && cur != null ? cur.value() : r.nextBoolean() ? null : new byte[] {1};
          byte[] v = new byte[] {(byte) step};
          CasResult res = store.compareAndSet(k, expected, v, ++seq);
          boolean shouldApply =
              expected == null ? cur == null : cur != null && Arrays.equals(cur.value(), expected);
          assertEquals(shouldApply, res.applied(), at);
          if (shouldApply) {
            model.map.put(k, new Versioned(v, seq));
          } else {
            assertEquals(Optional.ofNullable(cur), res.current(), at);
          }
        } else if (op < 90) {
          byte[] k = randomKey(r);
          assertEquals(Optional.ofNullable(model.map.get(k)), store.get(k), at);
        } else if (op < 97) {
          byte[][] b = interval(r);
          int limit = 1 + r.nextInt(30);
          assertScan(model.scan(b[0], b[1], limit), store.scan(b[0], b[1], limit), at);
        } else if (op < 99) {
          byte[][] b = interval(r);
          int limit = 1 + r.nextInt(30);
          long maxBytes = r.nextInt(3000);
          ScanPage expected = model.page(b[0], b[1], limit, maxBytes);
          ScanPage actual = store.scanPage(b[0], b[1], limit, maxBytes);
          assertScan(expected.entries(), actual.entries(), at + " page");
          assertEquals(expected.more(), actual.more(), at + ": page has more");
        } else {
          byte[][] b = interval(r);
          List<KeyValue> seen = new ArrayList<>();
          try (StoreSnapshot snap = store.snapshot(b[0], b[1])) {
            snap.forEachRemaining(seen::add);
            assertEquals(Optional.ofNullable(model.meta.get(1L)), snap.meta(1), at + ": snapshot meta");
          }
          assertScan(model.scan(b[0], b[1], Integer.MAX_VALUE), seen, at + " snapshot");
        }
      }
      List<KeyValue> all = model.scan(Keys.unbounded(), Keys.unbounded(), Integer.MAX_VALUE);
      assertScan(all, store.scan(Keys.unbounded(), Keys.unbounded(), Integer.MAX_VALUE), "final");
      assertLogsAndMeta(model, store, "final");
      if (memtableBytes < 4096) {
        assertTrue(store.stats().flushes() > 100, "a tiny memtable is flushed all the time: " + store.stats());
      }
      store.close();
      store = SsdStore.open(settings);
      assertScan(all, store.scan(Keys.unbounded(), Keys.unbounded(), Integer.MAX_VALUE), "reopened");
      assertLogsAndMeta(model, store, "reopened");
    } finally {
      store.close();
    }
  }

  /** One step on range metadata or replication logs (ranges 0 to 2), sometimes with a data put. */
  private static long logAndMetaStep(Random r, int op, SsdStore store, Model model, long seq, String at) {
    long rangeId = r.nextInt(3);
    if (op < 3) {
      WriteBatch batch = new WriteBatch();
      for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
        long logSeq = r.nextInt(60);
        byte[] entry = new byte[1 + r.nextInt(40)];
        r.nextBytes(entry);
        batch.appendLog(rangeId, logSeq, entry);
        model.log(rangeId).put(logSeq, entry);
      }
      if (r.nextBoolean()) {
        byte[] k = randomKey(r);
        batch.put(k, new byte[] {7}, ++seq);
        model.map.put(k, new Versioned(new byte[] {7}, seq));
      }
      store.write(batch);
    } else if (op < 4) {
      long upTo = r.nextInt(70) - 5;
      store.write(new WriteBatch().truncateLog(rangeId, upTo));
      model.log(rangeId).headMap(upTo, true).clear();
    } else if (op < 6) {
      long from = r.nextInt(65) - 2;
      int limit = 1 + r.nextInt(20);
      assertLog(model.readLog(rangeId, Math.max(0, from), limit), store.readLog(rangeId, from, limit), at);
    } else if (op < 8) {
      if (r.nextInt(4) == 0) {
        store.write(new WriteBatch().deleteMeta(rangeId));
        model.meta.remove(rangeId);
      } else {
        RangeMeta m = new RangeMeta(r.nextInt(5), ++seq, new byte[] {1}, new byte[0], r.nextInt(3));
        store.write(new WriteBatch().putMeta(rangeId, m));
        model.meta.put(rangeId, m);
      }
    } else {
      assertEquals(model.meta, store.allMeta(), at + ": all metadata");
      assertEquals(Optional.ofNullable(model.meta.get(rangeId)), store.meta(rangeId), at + ": metadata");
    }
    return seq;
  }

  private static void assertLogsAndMeta(Model model, SsdStore store, String at) {
    assertEquals(model.meta, store.allMeta(), at + ": all metadata");
    for (long rangeId = 0; rangeId < 3; rangeId++) {
      assertLog(model.readLog(rangeId, 0, Integer.MAX_VALUE), store.readLog(rangeId, 0, Integer.MAX_VALUE),
          at + " range " + rangeId);
    }
  }

  private static void assertLog(List<LogRecord> expected, List<LogRecord> actual, String at) {
    assertEquals(
        expected.stream().map(LogRecord::seq).toList(),
        actual.stream().map(LogRecord::seq).toList(),
        at + ": log sequence numbers");
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i).entry(), actual.get(i).entry(), at + ": log record " + i);
    }
  }

  /** A random valid interval {from, to}. */
  private static byte[][] interval(Random r) {
    byte[] from = bound(r);
    byte[] to = bound(r);
    if (to.length > 0 && Keys.compare(from, to) > 0) {
      return new byte[][] {to, from};
    }
    return new byte[][] {from, to};
  }

  private static void assertScan(List<KeyValue> expected, List<KeyValue> actual, String at) {
    assertEquals(expected.size(), actual.size(), at + ": scan length");
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i).key(), actual.get(i).key(), at + ": key " + i);
      assertEquals(expected.get(i), actual.get(i), at + ": entry " + i);
    }
  }
}
