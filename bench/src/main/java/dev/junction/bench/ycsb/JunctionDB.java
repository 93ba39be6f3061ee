package dev.junction.bench.ycsb;

import dev.junction.client.CasResult;
import dev.junction.client.Entry;
import dev.junction.client.InvalidArgumentException;
import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import dev.junction.client.UnavailableException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;

/**
 * The YCSB binding: YCSB's {@code DB} on the Junction Java client.
 *
 * <p><b>Layout.</b> Each record is one Junction value under the record's key as it is (YCSB's table
 * name is not part of the key: YCSB uses one table, and keys {@code user<digits>} can then be spread over
 * ranges by a split after the prefix {@code user}). The value is the record's fields, encoded by {@link
 * Records} (length-prefixed names and bytes; YCSB's default 10 fields of 100 bytes make 1,144 bytes).
 *
 * <p><b>Operations.</b> {@code read} is a get (the field subset is picked from the decoded record);
 * {@code insert} a put; {@code delete} a delete; {@code scan} a Junction scan from the start key to the
 * end of the key space with YCSB's record count as limit (at most {@value #MAX_SCAN}). {@code update}
 * with every field of the record ({@code fieldcount} fields, e.g. with {@code writeallfields=true}) is a
 * put; a partial update reads the record with {@link JunctionClient#getLatest} (at the range's head, after
 * the writes of the record in flight there) and writes the merge with a compare-and-set on the sequence
 * number it read (so the old value is not sent back), and when another writer got there first merges
 * again into the value the compare-and-set answered with, so concurrent partial updates of one record lose no
 * field. It tries again until the call deadline ({@code junction.deadline}) has passed since the update
 * began, not a fixed number of times: a hot record's updaters queue behind each other for longer while a
 * range moves, and after {@value #ATTEMPTS_WITHOUT_PAUSE} lost races in a row each attempt first waits a
 * random pause of up to 0.1 ms, doubling with each further loss up to {@value #MAX_PAUSE_MICROS} µs, so
 * that writers which keep colliding spread out instead of colliding again.
 *
 * <p><b>Errors.</b> An absent record is {@code NOT_FOUND} (read, update); {@code UNAVAILABLE} is {@code
 * SERVICE_UNAVAILABLE}, {@code INVALID_ARGUMENT} is {@code BAD_REQUEST}, every other failure (deadline,
 * unknown outcome, store full, a value that is not a record, a partial update that lost every race until
 * its deadline) is {@code ERROR}. The first {@value #ERRORS_LOGGED} failures are
 * printed on stderr with their message, since YCSB itself counts them only.
 *
 * <p><b>Clients.</b> YCSB makes one {@code DB} per client thread. They share one {@link JunctionClient}
 * of all the endpoints of {@code junction.endpoints}: it routes each call by its copy of the routing
 * table to the node that serves it (one multiplexed HTTP/2 connection per node), and uses the endpoints
 * as gateways and failover targets until it has the table. {@code junction.routing=false} sends every
 * call to the endpoints' gateways instead (the server-driven comparison). The last {@link #cleanup}
 * closes the client.
 *
 * <p>Properties: {@code junction.endpoints} (comma-separated {@code host:port}, default {@code
 * 127.0.0.1:7070}), {@code junction.deadline} (the deadline of each call in milliseconds, default 5000;
 * {@code junction.deadline.ms} is accepted too), {@code junction.routing} (default true), {@code
 * junction.read-from} ({@code any} or {@code tail}, default any), {@code junction.event-loops} (the
 * client's network threads, default 1, see {@link JunctionClient.Builder#eventLoopThreads}), {@code
 * junction.native} (the nodes' native endpoints for the blocking single-key calls, default true, see {@link
 * JunctionClient.Builder#nativeProtocol}), {@code junction.read-slow-start} (milliseconds, default 20000, see {@link
 * JunctionClient.Builder#readSlowStart}), and YCSB's {@code fieldcount} (default 10).
 */
public final class JunctionDB extends DB {
  static final int MAX_SCAN = JunctionClient.MAX_SCAN_LIMIT;
  /** Lost races in a row after which a partial update pauses before each further attempt. */
  static final int ATTEMPTS_WITHOUT_PAUSE = 3;
  /** The longest of those pauses, in microseconds (the first is up to 100, each further one twice that). */
  static final long MAX_PAUSE_MICROS = 10_000;
  static final int ERRORS_LOGGED = 10;

  private static final Object LOCK = new Object();
  private static JunctionClient shared;
  private static int users;
  private static final AtomicInteger errors = new AtomicInteger();
  /** Partial updates (read and compare-and-set) since the shared client was made. */
  static final LongAdder partialUpdates = new LongAdder();
  /** Compare-and-sets of partial updates that another writer beat (each merged and tried again). */
  static final LongAdder lostRaces = new LongAdder();
  /** Microseconds of the latest-reads of partial updates (YCSB measures only the whole update). */
  static final ConcurrentHistogram latestReads = new ConcurrentHistogram(3);
  /** Microseconds of the compare-and-sets of partial updates, each attempt. */
  static final ConcurrentHistogram compareAndSets = new ConcurrentHistogram(3);

