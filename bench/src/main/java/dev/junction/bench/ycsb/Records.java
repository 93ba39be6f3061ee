package dev.junction.bench.ycsb;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YCSB record (field name to bytes) as one Junction value: the field count, then each field's name
 * (UTF-8) and bytes, each preceded by its length; every number a 4-byte big-endian int. Ten 100-byte
 * fields named {@code field0} to {@code field9} (YCSB's defaults) make a value of 1,144 bytes.
 */
final class Records {
  private Records() {}

  /**
   * Writes a record of YCSB's default shape (fields {@code field0..field9} of 100 bytes) to the file named
   * by the first argument: the value {@code bench/ceiling.sh}'s no-op servers answer every read with.
   */
  public static void main(String[] args) throws java.io.IOException {
    Map<String, byte[]> fields = new java.util.LinkedHashMap<>();
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 10; i++) {
      byte[] v = new byte[100];
      for (int j = 0; j < v.length; j++) {
        v[j] = (byte) (' ' + random.nextInt(95)); // printable, like YCSB's random strings
      }
      fields.put("field" + i, v);
    }
    java.nio.file.Files.write(java.nio.file.Path.of(args[0]), encode(fields));
  }

  static byte[] encode(Map<String, byte[]> fields) {
    List<byte[]> names = new ArrayList<>(fields.size());
    int size = 4;
    for (Map.Entry<String, byte[]> f : fields.entrySet()) {
      byte[] name = f.getKey().getBytes(StandardCharsets.UTF_8);
      names.add(name);
      size += 8 + name.length + f.getValue().length;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.putInt(fields.size());
    int i = 0;
    for (byte[] value : fields.values()) {
      byte[] name = names.get(i++);
      out.putInt(name.length).put(name).putInt(value.length).put(value);
    }
    return out.array();
  }

  /**
   * The fields of an encoded record, in their encoded order.
   *
   * @throws IllegalArgumentException if {@code value} is not exactly one encoded record
   */
  static Map<String, byte[]> decode(byte[] value) {
    return decode(ByteBuffer.wrap(value));
  }

  /** {@link #decode(byte[])} from a buffer (an entry's value read without a copy), from its position. */
  static Map<String, byte[]> decode(ByteBuffer in) {
    int size = in.remaining();
    try {
      int n = in.getInt();
      if (n < 0 || n > in.remaining() / 8) {
        throw new IllegalArgumentException("not a YCSB record: " + n + " fields in " + size + " bytes");
      }
      Map<String, byte[]> fields = new LinkedHashMap<>(n * 2);
      for (int i = 0; i < n; i++) {
        String name = new String(chunk(in), StandardCharsets.UTF_8);
        fields.put(name, chunk(in));
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException("not a YCSB record: " + in.remaining() + " bytes after the last field");
      }
      return fields;
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("not a YCSB record: it ends inside a field", e);
    }
  }

  private static byte[] chunk(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException("not a YCSB record: a length of " + length + " with " + in.remaining() + " bytes left");
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return bytes;
  }
}
