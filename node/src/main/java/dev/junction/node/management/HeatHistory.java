package dev.junction.node.management;

import dev.junction.store.Keys;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The key-space heat map's history, as TiDB's Key Visualizer draws it: time on one axis, the ranges in key
 * order on the other, each cell the requests per second of that part of the key space then. Pure: fed
 * samples (the controller's load statistics joined with the routing table), it keeps the newest {@code
 * capacity} and lays them out on the <i>current</i> ranges. Ranges split and merge, so a cell of an older
 * sample shows the ranges of that time that start inside the current range, summed; when none does (the
 * current range is the right part of a later split), the range that then held its start key.
 */
public final class HeatHistory {
  /** One range in a sample: its interval ({@code end} empty: unbounded), load, size and chain (head first). */
  public record Range(long id, byte[] start, byte[] end, double requestsPerSecond, long keys, long bytes,
      List<String> chain) {
    public Range {
      chain = List.copyOf(chain);
    }

    boolean contains(byte[] key) {
      return Keys.compare(key, start) >= 0 && (end.length == 0 || Keys.compare(key, end) < 0);
    }

    /** {@code [start, end)} with printable keys ({@code -inf}/{@code +inf} at the ends). */
    public String interval() {
      return "[" + (start.length == 0 ? "-inf" : printable(start)) + ", " + (end.length == 0 ? "+inf" : printable(end)) + ")";
    }
  }

  /** What the map shows beside the ranges: each node's replicas, heads and requests per second (moving average). */
  public record Node(String node, int replicas, int heads, double requestsPerSecond) {}

  /** A running operator, for the list beside the map. */
  public record Operator(long id, String kind, long rangeId, String phase, double secondsInPhase, String why) {}

  /** The state at one moment: ranges in key order, nodes, operators under way. */
  public record Sample(long millis, List<Range> ranges, List<Node> nodes, List<Operator> operators) {
    public Sample {
      ranges = List.copyOf(ranges);
      nodes = List.copyOf(nodes);
      operators = List.copyOf(operators);
    }
  }

  /** One cell: sample {@code time}, current range {@code range} (indices), requests per second. */
  public record Cell(int time, int range, double value) {}

  /**
   * The map: sample times (oldest first), the newest sample's ranges (key order), the cells, the hottest
   * range of the newest sample (0 with no sample or no load), that sample's nodes and operators, and how
   * many rows of the key axis each range takes ({@link #rows}).
   */
  public record View(List<Long> times, List<Range> ranges, List<Cell> cells, long hottestRange, double hottest,
      List<Node> nodes, List<Operator> operators, Rows rows) {}

  /**
   * How the key axis is cut: {@code rows.get(i)} rows for range {@code i}, in proportion to its size, as
   * {@code sizedBy} says: {@code "bytes"} when every range's bytes are known and some range holds any,
   * else {@code "keys"} on the same terms, else {@code "none"} (one row each).
   */
  public record Rows(String sizedBy, List<Integer> rows) {
    public Rows {
      rows = List.copyOf(rows);
    }

    public int total() {
      return rows.stream().mapToInt(Integer::intValue).sum();
    }
  }

  /** The rows of the key axis the map aims at (a range gets at least one, so more ranges make more rows). */
  public static final int AXIS_ROWS = 100;

  private final int capacity;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();

  public HeatHistory(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("a heat map keeps at least one sample, not " + capacity);
    }
    this.capacity = capacity;
  }

  /** Adds the newest sample (an older time than the newest kept is ignored); the oldest goes past capacity. */
  public synchronized void add(Sample sample) {
    if (!samples.isEmpty() && sample.millis() <= samples.peekLast().millis()) {
      return;
    }
    samples.addLast(sample);
    while (samples.size() > capacity) {
      samples.removeFirst();
    }
  }

  public synchronized View view() {
    if (samples.isEmpty()) {
      return new View(List.of(), List.of(), List.of(), 0, 0, List.of(), List.of(), rows(List.of(), AXIS_ROWS));
    }
    Sample newest = samples.peekLast();
    List<Range> current = newest.ranges();
    List<Long> times = new ArrayList<>(samples.size());
    List<Cell> cells = new ArrayList<>(samples.size() * current.size());
    int t = 0;
    for (Sample s : samples) {
      times.add(s.millis());
      for (int r = 0; r < current.size(); r++) {
        cells.add(new Cell(t, r, over(current.get(r), s)));
      }
      t++;
    }
    long hottestRange = 0;
    double hottest = 0;
    for (Range r : current) {
      if (r.requestsPerSecond() > hottest) {
        hottest = r.requestsPerSecond();
        hottestRange = r.id();
      }
    }
    return new View(times, current, cells, hottestRange, hottest, newest.nodes(), newest.operators(),
        rows(current, AXIS_ROWS));
  }

  /**
   * Cuts a key axis of {@code axisRows} rows (at least one per range) among {@code ranges} in proportion to
   * their bytes, or keys (see {@link Rows}): each range gets one row and a share of the rest, rounded by
   * largest remainder (ties to the range first in key order), so the rows add up exactly. As TiDB's Key
   * Visualizer does, a range's height on the map then says how much of the data it holds.
   */
  static Rows rows(List<Range> ranges, int axisRows) {
    int n = ranges.size();
    String sizedBy = "none";
    long[] size = new long[n];
    if (n > 0 && ranges.stream().allMatch(r -> r.bytes() >= 0) && ranges.stream().anyMatch(r -> r.bytes() > 0)) {
      sizedBy = "bytes";
      for (int i = 0; i < n; i++) {
        size[i] = ranges.get(i).bytes();
      }
    } else if (n > 0 && ranges.stream().allMatch(r -> r.keys() >= 0) && ranges.stream().anyMatch(r -> r.keys() > 0)) {
      sizedBy = "keys";
      for (int i = 0; i < n; i++) {
        size[i] = ranges.get(i).keys();
      }
    }
    Integer[] rows = new Integer[n];
    java.util.Arrays.fill(rows, 1);
    int extra = Math.max(0, axisRows - n);
    if (sizedBy.equals("none") || extra == 0) {
      return new Rows(sizedBy, List.of(rows));
    }
    double total = 0;
    for (long x : size) {
      total += x;
    }
    double[] remainder = new double[n];
    int given = 0;
    for (int i = 0; i < n; i++) {
      double quota = extra * (size[i] / total);
      int whole = (int) Math.floor(quota);
      rows[i] += whole;
      given += whole;
      remainder[i] = quota - whole;
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    order.sort((a, b) -> remainder[a] != remainder[b] ? Double.compare(remainder[b], remainder[a]) : Integer.compare(a, b));
    for (int k = 0; given < extra; k++, given++) {
      rows[order.get(k % n)]++;
    }
    return new Rows(sizedBy, List.of(rows));
  }

  /** The load of {@code range}'s keys in {@code sample} (see the class comment). */
  static double over(Range range, Sample sample) {
    double sum = 0;
    boolean any = false;
    Range holder = null;
    for (Range q : sample.ranges()) {
      if (range.contains(q.start())) {
        sum += q.requestsPerSecond();
        any = true;
      } else if (q.contains(range.start())) {
        holder = q;
      }
    }
    return any ? sum : holder == null ? 0 : holder.requestsPerSecond();
  }

  /** A key for people: printable ASCII as it is, other bytes as {@code \xNN}. */
  static String printable(byte[] key) {
    StringBuilder b = new StringBuilder(key.length);
    for (byte x : key) {
      int c = x & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        b.append((char) c);
      } else {
        b.append(String.format("\\x%02x", c));
      }
    }
    return b.toString();
  }
}
