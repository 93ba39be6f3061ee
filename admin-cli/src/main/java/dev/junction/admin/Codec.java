package dev.junction.admin;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** How junctionctl reads keys and values from arguments and prints them: UTF-8 text or hex. */
enum Codec {
  /** UTF-8 text (bytes that are not valid UTF-8 print as U+FFFD). */
  TEXT {
    @Override
    byte[] parse(String text) {
      return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    String format(byte[] bytes) {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    String label(byte[] bytes) {
      StringBuilder out = new StringBuilder();
      for (byte b : bytes) {
        int c = b & 0xff;
        boolean plain = c > 0x20 && c < 0x7f && c != '\\';
        out.append(plain ? String.valueOf((char) c) : String.format("\\x%02x", c));
      }
      return out.toString();
    }
  },

  /** Hex digits, two per byte (lower case when printed, either case when read). */
  HEX {
    @Override
    byte[] parse(String text) {
      if (text.length() % 2 != 0) {
        throw new IllegalArgumentException("'" + text + "' is not hex: odd number of digits");
      }
      try {
        return HexFormat.of().parseHex(text);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + text + "' is not hex", e);
      }
    }

    @Override
    String format(byte[] bytes) {
      return HexFormat.of().formatHex(bytes);
    }

    @Override
    String label(byte[] bytes) {
      return format(bytes);
    }
  };

  /**
   * Reads an argument.
   *
   * @throws IllegalArgumentException if it is not valid in this encoding
   */
  abstract byte[] parse(String text);

  /** Prints a key or value. */
  abstract String format(byte[] bytes);

  /**
   * Prints a key as a label in a table: like {@link #format}, but in text mode printable ASCII only,
   * every other byte (and space and backslash) as {@code \xNN}, since range bounds are often binary.
   */
  abstract String label(byte[] bytes);
}
