package dev.junction.bench.elastic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.bench.elastic.JitEvents.Compilation;
import dev.junction.bench.elastic.JitEvents.Deoptimization;
import dev.junction.bench.elastic.JitEvents.Summary;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JitEventsTest {
  @TempDir Path dir;

  private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");

  private static Compilation comp(String type, String method, int level, int second, int millis) {
    return new Compilation(type, method, level, T0.plusSeconds(second), Duration.ofMillis(millis));
  }

  @Test
  void countsTheWindowAndTellsRecompilationsFromFirstCompilations() {
    List<Compilation> comps = List.of(
        comp("dev.junction.chain.ChainReplica", "onPeer()V", 4, 5, 100),        // before the window
        comp("dev.junction.chain.ChainReplica", "onPeer()V", 4, 12, 300),       // again, inside it
        comp("dev.junction.chain.ChainReplica", "onPeer()V", 3, 13, 20),        // another level: first
        comp("org.apache.pekko.actor.ActorCell", "invoke()V", 4, 15, 200),
        comp("org.apache.pekko.actor.ActorCell", "invoke()V", 4, 30, 999));     // after the window
    List<Deoptimization> deopts = List.of(
        new Deoptimization("dev.junction.chain.ChainReplica", "onPeer", "class_check", T0.plusSeconds(11)),
        new Deoptimization("dev.junction.chain.ChainReplica", "onPeer", "class_check", T0.plusSeconds(14)),
        new Deoptimization("java.util.TreeMap", "compare", "unstable_if", T0.plusSeconds(25)));

    Summary s = JitEvents.summarize(comps, deopts, T0.plusSeconds(10), T0.plusSeconds(20));

    assertEquals(3, s.compilations());
    assertEquals(Duration.ofMillis(520), s.total());
    assertEquals(Duration.ofMillis(300), s.recompiled());
    assertEquals(Map.of(4, Duration.ofMillis(500), 3, Duration.ofMillis(20)), s.byLevel());
    assertEquals(List.of("dev.junction.chain", "org.apache.pekko"), new ArrayList<>(s.byPackage().keySet()));
    assertEquals(Duration.ofMillis(320), s.byPackage().get("dev.junction.chain"));
    assertEquals(2, s.deoptimizations());
    assertEquals(Map.of("ChainReplica.onPeer class_check", 2), s.deoptimizedBy());
    String text = JitEvents.describe(s);
    assertTrue(text.startsWith("3 compilations lasting 0.5 s, 0.3 s of it recompiling (by level: 3 0.0, 4 0.5);"
        + " 2 deoptimizations"), text);
  }

  @Test
  void packagesAreTheFirstThreeNameComponents() {
    assertEquals("org.apache.pekko", JitEvents.packageOf("org.apache.pekko.cluster.ddata.Replicator"));
    assertEquals("java.util", JitEvents.packageOf("java.util.HashMap"));
    assertEquals("Main", JitEvents.packageOf("Main"));
  }

  @Test
  void readsTheCompilationsOfARealRecording() throws Exception {
    Path file = dir.resolve("jit.jfr");
    try (Recording r = new Recording(Configuration.getConfiguration("default"))) {
      r.enable("jdk.Compilation").withThreshold(Duration.ZERO);
      r.enable("jdk.Deoptimization");
      r.start();
      long sum = 0;
      for (int i = 0; i < 200_000; i++) { // bounded: enough calls for the JIT to compile the method
        sum += work(i);
      }
      assertTrue(sum != 42);
      r.stop();
      r.dump(file);
    }
    List<Compilation> comps = new ArrayList<>();
    List<Deoptimization> deopts = new ArrayList<>();
    JitEvents.read(file, comps, deopts);

    assertFalse(comps.isEmpty(), "a recording with jdk.Compilation at threshold 0 holds compilations");
    assertTrue(comps.stream().allMatch(c -> !c.type().isEmpty() && c.level() >= 1 && c.level() <= 4), comps.toString());
    Summary all = JitEvents.summarize(comps, deopts, Instant.EPOCH, Instant.now().plusSeconds(60));
    assertEquals(comps.size(), all.compilations());
  }

  private static long work(int i) {
    return (i * 31L) ^ (i >>> 3);
  }
}
