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

  private static boolean quietAfter(double[]... windows) {
    Warmup.JitQuiet q = new Warmup.JitQuiet();
    for (int i = 0; i < windows.length; i++) {
      if (q.add(windows[i])) {
        return i == windows.length - 1;
      }
    }
    return false;
  }

  private static double[] w(double... shares) {
    return shares;
  }

  @Test
  void theCompilersAreQuietOnceEveryNodeCompiledLittleOnAverageOverTheLastWindows() {
    // The curve of a real warm-up (three nodes, 5-s windows): quiet once the bursts thin out.
    assertTrue(quietAfter(w(0.9, 0.8, 0.9), w(0.38, 0.23, 0.34), w(0.10, 0.15, 0.16), w(0.13, 0.15, 0.22),
        w(0.09, 0.06, 0.06), w(0.06, 0.08, 0.05), w(0.22, 0.18, 0.28), w(0.14, 0.10, 0.05), w(0.18, 0.17, 0.10),
        w(0.05, 0.04, 0.03), w(0.03, 0.06, 0.01)));
    assertFalse(quietAfter(w(0.05, 0.05, 0.05), w(0.05, 0.05, 0.05), w(0.05, 0.05, 0.05)), "too few windows to say");
    assertFalse(quietAfter(w(0.05, 0.05, 0.05), w(0.05, 0.5, 0.05), w(0.05, 0.05, 0.05), w(0.05, 0.05, 0.05)),
        "one busy window of one node outweighs three quiet ones");
    assertFalse(quietAfter(w(0.2, 0.02, 0.02), w(0.3, 0.02, 0.02), w(0.15, 0.0, 0.0), w(0.11, 0.0, 0.0)),
        "one node still compiling is not quiet");
    assertTrue(quietAfter(w(0.9, 0.9), w(0.1, 0.1), w(0.1, 0.1), w(0.1, 0.1), w(0.1, 0.1)),
        "the busy window has left the average");
  }

  @Test
  void compileSharesAreUnknownWhenANodeDoesNotTell() {
    assertArrayEquals(new double[] {0.5, 0.0, 0.25},
        Warmup.JitQuiet.shares(new long[] {1000, 2000, 3000}, new long[] {3500, 2000, 4250}, 5000), 1e-9);
    assertEquals(null, Warmup.JitQuiet.shares(null, new long[] {1}, 5000));
    assertEquals(null, Warmup.JitQuiet.shares(new long[] {1, 2}, new long[] {1}, 5000), "a node went away");
    assertEquals("; JIT per node 50% 0%", Warmup.JitQuiet.describe(new double[] {0.5, 0.0}));
    assertEquals("", Warmup.JitQuiet.describe(null));
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

  @Test
  void newKeysAreDistinctAndStayAmongTheWarmUpKeysOfTheirRange() {
    byte[] near = b("user1\0junction-warmup/2");
    byte[] a = Warmup.freshKey(near, "1f/3", 0);
    byte[] b = Warmup.freshKey(near, "1f/3", 1);
    byte[] c = Warmup.freshKey(near, "1f/4", 0);
    assertArrayEquals(b("user1\0junction-warmup/2/new/1f/3/0"), a);
    assertTrue(Arrays.compareUnsigned(a, b) != 0 && Arrays.compareUnsigned(a, c) != 0 && Arrays.compareUnsigned(b, c) != 0);
    for (byte[] k : List.of(a, b, c)) {
      // Inside the interval the warm-up scans (so scans meet them) and under the reserved name.
      assertTrue(Arrays.compareUnsigned(near, k) < 0 && Arrays.compareUnsigned(k, Warmup.scanEnd(near)) < 0);
      assertTrue(Arrays.compareUnsigned(k, b("user10")) < 0, "below every user key of the range");
    }
  }
}
