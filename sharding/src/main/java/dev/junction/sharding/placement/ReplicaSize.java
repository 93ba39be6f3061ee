package dev.junction.sharding.placement;

import java.util.Arrays;

/**
 * What one replica holds, as its node measured it: the keys and bytes in the range's interval, a key near
 * its middle by bytes (empty with fewer than two keys), and the sequence number the replica had applied.
 */
public record ReplicaSize(long rangeId, int slot, long keys, long bytes, byte[] middleKey, long appliedSeq) {
  public ReplicaSize {
    if (keys < 0 || bytes < 0) {
      throw new IllegalArgumentException("range " + rangeId + ": negative size");
    }
    middleKey = middleKey == null ? new byte[0] : middleKey;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReplicaSize r && r.rangeId == rangeId && r.slot == slot && r.keys == keys
        && r.bytes == bytes && r.appliedSeq == appliedSeq && Arrays.equals(r.middleKey, middleKey);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(rangeId) * 31 + slot * 17 + Long.hashCode(keys) + Long.hashCode(appliedSeq);
  }

  @Override
  public String toString() {
    return "ReplicaSize[range=" + rangeId + ", slot=" + slot + ", keys=" + keys + ", bytes=" + bytes
        + ", appliedSeq=" + appliedSeq + "]";
  }
}
