package dev.junction.bench.ycsb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecordsTest {
  @Test
  void aRecordRoundTripsWithItsFieldsInOrder() {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    for (int i = 0; i < 10; i++) {
      fields.put("field" + i, ("value-" + i).repeat(10).getBytes(StandardCharsets.UTF_8));
    }
    fields.put("empty", new byte[0]);
    fields.put("naïve", new byte[] {0, (byte) 0xff});
    Map<String, byte[]> back = Records.decode(Records.encode(fields));
    assertEquals(fields.keySet().stream().toList(), back.keySet().stream().toList());
    fields.forEach((k, v) -> assertArrayEquals(v, back.get(k), k));
    assertThrows(IllegalArgumentException.class, () -> Records.decode(new byte[] {0, 0, 0, 5}));
  }
}
