package dev.junction.store;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What a node stores about one replica of a sub-range, next to its data and committed with it: the
 * configuration epoch it last accepted, the highest sequence number it has applied, and its key interval
 * {@code [start, end)} (an empty {@code end} is open).
 */
public record RangeMeta(long epoch, long appliedSeq, byte[] start, byte[] end) {
  private static final byte FORMAT = 1;

  public RangeMeta {
    if (epoch < 0 || appliedSeq < 0) {
      throw new InvalidRequestException("range metadata with a negative epoch or sequence number");
    }
    Keys.checkInterval(start, end);
    start = start.clone();
    end = end.clone();
  }

  /** A copy with a new applied sequence number. */
  public RangeMeta withAppliedSeq(long seq) {
    return new RangeMeta(epoch, seq, start, end);
  }

  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + 8 + 4 + start.length + 4 + end.length);
    b.put(FORMAT).putLong(epoch).putLong(appliedSeq);
    b.putInt(start.length).put(start).putInt(end.length).put(end);
    return b.array();
  }

  static RangeMeta decode(ByteBuffer b) {
    byte format = b.get();
    if (format != FORMAT) {
      throw new StoreException("range metadata in an unknown format " + format);
    }
    long epoch = b.getLong();
    long applied = b.getLong();
    byte[] start = new byte[b.getInt()];
    b.get(start);
    byte[] end = new byte[b.getInt()];
    b.get(end);
    return new RangeMeta(epoch, applied, start, end);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RangeMeta m
        && epoch == m.epoch
        && appliedSeq == m.appliedSeq
        && Arrays.equals(start, m.start)
        && Arrays.equals(end, m.end);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(epoch) * 31 + Long.hashCode(appliedSeq);
  }

  @Override
  public String toString() {
    return "RangeMeta[epoch=" + epoch + ", appliedSeq=" + appliedSeq + ", ["
        + Keys.printable(start) + ", " + (end.length == 0 ? "+inf" : Keys.printable(end)) + ")]";
  }
}
