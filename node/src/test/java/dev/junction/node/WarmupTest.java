package dev.junction.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.junction.client.proto.RangeInfo;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class WarmupTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static RangeInfo range(String start, String end) {
    return RangeInfo.newBuilder().setStart(ByteString.copyFrom(b(start))).setEnd(ByteString.copyFrom(b(end))).build();
  }

  private static boolean flatAfter(double... rates) {
    Warmup.Plateau p = new Warmup.Plateau();
    for (int i = 0; i < rates.length; i++) {
      if (p.add(rates[i])) {
        return i == rates.length - 1;
      }
    }
    return false;
  }

  @Test
  void aRisingCurveIsNotFlatAndASteadyOneIs() {
    assertFalse(flatAfter(300, 500, 700, 900, 1100, 1300), "still climbing");
    assertFalse(flatAfter(1000, 1000, 1000), "too few windows to say");
    assertTrue(flatAfter(300, 1000, 1020, 990));
    assertTrue(flatAfter(300, 600, 900, 1200, 1250, 1230), "flat once the climb stops");
    assertFalse(flatAfter(300, 1000, 1000, 1070, 1150), "a slow climb within the spread is still a climb");
    assertFalse(flatAfter(0, 0, 0, 0, 0), "nothing served is not a plateau");
  }

  @Test
  void keysLieInsideTheirRangesAndScansStayAmongThem() {
    List<byte[]> keys = Warmup.keys(List.of(range("", "user1"), range("user1", "user2"), range("user9", "")), 3);
    assertEquals(9, keys.size());
    for (byte[] k : keys) {
      byte[] end = Warmup.scanEnd(k);
      assertTrue(Arrays.compareUnsigned(k, end) < 0);
    }
    assertArrayEquals(b("\0junction-warmup/0"), keys.get(0));
    assertArrayEquals(b("user1\0junction-warmup/2"), keys.get(5));
    assertArrayEquals(b("user1\0junction-warmup0"), Warmup.scanEnd(keys.get(5)));
    assertTrue(Arrays.compareUnsigned(b("user1\0junction-warmup0"), b("user10")) < 0, "user keys are not scanned");
    // A range too narrow to hold them gets none.
    assertEquals(0, Warmup.keys(List.of(range("a", "a\0")), 3).size());
  }
}
