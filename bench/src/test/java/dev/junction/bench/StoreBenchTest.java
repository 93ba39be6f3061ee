package dev.junction.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark runs end to end on a tiny data set. Nothing here is timed: speed is not a test result. */
class StoreBenchTest {
  private static final Pattern RATIOS =
      Pattern.compile(
          "store-vs-raw get=(\\d+\\.\\d\\d) batch-put=(\\d+\\.\\d\\d) groupcommit-speedup=(\\d+\\.\\d\\d)");

  @TempDir Path dir;

  @Test
  @Timeout(60)
  void tinyRunPrintsEveryPhaseAndTheRatiosLast() throws Exception {
    BenchOptions options =
        BenchOptions.parse("--quick", "--keys", "2000", "--seconds", "0.05", "--dir", dir.toString());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      StoreBench.run(options, out);
    }
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();

    Matcher m = RATIOS.matcher(lines.get(lines.size() - 1));
    assertTrue(m.matches(), "last line: " + lines.get(lines.size() - 1));
    for (int g = 1; g <= 3; g++) {
      double ratio = Double.parseDouble(m.group(g));
      assertTrue(ratio > 0 && Double.isFinite(ratio), "ratio " + g + " is " + ratio);
    }
    for (String phase : List.of("batch-put", "get", "groupcommit")) {
      assertTrue(
          lines.stream().anyMatch(l -> l.matches(phase + " raw=\\d+ \\S+ store=\\d+ \\S+ \\w+=\\d+\\.\\d\\d")),
          phase + " line missing in " + lines);
    }
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList(), "the run deletes its data");
    }
  }

  @Test
  void optionsHaveTheDocumentedDefaults() {
    BenchOptions full = BenchOptions.parse();
    assertEquals(1_000_000, full.keys());
    assertEquals(2, full.getThreads());
    assertEquals(Duration.ofSeconds(2), full.round());
    assertNull(full.dir());
    BenchOptions quick = BenchOptions.parse("--quick");
    assertEquals(100_000, quick.keys());
    assertEquals(Duration.ofSeconds(1), quick.round());
    assertNull(BenchOptions.parse("--help"));
    assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--keys"));
    assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--keys", "10"));
    assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--seconds", "0"));
    assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--frobnicate"));
  }
}
