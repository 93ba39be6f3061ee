package dev.junction.node;

import com.google.protobuf.ByteString;
import dev.junction.client.Entry;
import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import dev.junction.client.proto.RangeInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Runs a bounded mixed workload (puts of 1 KiB values over existing keys and as inserts of new ones,
 * deletes, gets, latest-reads and compare-and-sets on their version, short scans) against a cluster before
 * it is announced ready, on keys of a reserved name in every range, through more than one client
 * connection, and deletes its keys afterwards.
 *
 * <p>Why: a fresh node JVM spends its first minutes compiling the request path (in one measurement about
 * 58 s of JIT CPU per node in its first two minutes on a 2-core machine, most of it C2 compiling gRPC,
 * Netty, Pekko and the chain code), and until then a request costs about twice what it does warm. Clients
 * that arrive at a cold cluster pay that; the warm-up pays it before {@code ready:}. It stops once every
 * node's JIT compiler has gone quiet ({@link JitQuiet}, from the compile time each node reports), or, when
 * the nodes do not report it, once its throughput stops rising ({@link Plateau}); at the latest at its time
 * bound. (Throughput alone stopped too early: it looked flat for 15 s while the nodes' compilers were still
 * busy for another minute.)
 *
 * <p>The mix matters as much as the time: code that a workload reaches only later (a put of a key that
 * does not exist yet, a second client connection) makes the compiler throw away code it compiled under the
 * warm-up's profile and compile it again while the user's requests wait. Measured with {@code
 * -XX:+PrintCompilation}: a warm-up of overwrites only was followed by about 1,400 compilations per node in
 * a YCSB load, among them the write path of the chain and the store (a put of an absent key took branches
 * the warm-up never had).
 *
 * <p>The keys are {@code RANGE_START + "\0junction-warmup/" + N}: inside each range (so every head and
 * every replica does the work), and with a NUL byte, which no key a user writes by accident carries. A
 * key of that name that exists before the warm-up is left alone (the warm-up only creates keys that are
 * absent and only deletes the ones it created). The inserted keys extend one of those with {@code
 * "/new/" + NONCE + "/" + THREAD + "/" + N}, a random 64-bit nonce per warm-up, so they are new; each
 * worker keeps at most {@link #FRESH_KEPT} of them and deletes the oldest as it goes, and the rest when it
 * stops.
 */
final class Warmup {
  /** The part of every warm-up key after its range's start. */
  static final byte[] MARKER = "\0junction-warmup/".getBytes(StandardCharsets.US_ASCII);

  private static final int KEYS_PER_RANGE = 32;
  private static final int VALUE_BYTES = 1024;
  /** New keys a worker holds at once (it deletes the oldest beyond that). */
  static final int FRESH_KEPT = 16;
  private static final long WINDOW_NANOS = Duration.ofSeconds(5).toNanos();

  /** Why a warm-up stopped. */
  enum Stop {
    JIT_QUIET("the nodes' JIT compilers are quiet"),
    THROUGHPUT_FLAT("throughput flat"),
    TIME_BOUND("time bound reached"),
    NOTHING_TO_DO("no warm-up keys");

    final String text;

    Stop(String text) {
      this.text = text;
    }
  }

  /** What a warm-up did. */
  record Report(long operations, long errors, long millis, double lastRate, Stop stop) {}

  /**
   * Each node's JIT compile time so far in milliseconds, one entry per node in the same order every time,
   * or null when some node does not tell (then the warm-up goes by throughput).
   */
  @FunctionalInterface
  interface JitClock {
    long[] jitMillis();
  }

  private final List<JunctionClient> clients;
  private final JunctionClient client;
  private final Supplier<JunctionClient> newClient;
  private final int threads;
  private final Duration bound;
  private final Consumer<String> log;
  private final JitClock jit;
  private volatile boolean stopping;

  /**
   * A warm-up whose workers use {@code clients} in turn (more than one: more than one connection per node);
   * once per window it also opens a client with {@code newClient} (null: never), uses it briefly and closes
   * it, as the nodes meet new clients in use (a new client id, a new connection, requests before the client
   * has the routing table).
   */
  Warmup(List<JunctionClient> clients, Supplier<JunctionClient> newClient, int threads, Duration bound, JitClock jit,
      Consumer<String> log) {
    if (clients.isEmpty()) {
      throw new IllegalArgumentException("a warm-up needs a client");
    }
    this.clients = List.copyOf(clients);
    this.client = clients.get(0);
    this.newClient = newClient;
    this.threads = threads;
    this.bound = bound;
    this.jit = jit;
    this.log = log;
  }

  /** The warm-up keys of the given ranges (those whose interval can hold them). */
  static List<byte[]> keys(List<RangeInfo> ranges, int perRange) {
    List<byte[]> keys = new ArrayList<>();
    for (RangeInfo r : ranges) {
      for (int i = 0; i < perRange; i++) {
        ByteString key = r.getStart().concat(ByteString.copyFrom(MARKER)).concat(ByteString.copyFromUtf8(Integer.toString(i)));
        if (r.getEnd().isEmpty() || ByteString.unsignedLexicographicalComparator().compare(key, r.getEnd()) < 0) {
          keys.add(key.toByteArray());
        }
      }
    }
    return keys;
  }

  /** Runs the warm-up; never throws for a failed request (it counts it). */
  Report run() throws InterruptedException {
    List<byte[]> keys = keys(client.routingTable().getRangesList(), KEYS_PER_RANGE);
    if (keys.isEmpty()) {
      return new Report(0, 0, 0, 0, Stop.NOTHING_TO_DO);
    }
    // Create the keys that are absent (compare-and-set on "absent"); only those are used and deleted.
    byte[] value = new byte[VALUE_BYTES];
    ThreadLocalRandom.current().nextBytes(value);
    List<byte[]> ours = new ArrayList<>();
    String failure = null;
    int failed = 0;
    for (byte[] key : keys) {
      try {
        if (client.compareAndSet(key, (byte[]) null, value).applied()) {
          ours.add(key);
        }
      } catch (JunctionException e) {
        failure = e.getMessage();
        failed++;
      }
    }
    if (failure != null) {
      log.accept("warm-up: could not create " + failed + " of its keys, e.g.: " + failure);
    }
    if (ours.isEmpty()) {
      return new Report(0, 0, 0, 0, Stop.NOTHING_TO_DO);
    }
    AtomicLong ops = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong freshLeft = new AtomicLong();
    String nonce = Long.toHexString(ThreadLocalRandom.current().nextLong());
    long start = System.nanoTime();
    long deadline = start + bound.toNanos();
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      Worker w = new Worker(clients.get(t % clients.size()), ours, value, nonce + "/" + t, deadline, ops, errors,
          freshLeft);
      workers[t] = new Thread(w::run, "junction-warmup-" + t);
      workers[t].setDaemon(true);
      workers[t].start();
    }
    Plateau plateau = new Plateau();
    JitQuiet quiet = new JitQuiet();
    long windowStart = start;
    long windowOps = 0;
    long[] jitBefore = jit.jitMillis();
    double rate = 0;
    Stop why = Stop.TIME_BOUND;
    while (System.nanoTime() < deadline) {
      long sleep = Math.min(WINDOW_NANOS, deadline - System.nanoTime());
      Thread.sleep(Math.max(1, sleep / 1_000_000)); // the measuring window itself, not a wait for a condition
      long now = System.nanoTime();
      long total = ops.get();
      long[] jitNow = jit.jitMillis();
      double[] shares = JitQuiet.shares(jitBefore, jitNow, (now - windowStart) / 1_000_000.0);
      rate = (total - windowOps) * 1e9 / (now - windowStart);
      windowStart = now;
      windowOps = total;
      jitBefore = jitNow;
      log.accept(String.format("warm-up: %,.0f ops/s (%,d operations, %d errors in %d s)%s",
          rate, total, errors.get(), Duration.ofNanos(now - start).toSeconds(), JitQuiet.describe(shares)));
      churn(ours.get(ThreadLocalRandom.current().nextInt(ours.size())), value, nonce + "/c", errors);
      boolean flat = plateau.add(rate);
      if (shares != null ? quiet.add(shares) : flat) {
        why = shares != null ? Stop.JIT_QUIET : Stop.THROUGHPUT_FLAT;
        break;
      }
    }
    long end = System.nanoTime();
    stop(workers); // each finishes its call in flight (within the client's deadline), nothing is interrupted
    long left = 0;
    for (byte[] key : ours) {
      try {
        client.delete(key);
      } catch (JunctionException e) {
        left++;
      }
    }
    left += freshLeft.get();
    if (left > 0) {
      log.accept("warm-up: " + left + " of its keys could not be deleted (they carry the name "
          + "RANGE_START\\0junction-warmup/N...)");
    }
    return new Report(ops.get(), errors.get(), (end - start) / 1_000_000, rate, why);
  }

  private void stop(Thread[] workers) throws InterruptedException {
    stopping = true;
    for (Thread w : workers) {
      w.join(Math.max(1, client.deadline().toMillis() * 2));
    }
  }

  /** A few requests through a client of its own, opened and closed here (see the constructor). */
  private void churn(byte[] near, byte[] value, String name, AtomicLong errors) {
    if (newClient == null) {
      return;
    }
    byte[] key = freshKey(near, name, System.nanoTime());
    try (JunctionClient c = newClient.get()) {
      c.put(key, value);
      Optional<Entry> e = c.getLatest(key);
      if (e.isPresent()) {
        c.compareAndSet(key, e.get().seq(), value);
      }
      c.get(near);
      c.delete(key);
    } catch (JunctionException e) {
      errors.incrementAndGet();
      try {
        client.delete(key);
      } catch (JunctionException again) {
        log.accept("warm-up: could not delete its key " + new String(key, StandardCharsets.ISO_8859_1));
      }
    }
  }

  /** One warm-up thread: its client, its new keys (oldest first). */
  private final class Worker {
    private final JunctionClient client;
    private final List<byte[]> keys;
    private final byte[] value;
    private final String name;
    private final long deadline;
    private final AtomicLong ops;
    private final AtomicLong errors;
    private final AtomicLong freshLeft;
    private final ArrayDeque<byte[]> fresh = new ArrayDeque<>();
    private long inserted;

    Worker(JunctionClient client, List<byte[]> keys, byte[] value, String name, long deadline, AtomicLong ops,
        AtomicLong errors, AtomicLong freshLeft) {
      this.client = client;
      this.keys = keys;
      this.value = value;
      this.name = name;
      this.deadline = deadline;
      this.ops = ops;
      this.errors = errors;
      this.freshLeft = freshLeft;
    }

    void run() {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stopping && System.nanoTime() < deadline) {
        byte[] key = keys.get(random.nextInt(keys.size()));
        int dice = random.nextInt(100);
        try {
          if (dice < 40) {
            client.get(key);
          } else if (dice < 65) {
            client.put(key, value);
          } else if (dice < 85) {
            insert(key);
          } else if (dice < 95) {
            Optional<Entry> e = client.getLatest(key);
            if (e.isPresent()) {
              client.compareAndSet(key, e.get().seq(), value);
            }
          } else {
            client.scan(key, scanEnd(key), 10);
          }
          ops.incrementAndGet();
        } catch (JunctionException e) {
          errors.incrementAndGet();
        }
      }
      while (!fresh.isEmpty()) {
        try {
          client.delete(fresh.peekFirst());
          fresh.pollFirst();
        } catch (JunctionException e) {
          freshLeft.addAndGet(fresh.size());
          return;
        }
      }
    }

    /** Puts a new key next to {@code near}, and deletes this worker's oldest new key beyond the kept ones. */
    private void insert(byte[] near) {
      byte[] key = freshKey(near, name, inserted++);
      fresh.addLast(key); // before the put: a put that failed may still have been applied
      client.put(key, value);
      if (fresh.size() > FRESH_KEPT) {
        client.delete(fresh.peekFirst());
        fresh.pollFirst();
      }
    }
  }

  /** A new warm-up key: {@code near + "/new/" + worker + "/" + n}. */
  static byte[] freshKey(byte[] near, String worker, long n) {
    byte[] suffix = ("/new/" + worker + "/" + n).getBytes(StandardCharsets.US_ASCII);
    byte[] key = Arrays.copyOf(near, near.length + suffix.length);
    System.arraycopy(suffix, 0, key, near.length, suffix.length);
    return key;
  }

  /** The end of the warm-up keys of {@code key}'s range: its prefix up to the marker, '/' raised to '0'. */
  static byte[] scanEnd(byte[] key) {
    for (int at = key.length - MARKER.length; at >= 0; at--) {
      if (Arrays.equals(key, at, at + MARKER.length, MARKER, 0, MARKER.length)) {
        byte[] end = Arrays.copyOf(key, at + MARKER.length);
        end[end.length - 1]++;
        return end;
      }
    }
    throw new IllegalArgumentException("not a warm-up key");
  }

  /**
   * Whether the nodes' JIT compilers have gone quiet: over the last {@link #WINDOWS} windows, every node
   * spent on average at most {@link #SHARE} of the time compiling. (A node that runs the same requests over
   * and over compiles less and less, in bursts: on a 2-core machine with three nodes, a fresh node compiled
   * at 60-95% of a core for its first minute of load, then in bursts of 3-28% per 5 s, the request path
   * running at about three times its first rate by then.)
   */
  static final class JitQuiet {
    static final int WINDOWS = 4;
    static final double SHARE = 0.12;
    private final ArrayDeque<double[]> last = new ArrayDeque<>();

    /**
     * Each node's compile time in a window as a share of the window's {@code windowMillis}, from two
     * readings of a {@link JitClock}; null when either is unknown or they do not match.
     */
    static double[] shares(long[] before, long[] after, double windowMillis) {
      if (before == null || after == null || before.length != after.length || before.length == 0
          || windowMillis <= 0) {
        return null;
      }
      double[] shares = new double[after.length];
      for (int i = 0; i < after.length; i++) {
        shares[i] = Math.max(0, after[i] - before[i]) / windowMillis;
      }
      return shares;
    }

    /** For the warm-up's log line: the nodes' compile shares, or nothing when unknown. */
    static String describe(double[] shares) {
      if (shares == null) {
        return "";
      }
      StringBuilder b = new StringBuilder("; JIT per node");
      for (double s : shares) {
        b.append(String.format(" %.0f%%", s * 100));
      }
      return b.toString();
    }

    /** Adds a window's compile shares (one per node); true once the compilers are quiet. */
    boolean add(double[] shares) {
      if (!last.isEmpty() && last.peekLast().length != shares.length) {
        last.clear(); // another set of nodes: start again
      }
      last.addLast(shares.clone());
      if (last.size() > WINDOWS) {
        last.removeFirst();
      }
      if (last.size() < WINDOWS) {
        return false;
      }
      for (int node = 0; node < shares.length; node++) {
        double sum = 0;
        for (double[] w : last) {
          sum += w[node];
        }
        if (sum / WINDOWS > SHARE) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Whether a series of throughput windows has stopped rising: the last {@link #WINDOWS} windows are
   * within {@link #SPREAD} of their mean and the last is not more than {@link #SPREAD} above the first of
   * them (a curve that still climbs slowly is not flat). At least {@link #MIN_WINDOWS} windows are seen.
   */
  static final class Plateau {
    static final int WINDOWS = 3;
    static final int MIN_WINDOWS = 4;
    static final double SPREAD = 0.08;
    private final List<Double> rates = new ArrayList<>();

    /** Adds a window's rate; true once the series is flat. */
    boolean add(double rate) {
      rates.add(rate);
      if (rates.size() < MIN_WINDOWS) {
        return false;
      }
      List<Double> last = rates.subList(rates.size() - WINDOWS, rates.size());
      double mean = last.stream().mapToDouble(Double::doubleValue).average().orElse(0);
      if (mean <= 0) {
        return false;
      }
      for (double r : last) {
        if (Math.abs(r - mean) > SPREAD * mean) {
          return false;
        }
      }
      return last.get(WINDOWS - 1) <= last.get(0) * (1 + SPREAD);
    }
  }
}
