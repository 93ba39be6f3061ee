package dev.junction.store;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Helpers shared by the store's tests. */
final class TestKeys {
  private TestKeys() {}

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String s(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /** A key of {@code length} bytes: {@code prefix} padded with 'p', ending in {@code suffix}. */
  static byte[] longKey(String prefix, int length, String suffix) {
    StringBuilder sb = new StringBuilder(prefix);
    while (sb.length() < length - suffix.length()) {
      sb.append('p');
    }
    sb.append(suffix);
    return b(sb.toString());
  }

  /** Waits for a condition with a deadline; fails the test when the deadline passes. */
  static void await(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(10); // polling interval of a deadline wait, not a timing assumption
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }
}
