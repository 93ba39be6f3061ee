package dev.junction.sharding.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The switch's counters: requests and bytes per range and per node, as a gateway's router sees them. Each
 * {@code record*} call counts one request against its range and against the node it was sent to.
 *
 * <p>Thread-safe and lock-free ({@link ConcurrentHashMap} of {@link LongAdder}s): request paths record
 * concurrently while a reporter takes snapshots. {@link #snapshotAndReset()} moves every counted unit into
 * exactly one snapshot, none is lost or counted twice; under concurrent recording, the fields of one
 * request (say its read and its bytes) may land in two consecutive snapshots. Snapshots are sorted, so
 * their output order is deterministic.
 *
 * <p>It also samples request keys per range ({@link #sampleKey}): about one request in {@link
 * #SAMPLE_EVERY}, kept in a reservoir of {@link #SAMPLES_PER_RANGE} per range and window, so that a busy
 * range can be split where half of its requests fall on each side.
 */
public final class LoadCounters {
  /** About one request in this many offers its key to its range's reservoir. */
  public static final int SAMPLE_EVERY = 8;
  /** Keys kept per range and window (a uniform sample of those offered). */
  public static final int SAMPLES_PER_RANGE = 64;

  private final Map<Long, Cell> byRange = new ConcurrentHashMap<>();
  private final Map<String, Cell> byNode = new ConcurrentHashMap<>();
  private final Map<Long, Reservoir> samples = new ConcurrentHashMap<>();

  /** Counts a single-key read of {@code rangeId} served by {@code node} that returned {@code bytes}. */
  public void recordRead(long rangeId, String node, int bytes) {
    record(rangeId, node, bytes, Kind.READ);
  }

  /**
   * Counts a latest-read of {@code rangeId} served by {@code node}, its head (a read that also waits for
   * the key's writes in flight there: head work the placement planner weighs).
   */
  public void recordLatestRead(long rangeId, String node, int bytes) {
    record(rangeId, node, bytes, Kind.LATEST);
  }

  /** Counts a write to {@code rangeId} sent to {@code node} that carried {@code bytes}. */
  public void recordWrite(long rangeId, String node, int bytes) {
    record(rangeId, node, bytes, Kind.WRITE);
  }

  /** Counts a scan of one part of {@code rangeId} served by {@code node} that returned {@code bytes}. */
  public void recordScan(long rangeId, String node, int bytes) {
    record(rangeId, node, bytes, Kind.SCAN);
  }

  /** Offers the key of a single-key request to {@code rangeId} to its sample (see the class comment). */
  public void sampleKey(long rangeId, byte[] key) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (random.nextInt(SAMPLE_EVERY) == 0) {
      samples.computeIfAbsent(rangeId, id -> new Reservoir()).offer(key, random);
    }
  }

  /** The keys sampled per range since the last call (each range's list in no particular order), and a new window. */
  public TreeMap<Long, List<byte[]>> takeSamples() {
    TreeMap<Long, List<byte[]>> out = new TreeMap<>();
    for (Long range : List.copyOf(samples.keySet())) {
      Reservoir r = samples.remove(range);
      if (r != null) {
        List<byte[]> keys = r.keys();
        if (!keys.isEmpty()) {
          out.put(range, keys);
        }
      }
    }
    return out;
  }

  /** Reservoir sampling (Vitter's algorithm R) of one range's keys in one window. */
  private static final class Reservoir {
    private final byte[][] kept = new byte[SAMPLES_PER_RANGE][];
    private long seen;

    synchronized void offer(byte[] key, ThreadLocalRandom random) {
      seen++;
      if (seen <= kept.length) {
        kept[(int) seen - 1] = key;
      } else {
        long j = random.nextLong(seen);
        if (j < kept.length) {
          kept[(int) j] = key;
        }
      }
    }

    synchronized List<byte[]> keys() {
      List<byte[]> out = new ArrayList<>();
      for (byte[] k : kept) {
        if (k != null) {
          out.add(k);
        }
      }
      return out;
    }
  }

  /** The counts so far, without resetting them. */
  public LoadSnapshot snapshot() {
    return new LoadSnapshot(collect(byRange, Cell::sum), collect(byNode, Cell::sum));
  }

  /**
   * The counts so far, and every counter back to zero: consecutive calls give the load of consecutive
   * windows, and their sum is everything recorded.
   */
  public LoadSnapshot snapshotAndReset() {
    return new LoadSnapshot(collect(byRange, Cell::sumThenReset), collect(byNode, Cell::sumThenReset));
  }

  private void record(long rangeId, String node, int bytes, Kind kind) {
    if (rangeId < 0) {
      throw new IllegalArgumentException("range id must not be negative: " + rangeId);
    }
    if (node == null || node.isEmpty()) {
      throw new IllegalArgumentException("node is missing");
    }
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must not be negative: " + bytes);
    }
    byRange.computeIfAbsent(rangeId, id -> new Cell()).add(kind, bytes);
    byNode.computeIfAbsent(node, n -> new Cell()).add(kind, bytes);
  }

  private static <K extends Comparable<K>> TreeMap<K, LoadSnapshot.Counts> collect(
      Map<K, Cell> cells, Function<Cell, LoadSnapshot.Counts> read) {
    TreeMap<K, LoadSnapshot.Counts> out = new TreeMap<>();
    cells.forEach((key, cell) -> {
      LoadSnapshot.Counts counts = read.apply(cell);
      if (!counts.isZero()) {
        out.put(key, counts);
      }
    });
    return out;
  }

  private enum Kind {
    READ,
    LATEST,
    WRITE,
    SCAN
  }

  /** The counters of one range or one node. */
  private static final class Cell {
    private final LongAdder reads = new LongAdder();
    private final LongAdder writes = new LongAdder();
    private final LongAdder scans = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder latest = new LongAdder();

    void add(Kind kind, int bytes) {
      switch (kind) {
        case READ -> {
          reads.increment();
          bytesOut.add(bytes);
        }
        case LATEST -> {
          latest.increment(); // before the read: a snapshot never sees more latest-reads than reads
          reads.increment();
          bytesOut.add(bytes);
        }
        case WRITE -> {
          writes.increment();
          bytesIn.add(bytes);
        }
        case SCAN -> {
          scans.increment();
          bytesOut.add(bytes);
        }
        default -> throw new AssertionError(kind);
      }
    }

    LoadSnapshot.Counts sum() {
      long r = reads.sum();
      return new LoadSnapshot.Counts(r, writes.sum(), scans.sum(), bytesIn.sum(), bytesOut.sum(),
          Math.min(r, latest.sum()));
    }

    LoadSnapshot.Counts sumThenReset() {
      // Reads first: a latest-read counted in between lands in the next snapshot's reads but possibly in
      // this one's latest-reads; carrying the excess over keeps latest-reads a subset of reads.
      long r = reads.sumThenReset();
      long l = latest.sumThenReset();
      long over = Math.max(0, l - r);
      if (over > 0) {
        latest.add(over);
      }
      return new LoadSnapshot.Counts(r, writes.sumThenReset(), scans.sumThenReset(), bytesIn.sumThenReset(),
          bytesOut.sumThenReset(), l - over);
    }
  }
}
