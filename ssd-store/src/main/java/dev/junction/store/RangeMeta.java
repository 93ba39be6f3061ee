package dev.junction.store;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What a node stores about one replica of a sub-range, next to its data and committed with it: the
 * configuration epoch it last accepted, the highest sequence number it has applied, its key interval
 * {@code [start, end)} (an empty {@code end} is open), the replica's slot in the range ({@link
 * #UNKNOWN_SLOT} when not recorded), and the highest sequence number the replica knew committed when it
 * stored this ({@link #UNKNOWN_COMMITTED} when not recorded). A node holds at most one replica of a range;
 * the slot tells a replica whether the data is its own or an earlier replica's of the same range on this
 * node.
 */
public record RangeMeta(long epoch, long appliedSeq, byte[] start, byte[] end, int slot, long committedSeq) {
  /** Format 1 had no slot; format 2 ends with it; format 3 adds the commit point. */
  private static final byte FORMAT_1 = 1;
  private static final byte FORMAT_2 = 2;
  private static final byte FORMAT = 3;
  public static final int UNKNOWN_SLOT = -1;
  public static final long UNKNOWN_COMMITTED = -1;

  public RangeMeta {
    if (epoch < 0 || appliedSeq < 0) {
      throw new InvalidRequestException("range metadata with a negative epoch or sequence number");
    }
    if (slot < UNKNOWN_SLOT) {
      throw new InvalidRequestException("range metadata with slot " + slot);
    }
    if (committedSeq < UNKNOWN_COMMITTED || committedSeq > appliedSeq) {
      throw new InvalidRequestException(
          "range metadata with commit point " + committedSeq + " beyond the applied sequence " + appliedSeq);
    }
    Keys.checkInterval(start, end);
    start = start.clone();
    end = end.clone();
  }

  /** Metadata with a slot and no commit point recorded. */
  public RangeMeta(long epoch, long appliedSeq, byte[] start, byte[] end, int slot) {
    this(epoch, appliedSeq, start, end, slot, UNKNOWN_COMMITTED);
  }

  /** Metadata with no slot and no commit point recorded. */
  public RangeMeta(long epoch, long appliedSeq, byte[] start, byte[] end) {
    this(epoch, appliedSeq, start, end, UNKNOWN_SLOT, UNKNOWN_COMMITTED);
  }

  /** A copy with a new applied sequence number (and no commit point beyond it). */
  public RangeMeta withAppliedSeq(long seq) {
    return new RangeMeta(epoch, seq, start, end, slot, Math.min(committedSeq, seq));
  }

  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + 8 + 4 + start.length + 4 + end.length + 4 + 8);
    b.put(FORMAT).putLong(epoch).putLong(appliedSeq);
    b.putInt(start.length).put(start).putInt(end.length).put(end);
    b.putInt(slot).putLong(committedSeq);
    return b.array();
  }

  static RangeMeta decode(ByteBuffer b) {
    byte format = b.get();
    if (format != FORMAT && format != FORMAT_2 && format != FORMAT_1) {
      throw new StoreException("range metadata in an unknown format " + format);
    }
    long epoch = b.getLong();
    long applied = b.getLong();
    byte[] start = new byte[b.getInt()];
    b.get(start);
    byte[] end = new byte[b.getInt()];
    b.get(end);
    int slot = format >= FORMAT_2 ? b.getInt() : UNKNOWN_SLOT;
    long committed = format >= FORMAT ? b.getLong() : UNKNOWN_COMMITTED;
    return new RangeMeta(epoch, applied, start, end, slot, committed);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RangeMeta m
        && epoch == m.epoch
        && appliedSeq == m.appliedSeq
        && slot == m.slot
        && committedSeq == m.committedSeq
        && Arrays.equals(start, m.start)
        && Arrays.equals(end, m.end);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(epoch) * 31 + Long.hashCode(appliedSeq);
  }

  @Override
  public String toString() {
    return "RangeMeta[epoch=" + epoch + ", appliedSeq=" + appliedSeq + ", committed=" + committedSeq + ", ["
        + Keys.printable(start) + ", " + (end.length == 0 ? "+inf" : Keys.printable(end)) + "), slot "
        + slot + "]";
  }
}
