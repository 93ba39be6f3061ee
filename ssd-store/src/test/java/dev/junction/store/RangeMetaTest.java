package dev.junction.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RangeMetaTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theSlotRoundTrips() {
    RangeMeta m = new RangeMeta(5, 77, b("a"), b("m"), 66);
    assertEquals(m, RangeMeta.decode(ByteBuffer.wrap(m.encode())));
    assertEquals(66, m.withAppliedSeq(78).slot());
  }

  @Test
  void metadataWrittenBeforeSlotsWereRecordedReadsWithAnUnknownSlot() {
    byte[] start = b("a");
    ByteBuffer old = ByteBuffer.allocate(1 + 8 + 8 + 4 + 1 + 4);
    old.put((byte) 1).putLong(3).putLong(9).putInt(1).put(start).putInt(0).flip();
    RangeMeta m = RangeMeta.decode(old);
    assertEquals(new RangeMeta(3, 9, start, new byte[0]), m);
    assertEquals(RangeMeta.UNKNOWN_SLOT, m.slot());
  }

  @Test
  void theCommitPointRoundTripsAndFormatTwoReadsWithAnUnknownOne() {
    RangeMeta m = new RangeMeta(5, 77, b("a"), b("m"), 66, 70);
    assertEquals(m, RangeMeta.decode(ByteBuffer.wrap(m.encode())));
    assertEquals(70, m.withAppliedSeq(78).committedSeq());
    assertEquals(60, m.withAppliedSeq(60).committedSeq(), "never beyond what is applied");
    ByteBuffer two = ByteBuffer.allocate(1 + 8 + 8 + 4 + 1 + 4 + 4);
    two.put((byte) 2).putLong(3).putLong(9).putInt(1).put(b("a")).putInt(0).putInt(4).flip();
    RangeMeta old = RangeMeta.decode(two);
    assertEquals(4, old.slot());
    assertEquals(RangeMeta.UNKNOWN_COMMITTED, old.committedSeq());
    assertThrows(InvalidRequestException.class, () -> new RangeMeta(1, 5, b("a"), b("b"), 0, 6));
  }

  @Test
  void aNegativeSlotOtherThanUnknownIsRefused() {
    assertThrows(InvalidRequestException.class, () -> new RangeMeta(1, 1, b("a"), b("b"), -2));
  }
}
