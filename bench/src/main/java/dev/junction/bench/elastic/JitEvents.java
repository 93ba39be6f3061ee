package dev.junction.bench.elastic;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;

/**
 * What the JIT compilers of each JVM did in a window, from JFR recordings with {@code jdk.Compilation}
 * (threshold 0) and {@code jdk.Deoptimization} events ({@code bench/jit-events.jfc}; {@code
 * ELASTIC_JIT_EVENTS=1 bench/elastic.sh} records every node with it): how long compilations lasted (wall
 * time, which includes waiting for a core), how much of that recompiled a method at a level it had been
 * compiled at before in the same recording (code thrown away by a deoptimization), by level and by
 * package, and the deoptimizations by reason and method. Prints one block per recording.
 *
 * <pre>java dev.junction.bench.elastic.JitEvents FROM_EPOCH_MILLIS TO_EPOCH_MILLIS FILE.jfr...</pre>
 */
public final class JitEvents {
  private static final int TOP = 8;

  private JitEvents() {}

  /** One compilation: method (class.name descriptor), level, start and how long it lasted. */
  record Compilation(String type, String method, int level, Instant start, Duration duration) {}

  /** One deoptimization: method, its reason, when. */
  record Deoptimization(String type, String method, String reason, Instant time) {}

  /** What one JVM's compilers did in a window. */
  record Summary(int compilations, Duration total, Duration recompiled, Map<Integer, Duration> byLevel,
      Map<String, Duration> byPackage, int deoptimizations, Map<String, Integer> deoptimizedBy) {}

  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: JitEvents FROM_EPOCH_MILLIS TO_EPOCH_MILLIS FILE.jfr...");
      System.exit(2);
    }
    Instant from = Instant.ofEpochMilli(Long.parseLong(args[0]));
    Instant to = Instant.ofEpochMilli(Long.parseLong(args[1]));
    for (int i = 2; i < args.length; i++) {
      Path file = Path.of(args[i]);
      List<Compilation> compilations = new ArrayList<>();
      List<Deoptimization> deoptimizations = new ArrayList<>();
      read(file, compilations, deoptimizations);
      System.out.println(file.getFileName() + ": " + describe(summarize(compilations, deoptimizations, from, to)));
    }
  }

  /** The compilations and deoptimizations a recording holds. */
  static void read(Path file, List<Compilation> compilations, List<Deoptimization> deoptimizations)
      throws IOException {
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      String name = e.getEventType().getName();
      if (name.equals("jdk.Compilation")) {
        RecordedMethod m = e.getValue("method");
        compilations.add(new Compilation(m.getType().getName(), m.getName() + m.getDescriptor(),
            e.getInt("compileLevel"), e.getStartTime(), e.getDuration()));
      } else if (name.equals("jdk.Deoptimization")) {
        RecordedMethod m = e.getValue("method");
        deoptimizations.add(new Deoptimization(m.getType().getName(), m.getName(), e.getString("reason"),
            e.getStartTime()));
      }
    }
  }

  /**
   * The window {@code [from, to)} of one JVM's events. A compilation counts as recompiled when the same
   * method was compiled at the same level earlier in the recording (inside the window or before it).
   */
  static Summary summarize(List<Compilation> compilations, List<Deoptimization> deoptimizations, Instant from,
      Instant to) {
    List<Compilation> ordered = new ArrayList<>(compilations);
    ordered.sort(Comparator.comparing(Compilation::start));
    Set<String> seen = new HashSet<>();
    int count = 0;
    Duration total = Duration.ZERO;
    Duration recompiled = Duration.ZERO;
    Map<Integer, Duration> byLevel = new LinkedHashMap<>();
    Map<String, Duration> byPackage = new LinkedHashMap<>();
    for (Compilation c : ordered) {
      boolean again = !seen.add(c.type() + "." + c.method() + "@" + c.level());
      if (c.start().isBefore(from) || !c.start().isBefore(to)) {
        continue;
      }
      count++;
      total = total.plus(c.duration());
      if (again) {
        recompiled = recompiled.plus(c.duration());
      }
      byLevel.merge(c.level(), c.duration(), Duration::plus);
      byPackage.merge(packageOf(c.type()), c.duration(), Duration::plus);
    }
    int deopts = 0;
    Map<String, Integer> deoptimizedBy = new LinkedHashMap<>();
    for (Deoptimization d : deoptimizations) {
      if (!d.time().isBefore(from) && d.time().isBefore(to)) {
        deopts++;
        deoptimizedBy.merge(simpleName(d.type()) + "." + d.method() + " " + d.reason(), 1, Integer::sum);
      }
    }
    return new Summary(count, total, recompiled, byLevel, top(byPackage, Duration::compareTo), deopts,
        top(deoptimizedBy, Integer::compareTo));
  }

  /** A class's first three name components ({@code org.apache.pekko}, {@code dev.junction.chain}). */
  static String packageOf(String type) {
    String[] parts = type.split("\\.");
    int n = Math.min(3, parts.length - 1);
    return n <= 0 ? type : String.join(".", java.util.Arrays.copyOf(parts, n));
  }

  private static String simpleName(String type) {
    return type.substring(type.lastIndexOf('.') + 1);
  }

  private static <V> Map<String, V> top(Map<String, V> all, Comparator<V> order) {
    return all.entrySet().stream()
        .sorted(Map.Entry.<String, V>comparingByValue(order).reversed())
        .limit(TOP)
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
  }

  static String describe(Summary s) {
    return String.format(Locale.ROOT, "%d compilations lasting %.1f s, %.1f s of it recompiling (by level: %s);"
            + " %d deoptimizations%n  by package: %s%n  deoptimized: %s",
        s.compilations(), seconds(s.total()), seconds(s.recompiled()),
        s.byLevel().entrySet().stream().sorted(Map.Entry.comparingByKey())
            .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%.1f", seconds(e.getValue())))
            .collect(Collectors.joining(", ")),
        s.deoptimizations(),
        s.byPackage().entrySet().stream()
            .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%.1f", seconds(e.getValue())))
            .collect(Collectors.joining(", ")),
        s.deoptimizedBy().entrySet().stream().map(e -> e.getKey() + " ×" + e.getValue())
            .collect(Collectors.joining(", ")));
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
