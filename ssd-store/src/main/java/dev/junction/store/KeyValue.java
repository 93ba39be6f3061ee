package dev.junction.store;

import java.util.Arrays;

/** One stored entry: key, value and the sequence number of the write that produced it. */
public record KeyValue(byte[] key, byte[] value, long seq) {
  @Override
  public boolean equals(Object o) {
    return o instanceof KeyValue kv
        && seq == kv.seq
        && Arrays.equals(key, kv.key)
        && Arrays.equals(value, kv.value);
  }

  @Override
  public int hashCode() {
    return (31 * Arrays.hashCode(key) + Arrays.hashCode(value)) * 31 + Long.hashCode(seq);
  }

  @Override
  public String toString() {
    return "KeyValue[key=" + Keys.printable(key) + ", " + value.length + " bytes, seq=" + seq + "]";
  }
}
