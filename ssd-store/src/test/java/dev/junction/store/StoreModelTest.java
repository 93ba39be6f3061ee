package dev.junction.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random operations against the store and against a sorted in-memory model, compared after every step.
 * The keys mix short keys, keys around the inline limit, and long keys sharing their stored prefix, so
 * the prefix-and-digest encoding is exercised at every bound. A failing seed replays exactly.
 */
class StoreModelTest {
  @TempDir Path dir;

  private static final class Model {
    final TreeMap<byte[], Versioned> map = new TreeMap<>(Keys::compare);

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

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void storeBehavesLikeASortedMap(long seed) {
    Random r = new Random(seed);
    Model model = new Model();
    StoreSettings settings = StoreSettings.defaults(dir.resolve("s" + seed)).withMapSizes(4 << 20, 256 << 20);
    SsdStore store = SsdStore.open(settings);
    try {
      long seq = 0;
      for (int step = 0; step < 1500; step++) {
        String at = "seed " + seed + " step " + step;
        int op = r.nextInt(100);
        if (op < 40) {
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
        } else {
          byte[][] b = interval(r);
          int limit = 1 + r.nextInt(30);
          assertScan(model.scan(b[0], b[1], limit), store.scan(b[0], b[1], limit), at);
        }
      }
      List<KeyValue> all = model.scan(Keys.unbounded(), Keys.unbounded(), Integer.MAX_VALUE);
      assertScan(all, store.scan(Keys.unbounded(), Keys.unbounded(), Integer.MAX_VALUE), "final");
      store.close();
      store = SsdStore.open(settings);
      assertScan(all, store.scan(Keys.unbounded(), Keys.unbounded(), Integer.MAX_VALUE), "reopened");
    } finally {
      store.close();
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
