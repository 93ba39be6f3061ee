package dev.junction.bench.ycsb;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;

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
    Map<String, byte[]> fields = new LinkedHashMap<>(32);
    read(in, null, fields::put);
    return fields;
  }

  /**
   * Puts the fields named in {@code fields} (all when null) of the record in {@code in} into {@code
   * result}, as YCSB wants them; the others are skipped, not copied.
   *
   * @throws IllegalArgumentException if {@code in} does not hold exactly one encoded record
   */
  static void decodeInto(ByteBuffer in, Set<String> fields, Map<String, ByteIterator> result) {
    read(in, fields, (name, value) -> result.put(name, new ByteArrayByteIterator(value)));
  }

  private static void read(ByteBuffer in, Set<String> wanted, BiConsumer<String, byte[]> sink) {
    int size = in.remaining();
    try {
      int n = in.getInt();
      if (n < 0 || n > in.remaining() / 8) {
        throw new IllegalArgumentException("not a YCSB record: " + n + " fields in " + size + " bytes");
      }
      for (int i = 0; i < n; i++) {
        String name = new String(chunk(in), StandardCharsets.UTF_8);
        if (wanted == null || wanted.contains(name)) {
          sink.accept(name, chunk(in));
        } else {
          skip(in);
        }
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException("not a YCSB record: " + in.remaining() + " bytes after the last field");
      }
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("not a YCSB record: it ends inside a field", e);
    }
  }

  private static void skip(ByteBuffer in) {
    int length = length(in); // before position(): it moves past the length itself
    in.position(in.position() + length);
  }

  private static byte[] chunk(ByteBuffer in) {
    byte[] bytes = new byte[length(in)];
    in.get(bytes);
    return bytes;
  }

  private static int length(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException("not a YCSB record: a length of " + length + " with " + in.remaining() + " bytes left");
    }
    return length;
  }
}
