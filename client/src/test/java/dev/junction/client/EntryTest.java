package dev.junction.client;

import static dev.junction.client.TestBytes.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Entries and compare-and-set results are values. */
class EntryTest {
  @Test
  void entriesWithEqualContentsAreEqual() {
    assertEquals(new Entry(b("k"), b("v"), 3), new Entry(b("k"), b("v"), 3));
    assertEquals(new Entry(b("k"), b("v"), 3).hashCode(), new Entry(b("k"), b("v"), 3).hashCode());
    assertNotEquals(new Entry(b("k"), b("v"), 3), new Entry(b("k"), b("v"), 4));
    assertNotEquals(new Entry(b("k"), b("v"), 3), new Entry(b("k"), b("w"), 3));
  }

  @Test
  void entriesCopyTheirArrays() {
    byte[] key = b("k");
    Entry entry = new Entry(key, b("v"), 1);
    key[0] = 'x';
    entry.value()[0] = 'x';

    assertArrayEquals(b("k"), entry.key());
    assertArrayEquals(b("v"), entry.value());
  }

  @Test
  void theValueBufferIsTheValueReadOnlyAndAReceivedEntryEqualsACopiedOne() {
    Entry received = Entry.received(b("k"), com.google.protobuf.ByteString.copyFromUtf8("value"), 4);
    java.nio.ByteBuffer buffer = received.valueBuffer();
    assertTrue(buffer.isReadOnly());
    byte[] read = new byte[buffer.remaining()];
    buffer.get(read);
    assertArrayEquals(b("value"), read);
    assertEquals(new Entry(b("k"), b("value"), 4), received);
    assertEquals(new Entry(b("k"), b("value"), 4).hashCode(), received.hashCode());
    assertThrows(java.nio.ReadOnlyBufferException.class, () -> received.valueBuffer().put(0, (byte) 'x'));
  }

  @Test
  void toStringEscapesTheKeyAndSizesTheValue() {
    assertEquals("Entry[key=k\\x00\\xff\\\\, value=2 bytes, seq=9]", new Entry(new byte[] {'k', 0, -1, '\\'}, b("vv"), 9).toString());
  }

  @Test
  void casResultsNeedACurrentOptional() {
    assertThrows(NullPointerException.class, () -> new CasResult(true, null));
    assertEquals(new CasResult(false, Optional.empty()), new CasResult(false, Optional.empty()));
  }
}
