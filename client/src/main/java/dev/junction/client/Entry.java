package dev.junction.client;

import com.google.protobuf.ByteString;
import dev.junction.client.proto.KeyValue;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A stored entry: a key, its value and the sequence number of the write that produced the value.
 * Immutable: arrays are copied on the way in and out ({@link #valueBuffer} reads the value without a
 * copy). Two entries are equal when their keys, values and sequence numbers are.
 *
 * <p>An entry the client made from a response keeps the response's value as it is: a read used to copy
 * a 1 KB value three times before the caller saw it.
 */
public final class Entry {
  private final byte[] key;
  private final ByteString value;
  private final long seq;

  /**
   * Copies the arrays.
   *
   * @param key the key, 1 B to 4 KiB
   * @param value the value, possibly empty
   * @param seq sequence number of the write that produced the value, within the key's range
   */
  public Entry(byte[] key, byte[] value, long seq) {
    this(Objects.requireNonNull(key, "key").clone(), ByteString.copyFrom(Objects.requireNonNull(value, "value")),
        seq);
  }

  /** Keeps {@code key} (the caller's own copy) and {@code value} (immutable) as they are. */
  private Entry(byte[] key, ByteString value, long seq) {
    this.key = key;
    this.value = value;
    this.seq = seq;
  }

  /** An entry of a response: {@code key} must be an array nobody else holds. */
  static Entry received(byte[] key, ByteString value, long seq) {
    return new Entry(key, value, seq);
  }

  static Entry of(KeyValue kv) {
    return new Entry(kv.getKey().toByteArray(), kv.getValue(), kv.getSeq());
  }

  /** The key (a copy). */
  public byte[] key() {
    return key.clone();
  }

  /** The value (a copy). */
  public byte[] value() {
    return value.toByteArray();
  }

  /** The value as a read-only buffer, without copying it. */
  public ByteBuffer valueBuffer() {
    return value.asReadOnlyByteBuffer();
  }

  /** The sequence number of the write that produced the value. */
  public long seq() {
    return seq;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Entry e
        && seq == e.seq
        && Arrays.equals(key, e.key)
        && value.equals(e.value);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(key) + value.hashCode()) + Long.hashCode(seq);
  }

  /** Shows the key (printable ASCII as is, other bytes as {@code \xNN}), the value's size and seq. */
  @Override
  public String toString() {
    return "Entry[key=" + Bytes.escape(key) + ", value=" + value.size() + " bytes, seq=" + seq + "]";
  }
}
