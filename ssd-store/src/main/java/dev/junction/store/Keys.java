package dev.junction.store;

import java.util.Arrays;

/**
 * Key limits and byte-string helpers. Keys are compared as unsigned bytes, lexicographically; an interval
 * {@code [from, to)} uses an empty {@code from} for "from the first key" and an empty {@code to} for
 * "to the last key" (a real key is never empty).
 */
public final class Keys {
  /** Smallest key, in bytes. */
  public static final int MIN_KEY_BYTES = 1;
  /** Largest key, in bytes. */
  public static final int MAX_KEY_BYTES = 4096;
  /**
   * Longest interval bound: one byte more than the longest key, so that {@code key + "\0"} (the bound
   * just after any key) is always a valid bound.
   */
  public static final int MAX_BOUND_BYTES = MAX_KEY_BYTES + 1;

  /** Largest value the store accepts at all; {@code junction.store.max-value-size} may set it lower. */
  public static final int MAX_VALUE_BYTES = 1 << 20;

  private static final byte[] EMPTY = new byte[0];

  private Keys() {}

  /** The empty byte string: an unbounded end of an interval. */
  public static byte[] unbounded() {
    return EMPTY;
  }

  /** Unsigned lexicographic order, the order of the store. */
  public static int compare(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  static void checkKey(byte[] key) {
    if (key == null) {
      throw new InvalidRequestException("key is missing");
    }
    if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
      throw new InvalidRequestException(
          "key is " + key.length + " bytes; keys must be " + MIN_KEY_BYTES + " to " + MAX_KEY_BYTES
              + " bytes");
    }
  }

  static void checkValue(byte[] value, int maxValueBytes) {
    if (value == null) {
      throw new InvalidRequestException("value is missing (use an empty value, or a delete)");
    }
    if (value.length > maxValueBytes) {
      throw new InvalidRequestException(
          "value is " + value.length + " bytes; this store accepts values up to " + maxValueBytes
              + " bytes");
    }
  }

  static void checkSeq(long seq) {
    if (seq < 0) {
      throw new InvalidRequestException("sequence number " + seq + " is negative");
    }
  }

  /** Checks {@code [from, to)}; an empty bound is open. {@code from == to} is a valid empty interval. */
  static void checkInterval(byte[] from, byte[] to) {
    if (from == null || to == null) {
      throw new InvalidRequestException("interval bound is missing (use an empty key for an open end)");
    }
    if (from.length > MAX_BOUND_BYTES || to.length > MAX_BOUND_BYTES) {
      throw new InvalidRequestException(
          "interval bound is longer than " + MAX_BOUND_BYTES + " bytes (the longest key plus one)");
    }
    if (to.length > 0 && compare(from, to) > 0) {
      throw new InvalidRequestException(
          "interval start " + printable(from) + " is after its end " + printable(to));
    }
  }

  /** The smallest byte string after {@code key}: {@code key + "\0"}. */
  public static byte[] successor(byte[] key) {
    return Arrays.copyOf(key, key.length + 1);
  }

  /** True when {@code key} lies in {@code [from, to)} (empty bounds are open). */
  public static boolean inInterval(byte[] key, byte[] from, byte[] to) {
    return compare(key, from) >= 0 && (to.length == 0 || compare(key, to) < 0);
  }

  /**
   * True when the intervals {@code [aFrom, aTo)} and {@code [bFrom, bTo)} share a key (an empty end is
   * open; both intervals are assumed non-empty).
   */
  public static boolean overlap(byte[] aFrom, byte[] aTo, byte[] bFrom, byte[] bTo) {
    return (aTo.length == 0 || compare(bFrom, aTo) < 0) && (bTo.length == 0 || compare(aFrom, bTo) < 0);
  }

  /** A short, log-friendly rendering: printable ASCII as is, other bytes as {@code \xNN}. */
  public static String printable(byte[] key) {
    StringBuilder sb = new StringBuilder();
    int shown = Math.min(key.length, 64);
    for (int i = 0; i < shown; i++) {
      int b = key[i] & 0xff;
      if (b >= 0x20 && b < 0x7f && b != '\\') {
        sb.append((char) b);
      } else {
        sb.append(String.format("\\x%02x", b));
      }
    }
    if (shown < key.length) {
      sb.append("...(").append(key.length).append(" bytes)");
    }
    return sb.toString();
  }
}
