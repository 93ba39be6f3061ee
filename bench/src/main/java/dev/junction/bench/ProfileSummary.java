package dev.junction.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Summarizes CPU profiles in async-profiler's collapsed format ({@code frame;frame;...;leaf count} per
 * line): where the samples of one or more processes went, by the subsystem of the leaf frame (its own CPU
 * time) and by the subsystems a sample passes through (inclusive), and the hottest leaf frames. Used by
 * {@code bench/ycsb.sh --profile}; prints to standard output.
 *
 * <pre>java dev.junction.bench.ProfileSummary [--top N] LABEL=FILE[,FILE...] ...</pre>
 */
public final class ProfileSummary {
  /** Subsystems, in the order they are tried: the first whose pattern a frame matches names it. */
  static final Map<String, Pattern> SUBSYSTEMS = new LinkedHashMap<>();

  static {
    SUBSYSTEMS.put("lmdb", Pattern.compile("org[./]lmdbjava|^mdb_|liblmdb"));
    SUBSYSTEMS.put("kryo", Pattern.compile("com[./]esotericsoftware"));
    SUBSYSTEMS.put("protobuf", Pattern.compile("com[./]google[./]protobuf"));
    SUBSYSTEMS.put("netty", Pattern.compile("io[./]grpc[./]netty[./]shaded[./]io[./]netty|io[./]netty"));
    SUBSYSTEMS.put("grpc", Pattern.compile("io[./]grpc"));
    SUBSYSTEMS.put("pekko-remote", Pattern.compile("org[./]apache[./]pekko[./](remote|stream)"));
    SUBSYSTEMS.put("pekko", Pattern.compile("org[./]apache[./]pekko|scala[./]"));
    SUBSYSTEMS.put("ycsb", Pattern.compile("site[./]ycsb|org[./]HdrHistogram"));
    SUBSYSTEMS.put("junction", Pattern.compile("dev[./]junction"));
    SUBSYSTEMS.put("gc", Pattern.compile("G1|GCTask|ConcurrentGC|GangWorker|WorkerThread|SafepointSynchronize"));
    SUBSYSTEMS.put("jit", Pattern.compile("CompileBroker|C2Compiler|C1Compiler|Compilation::"));
    SUBSYSTEMS.put("jdk", Pattern.compile("^(java|javax|jdk|sun)[./]"));
    SUBSYSTEMS.put("syscall/native", Pattern.compile(".*"));
  }

  private ProfileSummary() {}

  public static void main(String[] args) throws IOException {
    int top = 15;
    List<String[]> inputs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--top")) {
        top = Integer.parseInt(args[++i]);
      } else {
        int eq = args[i].indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("expected LABEL=FILE[,FILE...], not " + args[i]);
        }
        inputs.add(new String[] {args[i].substring(0, eq), args[i].substring(eq + 1)});
      }
    }
    for (String[] in : inputs) {
      Profile p = new Profile();
      for (String file : in[1].split(",")) {
        if (!file.isBlank() && Files.exists(Path.of(file))) {
          p.read(Path.of(file));
        }
      }
      System.out.print(p.render(in[0], top));
    }
  }

  /** Sample counts of one set of files. */
  static final class Profile {
    long total;
    final Map<String, Long> selfBySubsystem = new LinkedHashMap<>();
    final Map<String, Long> inclusiveBySubsystem = new LinkedHashMap<>();
    final Map<String, Long> leaves = new LinkedHashMap<>();

    void read(Path file) throws IOException {
      for (String line : Files.readAllLines(file)) {
        add(line);
      }
    }

    void add(String line) {
      int space = line.lastIndexOf(' ');
      if (space <= 0) {
        return;
      }
      long n;
      try {
        n = Long.parseLong(line.substring(space + 1).trim());
      } catch (NumberFormatException e) {
        return;
      }
      String[] frames = line.substring(0, space).split(";");
      total += n;
      String leaf = frames[frames.length - 1];
      // A native leaf is charged to the nearest Java frame's subsystem when there is one (e.g. a write()
      // under netty counts as netty), else to what the leaf itself is.
      String self = null;
      for (int i = frames.length - 1; i >= 0 && self == null; i--) {
        String s = subsystem(frames[i]);
        if (!s.equals("syscall/native") && !s.equals("jdk")) {
          self = s;
        }
      }
      if (self == null) {
        self = subsystem(leaf);
      }
      selfBySubsystem.merge(self, n, Long::sum);
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (String f : frames) {
        String s = subsystem(f);
        if (seen.add(s)) {
          inclusiveBySubsystem.merge(s, n, Long::sum);
        }
      }
      leaves.merge(leaf, n, Long::sum);
    }

    static String subsystem(String frame) {
      for (Map.Entry<String, Pattern> e : SUBSYSTEMS.entrySet()) {
        if (e.getValue().matcher(frame).find()) {
          return e.getKey();
        }
      }
      return "syscall/native";
    }

    String render(String label, int top) {
      StringBuilder b = new StringBuilder();
      b.append(label).append(": ").append(total).append(" samples\n");
      if (total == 0) {
        return b.toString();
      }
      b.append("  by subsystem (own time, nearest Java frame)   |  passing through (inclusive)\n");
      for (String s : SUBSYSTEMS.keySet()) {
        long self = selfBySubsystem.getOrDefault(s, 0L);
        long incl = inclusiveBySubsystem.getOrDefault(s, 0L);
        if (self == 0 && incl == 0) {
          continue;
        }
        b.append(String.format(Locale.ROOT, "    %-16s %6.1f%%                        |  %6.1f%%%n", s,
            100.0 * self / total, 100.0 * incl / total));
      }
      b.append("  hottest leaf frames\n");
      leaves.entrySet().stream()
          .sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
          .limit(top)
          .forEach(e -> b.append(String.format(Locale.ROOT, "    %6.1f%%  %s%n", 100.0 * e.getValue() / total,
              e.getKey().length() > 110 ? e.getKey().substring(0, 110) + "..." : e.getKey())));
      return b.toString();
    }
  }
}
