package dev.junction.bench;

import dev.junction.store.Durability;
import dev.junction.store.StoreStats;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * Measures {@code ssd-store} against raw LMDB-Java in one process, on the same data, and prints the ratios.
 * A plain driver rather than JMH: each ratio compares two measurements taken side by side in one run.
 *
 * <p>The data: {@code --keys} keys of 32 bytes ({@code user} + 28 digits), each with a 1 KB value drawn
 * from a seeded random generator, inserted in a seeded shuffled order (see {@link Dataset}). Both sides
 * store the 8-byte sequence number followed by the value under the key, so they write the same bytes.
 * The raw side ({@link RawLmdbSide}) uses LMDB-Java directly: one environment, one table, direct buffers,
 * values written in place.
 *
 * <p>The phases, each printing {@code raw} and {@code store} throughput and their ratio:
 *
 * <ol>
 *   <li><b>batch-put</b>: both sides load all keys in write batches of 64 puts, without a sync per
 *       commit (the store in {@code replicated} durability, raw LMDB with {@code MDB_NOSYNC}; both sync in
 *       the background every 100 ms). The first
 *       5% of the insert order warms up the JIT untimed; the rest is loaded in 10 slices (more for more
 *       than a million keys), each by both sides back to back, the side going first alternating; each
 *       side's time is the sum over its slices.
 *   <li><b>get</b>: {@code --threads} threads read uniformly random keys (the same seeded sequence on both
 *       sides) from the data just loaded; both sides copy the value into a new {@code byte[]}. One untimed
 *       warm-up round per side, then an even number of rounds of {@code --seconds} per side,
 *       alternating.
 *   <li><b>groupcommit</b>: on two fresh, small environments with a sync per commit, 8 threads each write
 *       single puts as fast as they are acknowledged: through {@code ssd-store} in {@code fsync}
 *       durability (group commit shares one commit and one sync among the writers waiting) against one
 *       raw LMDB write transaction, commit and sync per put. Rounds alternate as for gets.
 * </ol>
 *
 * <p>The last line is {@code store-vs-raw get=R batch-put=R groupcommit-speedup=R}: store over raw
 * throughput (operations over time, summed over the rounds) for each phase. Each phase also prints the
 * median and range of the single rounds' ratios, which shows how noisy the machine was. Every loop is bounded both in count and in time; the data directory is
 * deleted at the end.
 */
public final class StoreBench {
  static final int BATCH_PUTS = 64;
  static final int WRITERS = 8;
  static final int MIN_LOAD_SLICES = 10;
  static final int MAX_SLICE_KEYS = 100_000;
  static final int COMMIT_KEYS = 4096;
  static final long MAX_GETS_PER_THREAD = 1_000_000_000L;
  static final long MAX_PUTS_PER_WRITER = 100_000_000L;
  static final Duration LOAD_LIMIT = Duration.ofMinutes(30);
  static final long COMMIT_MAP_BYTES = 64L << 20;

  /** Where reads put what they read, so that no loop can be optimized away. */
  private static final LongAdder SINK = new LongAdder();

  private final BenchOptions options;
  private final PrintStream out;
  private final RunDirectory dir;
  private final Dataset data;

  private StoreBench(BenchOptions options, PrintStream out, RunDirectory dir, Dataset data) {
    this.options = options;
    this.out = out;
    this.dir = dir;
    this.data = data;
  }

