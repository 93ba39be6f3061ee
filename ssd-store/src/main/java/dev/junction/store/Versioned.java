package dev.junction.store;

import java.util.Arrays;

/**
 * A stored value with the sequence number of the write that produced it.
 *
 * @param value the value bytes (never null; may be empty)
 * @param seq the per-range sequence number assigned by the chain head
 */
public record Versioned(byte[] value, long seq) {
  @Override
  public boolean equals(Object o) {
    return o instanceof Versioned v && seq == v.seq && Arrays.equals(value, v.value);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(value) + Long.hashCode(seq);
  }

  @Override
  public String toString() {
    return "Versioned[" + value.length + " bytes, seq=" + seq + "]";
  }
}
