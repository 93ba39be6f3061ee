package dev.junction.client;

import dev.junction.client.proto.KeyValue;
import java.util.Arrays;
import java.util.Objects;

/**
 * A stored entry: a key, its value and the sequence number of the write that produced the value.
 * Immutable: the arrays are copied on the way in and out. Two entries are equal when their keys,
 * values and sequence numbers are.
 *
 * @param key the key, 1 B to 4 KiB
 * @param value the value, possibly empty
 * @param seq sequence number of the write that produced the value, within the key's range
 */
public record Entry(byte[] key, byte[] value, long seq) {
  /** Copies the arrays. */
  public Entry {
    key = Objects.requireNonNull(key, "key").clone();
    value = Objects.requireNonNull(value, "value").clone();
  }

  /** The key (a copy). */
  @Override
  public byte[] key() {
    return key.clone();
  }

  /** The value (a copy). */
  @Override
  public byte[] value() {
    return value.clone();
  }

  static Entry of(KeyValue kv) {
    return new Entry(kv.getKey().toByteArray(), kv.getValue().toByteArray(), kv.getSeq());
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Entry e
        && seq == e.seq
        && Arrays.equals(key, e.key)
        && Arrays.equals(value, e.value);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(key) + Arrays.hashCode(value)) + Long.hashCode(seq);
  }

  /** Shows the key (printable ASCII as is, other bytes as {@code \xNN}), the value's size and seq. */
  @Override
  public String toString() {
    return "Entry[key=" + Bytes.escape(key) + ", value=" + value.length + " bytes, seq=" + seq + "]";
  }
}
