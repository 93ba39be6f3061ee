package dev.junction.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** Text and hex encodings, durations, tables. */
class CodecTest {
  @Test
  void textIsUtf8() {
    assertArrayEquals(new byte[] {'h', (byte) 0xc3, (byte) 0xa9}, Codec.TEXT.parse("hé"));
    assertEquals("hé", Codec.TEXT.format(new byte[] {'h', (byte) 0xc3, (byte) 0xa9}));
  }

  @Test
  void textLabelsEscapeWhatIsNotPrintableAscii() {
    assertEquals("a\\x20b\\x00\\xff\\x5c", Codec.TEXT.label(new byte[] {'a', ' ', 'b', 0, -1, '\\'}));
  }

  @Test
  void hexRoundTripsInEitherCase() {
    assertArrayEquals(new byte[] {0, (byte) 0xab}, Codec.HEX.parse("00AB"));
    assertEquals("00ab", Codec.HEX.format(new byte[] {0, (byte) 0xab}));
    assertEquals("00ab", Codec.HEX.label(new byte[] {0, (byte) 0xab}));
    assertArrayEquals(new byte[0], Codec.HEX.parse(""));
  }

  @Test
  void badHexIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> Codec.HEX.parse("abc"));
    assertThrows(IllegalArgumentException.class, () -> Codec.HEX.parse("zz"));
  }

  @Test
  void durationsTakeAUnitOrIso8601() {
    DurationConverter converter = new DurationConverter();
    assertEquals(Duration.ofMillis(500), converter.convert("500ms"));
    assertEquals(Duration.ofSeconds(5), converter.convert("5s"));
    assertEquals(Duration.ofMinutes(2), converter.convert("2M"));
    assertEquals(Duration.ofHours(1), converter.convert("1h"));
    assertEquals(Duration.ofSeconds(7), converter.convert("PT7S"));
    for (String bad : List.of("", "5", "0s", "-1s", "PT0S", "five")) {
      assertThrows(TypeConversionException.class, () -> converter.convert(bad), bad);
    }
  }

  @Test
  void chainsNameHeadAndTail() {
    assertEquals("(no replicas)", RangesCommand.chain(List.of()));
  }
}
