package dev.junction.bench.ycsb;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A YCSB record (field name to bytes) as one Junction value: the field count, then each field's name
 * (UTF-8) and bytes, each length-prefixed. Ten 100-byte fields (YCSB's defaults) make a value of about
 * 1.1 KB.
 */
final class Records {
  private Records() {}

  static byte[] encode(Map<String, byte[]> fields) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(1200);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(fields.size());
      for (Map.Entry<String, byte[]> f : fields.entrySet()) {
        byte[] name = f.getKey().getBytes(StandardCharsets.UTF_8);
        out.writeInt(name.length);
        out.write(name);
        out.writeInt(f.getValue().length);
        out.write(f.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static Map<String, byte[]> decode(byte[] value) {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(value))) {
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        byte[] name = new byte[in.readInt()];
        in.readFully(name);
        byte[] v = new byte[in.readInt()];
        in.readFully(v);
        fields.put(new String(name, StandardCharsets.UTF_8), v);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("not a YCSB record", e);
    }
    return fields;
  }
}
