package dev.junction.store;

/**
 * What one interval of the store holds, measured by walking it ({@link SsdStore#measure}).
 *
 * @param keys the keys present (deleted keys are not counted)
 * @param bytes their keys' and values' bytes
 * @param middleKey a key near the middle of the interval by bytes (the interval's first key whose running
 *     total of bytes reaches half of {@code bytes}, to within about 1/256 of the interval): where a split
 *     would cut it in two halves of nearly equal size; empty when the interval holds fewer than two keys
 */
public record RangeSize(long keys, long bytes, byte[] middleKey) {
  public RangeSize {
    if (keys < 0 || bytes < 0) {
      throw new IllegalArgumentException("negative size: " + keys + " keys, " + bytes + " bytes");
    }
    middleKey = middleKey == null ? new byte[0] : middleKey;
  }

  /** An empty interval. */
  public static final RangeSize EMPTY = new RangeSize(0, 0, new byte[0]);

  @Override
  public boolean equals(Object o) {
    return o instanceof RangeSize r && r.keys == keys && r.bytes == bytes
        && java.util.Arrays.equals(r.middleKey, middleKey);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(keys) * 31 + Long.hashCode(bytes) * 17 + java.util.Arrays.hashCode(middleKey);
  }

  @Override
  public String toString() {
    return "RangeSize[keys=" + keys + ", bytes=" + bytes + ", middleKey=" + Keys.printable(middleKey) + "]";
  }
}
