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
    ByteBuffer in = ByteBuffer.wrap(value);
    try {
      int n = in.getInt();
      if (n < 0 || n > in.remaining() / 8) {
        throw new IllegalArgumentException("not a YCSB record: " + n + " fields in " + value.length + " bytes");
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
