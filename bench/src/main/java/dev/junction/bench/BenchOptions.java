package dev.junction.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The settings of one {@link StoreBench} run, from its command line.
 *
 * @param keys keys loaded into each side
 * @param quick the short profile (fewer keys, shorter and fewer rounds)
 * @param dir where the data goes; null for a fresh temporary directory that is deleted at the end
 * @param getThreads threads doing random gets
 * @param round how long one timed round of one side lasts
 * @param rounds timed rounds per side of the get and the group-commit phases (even, so that each side goes
 *     first equally often)
 * @param seed seed of every random choice (key order, values, keys read)
 */
record BenchOptions(
    int keys,
    boolean quick,
    Path dir,
    int getThreads,
    Duration round,
    int rounds,
    long seed) {

  static final int FULL_KEYS = 1_000_000;
  static final int QUICK_KEYS = 100_000;
  static final int MIN_KEYS = 1_000;
  static final int MAX_KEYS = 5_000_000;
  static final long DEFAULT_SEED = 20_240_601L;

  static final String USAGE =
      String.join(
          "\n",
          "usage: bench/store-bench.sh [--quick] [--keys N] [--dir DIR] [--threads T] [--seconds S]",
          "                            [--rounds R]",
          "",
          "Compares ssd-store with raw LMDB-Java in one run, on the same data (32-byte keys, 1 KB values):",
          "random gets, puts in batches of 64, and 8 concurrent single-put writers in fsync mode (group",
          "commit against one raw commit per put). The last line is",
          "  store-vs-raw get=R batch-put=R groupcommit-speedup=R",
          "(targets: get >= 0.9, batch-put >= 0.9, groupcommit-speedup >= 3).",
          "",
          "  --quick        short run: 100,000 keys, 4 rounds of 1 s per side in the get and group-commit",
          "                 phases (default: 1,000,000 keys, 6 rounds of 2 s)",
          "  --keys N       keys loaded into each side (" + MIN_KEYS + " to " + MAX_KEYS + "; overrides --quick)",
          "  --dir DIR      where the data goes; must be empty or missing, and what the run creates in it is",
          "                 deleted at the end. Default: a fresh directory under bench/target/ (or the",
          "                 system's temporary directory), deleted at the end",
          "  --threads T    threads doing random gets (default 2)",
          "  --seconds S    length of one timed round of one side (default 2, with --quick 1)",
          "  --rounds R     timed rounds per side in the get and group-commit phases (even; default 6,",
          "                 with --quick 4)",
          "  --help         this text");

  BenchOptions {
    if (keys < MIN_KEYS || keys > MAX_KEYS) {
      throw new IllegalArgumentException(
          "--keys must be " + MIN_KEYS + " to " + MAX_KEYS + ", not " + keys);
    }
    if (getThreads < 1 || getThreads > 256) {
      throw new IllegalArgumentException("--threads must be 1 to 256, not " + getThreads);
    }
    if (round.isNegative() || round.isZero() || round.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("--seconds must be above 0 and at most 3600");
    }
    if (rounds < 2 || rounds % 2 != 0) {
      throw new IllegalArgumentException("--rounds must be even and at least 2, not " + rounds);
    }
  }

  /**
   * Parses the command line.
   *
   * @return the options, or null when {@code --help} was asked for
   * @throws IllegalArgumentException for an unknown option or a bad value, with a message for the user
   */
  static BenchOptions parse(String... args) {
    boolean quick = false;
    Integer keys = null;
    Path dir = null;
    int threads = 2;
    Double seconds = null;
    Integer rounds = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--help", "-h" -> {
          return null;
        }
        case "--quick" -> quick = true;
        case "--keys" -> keys = parseInt(arg, value(args, ++i, arg));
        case "--dir" -> dir = Path.of(value(args, ++i, arg));
        case "--threads" -> threads = parseInt(arg, value(args, ++i, arg));
        case "--seconds" -> seconds = parseSeconds(value(args, ++i, arg));
        case "--rounds" -> rounds = parseInt(arg, value(args, ++i, arg));
        default -> throw new IllegalArgumentException("unknown option '" + arg + "' (see --help)");
      }
    }
    int n = keys != null ? keys : quick ? QUICK_KEYS : FULL_KEYS;
    double s = seconds != null ? seconds : quick ? 1.0 : 2.0;
    Duration round = Duration.ofNanos(Math.round(s * 1e9));
    int r = rounds != null ? rounds : quick ? 4 : 6;
    return new BenchOptions(n, quick, dir, threads, round, r, DEFAULT_SEED);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value (see --help)");
    }
    return args[i];
  }

  private static int parseInt(String option, String text) {
    try {
      return Integer.parseInt(text.replace("_", "").replace(",", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " takes a whole number, not '" + text + "'");
    }
  }

  private static double parseSeconds(String text) {
    try {
      double s = Double.parseDouble(text);
      if (!(s > 0 && s <= 3600)) {
        throw new IllegalArgumentException("--seconds must be above 0 and at most 3600, not " + text);
      }
      return s;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--seconds takes a number, not '" + text + "'");
    }
  }

  /** A short description of the run for the first line of the output. */
  String describe() {
    return String.format(
        Locale.ROOT,
        "%,d keys of %d B, values of %d B, %d get thread%s, %d rounds of %.2f s%s",
        keys,
        Dataset.KEY_BYTES,
        Dataset.VALUE_BYTES,
        getThreads,
        getThreads == 1 ? "" : "s",
        rounds,
        round.toNanos() / 1e9,
        quick ? " (quick)" : "");
  }
}
