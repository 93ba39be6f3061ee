package dev.junction.client;

/** Byte-array helpers shared by the client (package-private). */
final class Bytes {
  private Bytes() {}

  /** Printable ASCII as is (backslash doubled), every other byte as {@code \xNN}. */
  static String escape(byte[] bytes) {
    StringBuilder out = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c == '\\') {
        out.append("\\\\");
      } else if (c >= 0x20 && c < 0x7f) {
        out.append((char) c);
      } else {
        out.append(String.format("\\x%02x", c));
      }
    }
    return out.toString();
  }
}
