package dev.junction.bench.ycsb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import site.ycsb.ByteIterator;
import org.junit.jupiter.api.Test;

class RecordsTest {
  @Test
  void aRecordRoundTripsWithItsFieldsInOrder() {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    for (int i = 9; i >= 0; i--) {
      fields.put("field" + i, ("value-" + i).repeat(10).getBytes(StandardCharsets.UTF_8));
    }
    fields.put("empty", new byte[0]);
    fields.put("naïve", new byte[] {0, (byte) 0xff, '\n'});
    fields.put("", new byte[] {1});
    Map<String, byte[]> back = Records.decode(Records.encode(fields));
    assertEquals(List.copyOf(fields.keySet()), List.copyOf(back.keySet()));
    fields.forEach((k, v) -> assertArrayEquals(v, back.get(k), k));
    assertEquals(Map.of(), Records.decode(Records.encode(Map.of())));
  }

  @Test
  void aReadTakesOnlyTheFieldsItAsksFor() {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    for (int i = 0; i < 10; i++) {
      fields.put("field" + i, ("v" + i).getBytes(StandardCharsets.UTF_8));
    }
    byte[] value = Records.encode(fields);
    Map<String, ByteIterator> all = new HashMap<>();
    Records.decodeInto(ByteBuffer.wrap(value), null, all);
    assertEquals(fields.keySet(), all.keySet());
    fields.forEach((k, v) -> assertArrayEquals(v, all.get(k).toArray(), k));
    Map<String, ByteIterator> two = new HashMap<>();
    Records.decodeInto(ByteBuffer.wrap(value), Set.of("field3", "field7", "absent"), two);
    assertEquals(Set.of("field3", "field7"), two.keySet());
    assertEquals("v7", two.get("field7").toString());
    byte[] cut = Arrays.copyOf(value, value.length - 1);
    assertThrows(IllegalArgumentException.class,
        () -> Records.decodeInto(ByteBuffer.wrap(cut), Set.of("field0"), new HashMap<>()),
        "a record cut short is refused even when the missing part is a field not asked for");
  }

  @Test
  void ycsbsDefaultRecordIsAbout1Kb() {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    for (int i = 0; i < 10; i++) {
      fields.put("field" + i, new byte[100]);
    }
    assertEquals(4 + 10 * (4 + 6 + 4 + 100), Records.encode(fields).length);
  }

  @Test
  void whatIsNotOneRecordIsRefused() {
    byte[] good = Records.encode(Map.of("field0", new byte[] {1, 2, 3}));
    assertThrows(IllegalArgumentException.class, () -> Records.decode(new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> Records.decode(new byte[] {0, 0, 0, 5}));
    assertThrows(IllegalArgumentException.class, () -> Records.decode(new byte[] {(byte) 0xff, 0, 0, 0}));
    assertThrows(IllegalArgumentException.class, () -> Records.decode(Arrays.copyOf(good, good.length - 1)));
    assertThrows(IllegalArgumentException.class, () -> Records.decode(Arrays.copyOf(good, good.length + 1)));
    byte[] hugeLength = good.clone();
    hugeLength[4] = 0x7f; // the name's length
    assertThrows(IllegalArgumentException.class, () -> Records.decode(hugeLength));
    assertThrows(IllegalArgumentException.class, () -> Records.decode("red".getBytes(StandardCharsets.UTF_8)));
  }
}
