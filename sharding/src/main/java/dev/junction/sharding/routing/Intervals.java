package dev.junction.sharding.routing;

import dev.junction.store.Keys;

/**
 * Helpers for key intervals {@code [from, to)} where an empty {@code from} is the start of the key space and
 * an empty {@code to} is an open end (the convention of {@link Keys}). Package-private.
 */
final class Intervals {
  private Intervals() {}

  /** Rejects a missing bound and an inverted interval ({@code from > to} with {@code to} bounded). */
  static void check(byte[] from, byte[] to) {
    if (from == null || to == null) {
      throw new IllegalArgumentException(
          "interval bound is missing (use an empty key for an open end)");
    }
    if (to.length != 0 && Keys.compare(from, to) > 0) {
      throw new IllegalArgumentException(
          "interval start '" + Keys.printable(from) + "' is after its end '" + Keys.printable(to) + "'");
    }
  }

  /** True when {@code [from, to)} holds no key: {@code to} is bounded and not after {@code from}. */
  static boolean isEmpty(byte[] from, byte[] to) {
    return to.length != 0 && Keys.compare(from, to) >= 0;
  }

  /** The larger of two lower bounds (the empty key is the smallest). */
  static byte[] maxStart(byte[] a, byte[] b) {
    return Keys.compare(a, b) >= 0 ? a : b;
  }

  /** The smaller of two upper bounds, where an empty bound is open (larger than every key). */
  static byte[] minEnd(byte[] a, byte[] b) {
    if (a.length == 0) {
      return b;
    }
    if (b.length == 0) {
      return a;
    }
    return Keys.compare(a, b) <= 0 ? a : b;
  }
}
