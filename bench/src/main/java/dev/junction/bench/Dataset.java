package dev.junction.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * The benchmark's data, the same for both sides: key {@code i} is {@code "user"} followed by {@code i} in 28
 * digits (32 bytes); its value is 1 KB drawn from a {@link Random} seeded with the run's seed and
 * {@code i}, so it is the same in every run and never has to be kept for all keys at once. Keys are
 * inserted in a seeded shuffled order.
 */
final class Dataset {
  static final int KEY_BYTES = 32;
  static final int VALUE_BYTES = 1024;

  private final long seed;
  private final byte[][] keys;
  private final int[] insertOrder;

  Dataset(int size, long seed) {
    this.seed = seed;
    this.keys = new byte[size][];
    for (int i = 0; i < size; i++) {
      keys[i] = key(i);
    }
    this.insertOrder = shuffled(size, new Random(seed));
  }

  static byte[] key(int i) {
    byte[] key = String.format(Locale.ROOT, "user%028d", i).getBytes(StandardCharsets.US_ASCII);
    if (key.length != KEY_BYTES) {
      throw new IllegalStateException("key " + i + " is not " + KEY_BYTES + " bytes");
    }
    return key;
  }

  private static int[] shuffled(int size, Random random) {
    int[] order = new int[size];
    Arrays.setAll(order, i -> i);
    for (int i = size - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  int size() {
    return keys.length;
  }

  /** Key {@code i} (shared, do not change). */
  byte[] keyAt(int i) {
    return keys[i];
  }

  /** The {@code position}-th key to insert. */
  int insertedAt(int position) {
    return insertOrder[position];
  }

  /** A fresh copy of the value of key {@code i}. */
  byte[] value(int i) {
    byte[] value = new byte[VALUE_BYTES];
    new Random(seed * 1_000_003L + i).nextBytes(value);
    return value;
  }

  /**
   * The keys and values inserted at positions {@code [from, to)}, materialized so that a timed loop only
   * writes.
   */
  Slice slice(int from, int to) {
    byte[][] k = new byte[to - from][];
    byte[][] v = new byte[to - from][];
    for (int p = from; p < to; p++) {
      int i = insertOrder[p];
      k[p - from] = keys[i];
      v[p - from] = value(i);
    }
    return new Slice(from, k, v);
  }

  /**
   * Consecutive entries of the insert order.
   *
   * @param first the insert position of the first entry; entry {@code j} is written with sequence number
   *     {@code first + j + 1}
   */
  record Slice(int first, byte[][] keys, byte[][] values) {
    int size() {
      return keys.length;
    }

    long seq(int j) {
      return first + j + 1L;
    }
  }
}
