package dev.junction.client;

import java.nio.charset.StandardCharsets;

/** Short names for UTF-8 bytes in tests. */
final class TestBytes {
  private TestBytes() {}

  static byte[] b(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static String s(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