  private JunctionClient client;
  private int fieldCount;
  private long deadlineNanos;
  private int eventLoops;

  @Override
  public void init() throws DBException {
    Properties p = getProperties();
    List<String> endpoints =
        Arrays.stream(p.getProperty("junction.endpoints", "127.0.0.1:7070").split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .toList();
    if (endpoints.isEmpty()) {
      throw new DBException("junction.endpoints is empty");
    }
    Duration deadline;
    long slowStartMs;
    try {
      slowStartMs = Long.parseLong(p.getProperty("junction.read-slow-start", "20000").trim());
      String ms = p.getProperty("junction.deadline", p.getProperty("junction.deadline.ms", "5000"));
      deadline = Duration.ofMillis(Long.parseLong(ms.trim()));
      deadlineNanos = deadline.toNanos();
      fieldCount = Integer.parseInt(p.getProperty("fieldcount", "10").trim());
      eventLoops = Integer.parseInt(p.getProperty("junction.event-loops", "1").trim());
    } catch (NumberFormatException e) {
      throw new DBException("junction.deadline, junction.event-loops, junction.read-slow-start and fieldcount must be"
          + " numbers: " + e.getMessage(), e);
    }
    if (slowStartMs < 0) {
      throw new DBException("junction.read-slow-start must not be negative, not " + slowStartMs);
    }
    if (eventLoops < 1) {
      throw new DBException("junction.event-loops must be at least 1, not " + eventLoops);
    }
    boolean routing = Boolean.parseBoolean(p.getProperty("junction.routing", "true").trim());
    String nativeProtocol = p.getProperty("junction.native", "true").trim();
    if (!nativeProtocol.equals("true") && !nativeProtocol.equals("false")) {
      throw new DBException("junction.native must be true or false, not " + nativeProtocol);
    }
    String readFrom = p.getProperty("junction.read-from", "any").trim();
    if (!readFrom.equals("any") && !readFrom.equals("tail")) {
      throw new DBException("junction.read-from must be any or tail, not " + readFrom);
    }
    synchronized (LOCK) {
      if (shared == null) {
        try {
          shared = JunctionClient.builder().endpoints(endpoints).deadline(deadline).routing(routing).eventLoopThreads(eventLoops)
              .nativeProtocol(Boolean.parseBoolean(nativeProtocol))
              .readFrom(readFrom.equals("tail") ? JunctionClient.ReadFrom.TAIL : JunctionClient.ReadFrom.ANY_REPLICA)
              .readSlowStart(Duration.ofMillis(slowStartMs))
              .build();
        } catch (RuntimeException e) {
          throw new DBException("cannot create a Junction client for " + endpoints + ": " + e.getMessage(), e);
        }
      }
      users++;
      client = shared;
    }
  }

  @Override
  public void cleanup() {
    synchronized (LOCK) {
      if (client != null && --users == 0) {
        shared.close();
        shared = null;
        if (partialUpdates.sum() > 0) {
          // Contention shapes the update latency (each lost race costs another write): say how much.
          System.err.println(raceSummary(partialUpdates.sumThenReset(), lostRaces.sumThenReset()));
          System.err.println(stepSummary(latestReads, compareAndSets));
          latestReads.reset();
          compareAndSets.reset();
        }
      }
      client = null;
    }
  }

  /**
   * The pause before the next attempt of a partial update that has lost {@code lost} races in a row: none
   * for the first {@value #ATTEMPTS_WITHOUT_PAUSE}, then {@code random} (in [0, 1)) times a bound that
   * starts at 100 µs and doubles with each further loss up to {@value #MAX_PAUSE_MICROS} µs.
   */
  static long pauseMicros(int lost, double random) {
    if (lost < ATTEMPTS_WITHOUT_PAUSE) {
      return 0;
    }
    long bound = Math.min(MAX_PAUSE_MICROS, 100L << Math.min(lost - ATTEMPTS_WITHOUT_PAUSE, 20));
    return (long) (random * bound);
  }

  /** The line the last {@link #cleanup} prints about partial updates and the races they lost. */
  static String raceSummary(long updates, long lost) {
    return String.format(java.util.Locale.ROOT,
        "JunctionDB: %,d partial updates, %,d compare-and-sets lost to a concurrent writer and retried (%.2f%%)",
        updates, lost, updates == 0 ? 0.0 : 100.0 * lost / updates);
  }

  /** The line the last {@link #cleanup} prints about the two steps of partial updates, in milliseconds. */
  static String stepSummary(Histogram reads, Histogram cas) {
    return String.format(java.util.Locale.ROOT,
        "JunctionDB: partial update steps: latest-read p50=%.2fms p99=%.2fms, compare-and-set p50=%.2fms "
            + "p99=%.2fms (%,d attempts)",
        reads.getValueAtPercentile(50) / 1000.0, reads.getValueAtPercentile(99) / 1000.0,
        cas.getValueAtPercentile(50) / 1000.0, cas.getValueAtPercentile(99) / 1000.0, cas.getTotalCount());
  }

  static byte[] key(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
    try {
      Optional<Entry> e = client.get(key(key));
      if (e.isEmpty()) {
        return Status.NOT_FOUND;
      }
      Records.decodeInto(e.get().valueBuffer(), fields, result);
      return Status.OK;
    } catch (RuntimeException e) {
      return failed("read", key, e);
    }
  }

  @Override
  public Status scan(
      String table, String startkey, int recordcount, Set<String> fields, Vector<HashMap<String, ByteIterator>> result) {
    if (recordcount <= 0) {
      return Status.OK;
    }
    try {
      for (Entry e : client.scan(key(startkey), new byte[0], Math.min(recordcount, MAX_SCAN))) {
        HashMap<String, ByteIterator> row = new HashMap<>();
        Records.decodeInto(java.nio.ByteBuffer.wrap(e.value()), fields, row);
        result.add(row);
      }
      return Status.OK;
    } catch (RuntimeException e) {
      return failed("scan", startkey, e);
    }
  }

  @Override
  public Status update(String table, String key, Map<String, ByteIterator> values) {
    // ByteIterators can be read once: take the bytes before any attempt.
    Map<String, byte[]> update = bytes(values);
    byte[] k = key(key);
    try {
      if (update.size() >= fieldCount) {
        client.put(k, Records.encode(update)); // the whole record: nothing to merge
        return Status.OK;
      }
      partialUpdates.increment();
      // At the head, after the writes in flight there: the compare-and-set then loses no race to them.
      long start = System.nanoTime();
      Optional<Entry> current = client.getLatest(k);
      long read = System.nanoTime();
      latestReads.recordValue((read - start) / 1000);
      for (int lost = 0; ; lost++) {
        if (current.isEmpty()) {
          return Status.NOT_FOUND;
        }
        Map<String, byte[]> merged = Records.decode(current.get().valueBuffer());
        merged.putAll(update);
        byte[] value = Records.encode(merged);
        long casStart = System.nanoTime();
        CasResult r = client.compareAndSet(k, current.get().seq(), value);
        compareAndSets.recordValue((System.nanoTime() - casStart) / 1000);
        if (r.applied()) {
          return Status.OK;
        }
        lostRaces.increment();
        current = r.current(); // what beat us: merge into that
        if (System.nanoTime() - start >= deadlineNanos) {
          return failed("update", key, new IllegalStateException("compare-and-set lost " + (lost + 1)
              + " races in a row to concurrent writers within the deadline of " + deadlineNanos / 1_000_000 + " ms"));
        }
        long pause = pauseMicros(lost + 1, ThreadLocalRandom.current().nextDouble());
        if (pause > 0) {
          LockSupport.parkNanos(pause * 1000); // backoff: colliding writers spread out
        }
      }
    } catch (RuntimeException e) {
      return failed("update", key, e);
    }
  }

  @Override
  public Status insert(String table, String key, Map<String, ByteIterator> values) {
    try {
      client.put(key(key), Records.encode(bytes(values)));
      return Status.OK;
    } catch (RuntimeException e) {
      return failed("insert", key, e);
    }
  }

  @Override
  public Status delete(String table, String key) {
    try {
      client.delete(key(key));
      return Status.OK;
    } catch (RuntimeException e) {
      return failed("delete", key, e);
    }
  }

  /** The YCSB status of a failure; also prints the first few failures, YCSB only counts them. */
  static Status failed(String op, String key, RuntimeException e) {
    Status status;
    if (e instanceof UnavailableException) {
      status = Status.SERVICE_UNAVAILABLE;
    } else if (e instanceof InvalidArgumentException) {
      status = Status.BAD_REQUEST;
    } else if (e instanceof JunctionException || e instanceof IllegalArgumentException
        || e instanceof IllegalStateException) {
      status = Status.ERROR; // deadline, unknown outcome, store full, not a record, lost races
    } else {
      throw e; // a bug here, not a failed operation
    }
    int n = errors.incrementAndGet();
    if (n <= ERRORS_LOGGED) {
      System.err.println("JunctionDB: " + op + " " + key + " failed (" + status.getName() + "): " + e
          + (n == ERRORS_LOGGED ? " [further failures are counted, not printed]" : ""));
    }
    return status;
  }

  private static Map<String, byte[]> bytes(Map<String, ByteIterator> values) {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    values.forEach((name, v) -> fields.put(name, v.toArray()));
    return fields;
  }
}