  public static void main(String[] args) {
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("store-bench: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (options == null) {
      System.out.println(BenchOptions.USAGE);
      return;
    }
    try {
      run(options, System.out);
    } catch (IllegalArgumentException e) {
      System.err.println("store-bench: " + e.getMessage());
      System.exit(2);
    } catch (IOException | RuntimeException e) {
      System.err.println("store-bench failed: " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  /** Runs every phase, printing as it goes; the data directory is gone when this returns. */
  static BenchResult run(BenchOptions options, PrintStream out) throws IOException {
    RunDirectory dir = RunDirectory.create(options.dir());
    try {
      out.println("store-bench: " + options.describe());
      out.println("data in " + dir.describe());
      Dataset data = new Dataset(options.keys(), options.seed());
      return new StoreBench(options, out, dir, data).runPhases();
    } finally {
      dir.delete();
    }
  }

  private BenchResult runPhases() throws IOException {
    Comparison batchPut;
    Comparison get;
    long mapSize = loadMapSize(options.keys());
    Path rawDir = dir.side("raw");
    Path storeDir = dir.side("store");
    try (RawLmdbSide raw = RawLmdbSide.open(rawDir, mapSize, false);
        StoreSide store = StoreSide.open(storeDir, Durability.REPLICATED, mapSize)) {
      batchPut = loadBoth(raw, store);
      print(batchPut, "ratio");
      // Untimed: the store's background sync has written its pages; write raw's too, so that the kernel
      // does not flush them while the gets are measured. Then check (and touch) every key on both sides.
      raw.sync();
      verify(raw, store);
      get = readBoth(raw, store);
      print(get, "ratio");
    }
    // The loaded data is no longer needed; nothing of it stays to be flushed during the fsync phase.
    dir.deleteSide(rawDir);
    dir.deleteSide(storeDir);
    Comparison groupCommit = groupCommitBoth();
    print(groupCommit, "speedup");
    BenchResult result = new BenchResult(get, batchPut, groupCommit);
    out.println(result.ratiosLine());
    out.flush();
    return result;
  }

  /** A map large enough for the whole load without growing: 4 KiB per key (about 2 entries per page). */
  static long loadMapSize(int keys) {
    return Math.max(64L << 20, (long) keys * 4096);
  }

  // ---------------------------------------------------------------------------------- batch-put

  private Comparison loadBoth(KvSide raw, KvSide store) {
    int n = data.size();
    int warmUp = Math.max(BATCH_PUTS, n / 20);
    long giveUpAt = System.nanoTime() + LOAD_LIMIT.toNanos();
    Dataset.Slice first = data.slice(0, warmUp);
    for (KvSide side : List.of(raw, store)) {
      load(side, first, giveUpAt);
    }
    int timed = n - warmUp;
    int slices = loadSlices(timed);
    Rounds rounds =
        alternate(
            slices,
            raw,
            store,
            s -> {
              Dataset.Slice slice =
                  data.slice(
                      warmUp + (int) ((long) s * timed / slices),
                      warmUp + (int) ((long) (s + 1) * timed / slices));
              // Collect the garbage of making the slice now, not while the first side is timed.
              System.gc();
              return side -> load(side, slice, giveUpAt);
            });
    return new Comparison(
        "batch-put",
        "puts/s",
        rounds,
        String.format(
            Locale.ROOT,
            "batches of %d puts, no sync per commit, both sync every 100 ms (store: replicated, raw: MDB_NOSYNC); after %,d keys"
                + " untimed, %d alternating slices of %,d keys per side",
            BATCH_PUTS,
            warmUp,
            slices,
            timed / slices));
  }

  /** 10 slices, or more (an even number) so that one slice's values stay below about 100 MB of heap. */
  static int loadSlices(int keys) {
    int slices = Math.max(MIN_LOAD_SLICES, (keys + MAX_SLICE_KEYS - 1) / MAX_SLICE_KEYS);
    return slices + slices % 2;
  }

  private static Throughput load(KvSide side, Dataset.Slice slice, long giveUpAt) {
    long start = System.nanoTime();
    for (int from = 0; from < slice.size(); from += BATCH_PUTS) {
      side.writeBatch(slice, from, Math.min(slice.size(), from + BATCH_PUTS));
      if (System.nanoTime() > giveUpAt) {
        throw new IllegalStateException("the load took longer than " + LOAD_LIMIT);
      }
    }
    return new Throughput(slice.size(), System.nanoTime() - start);
  }

  /**
   * Both sides hold the same data: every key reads back its value on both, and an absent key is absent.
   * Reading everything also brings both sides' pages into memory before the gets are timed.
   */
  private void verify(KvSide raw, KvSide store) {
    for (int i = 0; i < data.size(); i++) {
      byte[] expected = data.value(i);
      for (KvSide side : List.of(raw, store)) {
        if (!Arrays.equals(expected, side.get(data.keyAt(i)))) {
          throw new IllegalStateException(side.name() + " does not hold the value of key " + i);
        }
      }
    }
    byte[] absent = Dataset.key(data.size());
    if (raw.get(absent) != null || store.get(absent) != null) {
      throw new IllegalStateException("a key that was never written was found");
    }
  }

  // ---------------------------------------------------------------------------------------- get

  private Comparison readBoth(KvSide raw, KvSide store) {
    for (KvSide side : List.of(raw, store)) {
      readRound(side, -1, options.round().dividedBy(2));
    }
    Rounds rounds =
        alternate(options.rounds(), raw, store, r -> side -> readRound(side, r, options.round()));
    return new Comparison(
        "get",
        "ops/s",
        rounds,
        String.format(
            Locale.ROOT,
            "uniform random keys, %d thread%s; after a warm-up, %d alternating rounds of %.2f s per side",
            options.getThreads(),
            options.getThreads() == 1 ? "" : "s",
            options.rounds(),
            seconds(options.round())));
  }

  private Throughput readRound(KvSide side, int round, Duration length) {
    int n = data.size();
    return Workers.run(
        options.getThreads(),
        length,
        MAX_GETS_PER_THREAD,
        (thread, deadline, maxOps) -> {
          // The same keys in the same order on both sides.
          SplittableRandom random = new SplittableRandom(options.seed() + 7919L * round + thread);
          long ops = 0;
          long sum = 0;
          do {
            byte[] value = side.get(data.keyAt(random.nextInt(n)));
            if (value == null) {
              throw new IllegalStateException(side.name() + " lost a key");
            }
            sum += value[(int) (ops & (Dataset.VALUE_BYTES - 1))];
            ops++;
          } while (ops < maxOps && ((ops & 15) != 0 || System.nanoTime() < deadline));
          SINK.add(sum);
          return ops;
        });
  }

  // -------------------------------------------------------------------------------- groupcommit

  private Comparison groupCommitBoth() throws IOException {
    int keys = Math.min(COMMIT_KEYS, data.size());
    byte[][] values = new byte[keys][];
    Arrays.setAll(values, data::value);
    try (RawLmdbSide raw = RawLmdbSide.open(dir.side("raw-fsync"), COMMIT_MAP_BYTES, true);
        StoreSide store = StoreSide.open(dir.side("store-fsync"), Durability.FSYNC, COMMIT_MAP_BYTES)) {
      for (KvSide side : List.of(raw, store)) {
        putRound(side, values, options.round().dividedBy(4));
      }
      StoreStats before = store.stats();
      Rounds rounds =
          alternate(options.rounds(), raw, store, r -> side -> putRound(side, values, options.round()));
      StoreStats after = store.stats();
      double perCommit =
          (double) (after.batches() - before.batches()) / Math.max(1, after.commits() - before.commits());
      return new Comparison(
          "groupcommit",
          "puts/s",
          rounds,
          String.format(
              Locale.ROOT,
              "fsync, %d writers of single puts: raw one commit and sync per put, store group commit"
                  + " (%.2f puts per commit, largest group %d); after a warm-up, %d alternating rounds"
                  + " of %.2f s per side",
              WRITERS,
              perCommit,
              after.largestGroup(),
              options.rounds(),
              seconds(options.round())));
    }
  }

  /** {@link #WRITERS} threads each put keys {@code t, t + WRITERS, ...} of the first {@code values.length}. */
  private Throughput putRound(KvSide side, byte[][] values, Duration length) {
    return Workers.run(
        WRITERS,
        length,
        MAX_PUTS_PER_WRITER,
        (thread, deadline, maxOps) -> {
          long ops = 0;
          do {
            int k = (int) ((thread + WRITERS * ops) % values.length);
            side.put(data.keyAt(k), values[k], ops + 1);
            ops++;
          } while (ops < maxOps && System.nanoTime() < deadline);
          return ops;
        });
  }

  // ------------------------------------------------------------------------------------ helpers

  /** One side's part of a round. */
  @FunctionalInterface
  private interface Round {
    Throughput run(KvSide side);
  }

  /**
   * Runs {@code count} rounds of both sides back to back, the store first in even rounds and raw first in
   * odd ones, so that drift and order effects fall on both sides alike. {@code prepare} makes round
   * {@code r} (untimed); the round itself times one side.
   */
  private static Rounds alternate(int count, KvSide raw, KvSide store, IntFunction<Round> prepare) {
    Rounds rounds = new Rounds();
    for (int r = 0; r < count; r++) {
      Round round = prepare.apply(r);
      if (r % 2 == 1) {
        rounds.addRaw(round.run(raw));
        rounds.addStore(round.run(store));
      } else {
        rounds.addStore(round.run(store));
        rounds.addRaw(round.run(raw));
      }
    }
    return rounds;
  }

  private void print(Comparison c, String ratioName) {
    out.printf(
        Locale.ROOT,
        "%s raw=%.0f %s store=%.0f %s %s=%.2f%n",
        c.name(),
        c.raw().perSecond(),
        c.unit(),
        c.store().perSecond(),
        c.unit(),
        ratioName,
        c.ratio());
    out.println("  " + c.detail() + "; " + c.rounds().spread());
    out.flush();
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  /** One phase's outcome. */
  record Comparison(String name, String unit, Rounds rounds, String detail) {
    Throughput raw() {
      return rounds.raw();
    }

    Throughput store() {
      return rounds.store();
    }

    /** Store throughput over raw throughput, each summed over its rounds. */
    double ratio() {
      return store().perSecond() / raw().perSecond();
    }
  }

  /** The three ratios of a run. */
  record BenchResult(Comparison get, Comparison batchPut, Comparison groupCommit) {
    String ratiosLine() {
      return String.format(
          Locale.ROOT,
          "store-vs-raw get=%.2f batch-put=%.2f groupcommit-speedup=%.2f",
          get.ratio(),
          batchPut.ratio(),
          groupCommit.ratio());
    }
  }
}
