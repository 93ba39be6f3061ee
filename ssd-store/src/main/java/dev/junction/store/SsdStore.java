package dev.junction.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.EnvInfo;
import org.lmdbjava.GetOp;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-node storage engine: a write-ahead log (WAL) and an in-memory table (memtable) in front of one
 * LMDB environment, which holds a table of user data (keys as they are, so a sub-range is a contiguous
 * interval), a table of per-range metadata and the ranges' replication logs.
 *
 * <p><b>Writes</b> are {@link WriteBatch}es, applied atomically. They go through group commit: every
 * submitted batch joins a queue, and one leader at a time takes what is queued (up to
 * {@code group-commit.max-batches} / {@code max-bytes}), evaluates each batch's conditions against the
 * current state (the memtables over LMDB, including the batches before it in the group), appends the
 * applied batches' operations to the WAL as one record, syncs the WAL ({@code fdatasync}, once for the
 * group, in {@link Durability#FSYNC} mode), inserts them into the memtable, where reads see them, and only
 * then completes each submitter. A thread calling {@link #write} becomes the leader itself when nobody
 * else is, so a lone writer pays no thread hand-off, while concurrent writers share one WAL append and one
 * sync. {@link #submit} never blocks on a commit: a background thread leads for it. Batches are applied in
 * the order they were queued.
 *
 * <p><b>Flushes</b>: in the background, once the memtable holds {@code wal.memtable-bytes} or its first
 * write is {@code wal.flush-interval} old, a new memtable takes the writes and the old one is written into
 * LMDB in one write transaction committed with LMDB's full sync, which also records the WAL position it
 * covers; WAL segments entirely covered are then deleted or kept for reuse. {@link #open} replays the WAL after that
 * position. Batches with a range delete, and every batch while LMDB's map is near its limit, first flush
 * the memtable and then commit straight into LMDB as one synced transaction per group.
 *
 * <p><b>Reads</b> ({@link #get}, {@link #scan}, {@link #snapshot}) never wait for writers: they read an
 * atomically swapped view of the two memtables (the active one and the one being flushed) over an LMDB
 * read transaction. A scan sees one consistent state: every group commit whole or not at all. Values come
 * back with the sequence number of the write that produced them. {@link #snapshot} flushes first, so its
 * LMDB read transaction holds everything written before it.
 *
 * <p><b>Space</b>: the LMDB map starts at {@code initial-map-size} and doubles when it has too little room
 * for what the memtable will need (or when LMDB reports it full), up to {@code max-map-size}; past that,
 * batches that add data fail with {@link StoreFullException}. A batch goes through the WAL only while the
 * map is sure to take the memtable when it is flushed; otherwise it commits straight into LMDB. The last
 * 5% of the maximum is kept for batches that only delete, so space can be freed.
 */
public final class SsdStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SsdStore.class);

  static final String MARKER_FILE = "JUNCTION_STORE";
  /** Format 2: LMDB with a write-ahead log in {@code wal/}. */
  static final String FORMAT_LINE = "junction ssd-store format 2";
  /** Format 1 had no write-ahead log; such a store is opened and marked as format 2. */
  static final String FORMAT_1_LINE = "junction ssd-store format 1";
  static final String LOCK_FILE = "junction.lock";
  private static final String DATA_TABLE = "data";
  private static final String META_TABLE = "meta";
  private static final String LOG_TABLE = "log";
  /** One entry: the WAL position LMDB holds everything up to, and the version of the last write in it. */
  private static final String WAL_TABLE = "wal";
  private static final byte[] COVERED = "covered".getBytes(StandardCharsets.US_ASCII);
  private static final long KIB = 1L << 10;
  private static final long MIB = 1L << 20;

  private final StoreSettings settings;
  private final Path directory;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Env<ByteBuffer> env;
  private final Dbi<ByteBuffer> data;
  private final Dbi<ByteBuffer> meta;
  private final Dbi<ByteBuffer> logTable;
  private final Dbi<ByteBuffer> walTable;
  private final int pageSize;
  /** The key of the WAL table's entry; never changed, so every thread may pass it to LMDB. */
  private final ByteBuffer coveredKey;
  private final long flushIntervalNanos;

  private final ResizeGate gate = new ResizeGate();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ThreadLocal<ByteBuffer> readKey =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(KeyCodec.LMDB_MAX_KEY));

  /** What readers see; replaced whole, never changed. */
  private final AtomicReference<View> view = new AtomicReference<>();
  /** Set by {@link #recover} before the store is handed out. */
  private Wal wal;

  // Group commit. Everything below writeLock is touched only by the thread that holds it.
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final ExecutorService asyncLeader;
  private final ScheduledExecutorService syncer;
  private final WalCodec.Encoder encoder = new WalCodec.Encoder();
  private final LmdbWriter.Buffers leaderBuffers = new LmdbWriter.Buffers();
  /** The version of the last group commit (memtable or LMDB). */
  private long version;
  /** True while batches commit straight into LMDB because the map lacks room for a memtable. */
  private boolean direct;

  // Every LMDB write transaction and map resize happens under lmdbLock. Lock order: writeLock, lmdbLock.
  private final ReentrantLock lmdbLock = new ReentrantLock();
  private final ScheduledExecutorService flusher;
  private final LmdbWriter.Buffers flushBuffers = new LmdbWriter.Buffers();
  private long lastFlushError;

  private final LongAdder commits = new LongAdder();
  private final LongAdder batches = new LongAdder();
  private final LongAdder operations = new LongAdder();
  private final LongAdder bytesWritten = new LongAdder();
  private final LongAdder syncs = new LongAdder();
  /** Told how long each sync of the WAL took, in nanoseconds ({@link #observeSyncs}). */
  private volatile java.util.function.LongConsumer syncObserver = nanos -> {};
  /** Told the number of write batches of each group commit ({@link #observeGroups}). */
  private volatile java.util.function.IntConsumer groupObserver = batches -> {};
  private final LongAdder mapResizes = new LongAdder();
  private final LongAdder rejectedFull = new LongAdder();
  private final LongAdder flushes = new LongAdder();
  private final LongAdder walBytes = new LongAdder();
  private final LongAccumulator largestGroup = new LongAccumulator(Math::max, 0);
  private volatile long mapSize;
  /** Set when a batch that adds data was refused as full; cleared once space was freed or the map grew. */
  private volatile boolean full;
  private long recoveredGroups;

  // Tests only: runs in the next scan between taking its view and opening its LMDB read transaction.
  private volatile Runnable beforeScanTxn;
  private final LongAdder scanRetries = new LongAdder();
  // Tests only: holds a flush between its swap and its LMDB commit.
  private volatile CountDownLatch flushHold;
  private volatile boolean flushHeld;

  /**
   * What a reader reads: the active memtable, the memtable being flushed (or null), the version of the
   * last published group commit, the highest version LMDB may hold for these memtables to lie over it
   * correctly, and the room LMDB's map had at its last commit.
   */
  private record View(Memtable active, Memtable flushing, long visible, long lmdbVersion, long headroom) {
    View withVisible(long v) {
      return new View(active, flushing, v, lmdbVersion, headroom);
    }

    View withHeadroom(long room) {
      return new View(active, flushing, visible, lmdbVersion, room);
    }
  }

  /** A byte string as a hash key. */
  private record ByteKey(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }
  }

  private SsdStore(
      StoreSettings settings,
      Path directory,
      FileChannel lockChannel,
      FileLock lock,
      Env<ByteBuffer> env,
      Dbi<ByteBuffer> data,
      Dbi<ByteBuffer> meta,
      Dbi<ByteBuffer> logTable,
      Dbi<ByteBuffer> walTable) {
    this.settings = settings;
    this.directory = directory;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.env = env;
    this.data = data;
    this.meta = meta;
    this.logTable = logTable;
    this.walTable = walTable;
    this.pageSize = env.stat().pageSize;
    this.coveredKey = ByteBuffer.allocateDirect(COVERED.length).put(COVERED).flip();
    this.flushIntervalNanos = settings.flushInterval().toNanos();
    this.mapSize = env.info().mapSize;
    String name = directory.getFileName().toString();
    this.asyncLeader = Executors.newSingleThreadExecutor(daemon("junction-store-commit-" + name));
    this.flusher = Executors.newSingleThreadScheduledExecutor(daemon("junction-store-flush-" + name));
    this.syncer =
        settings.durability() == Durability.REPLICATED
            ? Executors.newSingleThreadScheduledExecutor(daemon("junction-store-sync-" + name))
            : null;
  }

  /**
   * Opens the store in {@code settings.directory()}, creating it when the directory is missing or empty,
   * and replays its write-ahead log into LMDB.
   *
   * @throws StoreOpenException if the directory holds something that is not a Junction store, a store of
   *     another format, a corrupt environment or write-ahead log, or a store another process has open
   */
  public static SsdStore open(StoreSettings settings) {
    Path dir = settings.directory().toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StoreOpenException("cannot create store directory " + dir + ": " + e, e);
    }
    FileChannel channel = null;
    FileLock fileLock = null;
    Env<ByteBuffer> env = null;
    SsdStore store = null;
    try {
      // Read-only checks first: nothing is created in a directory that is not ours.
      String format = checkDirectory(dir);
      boolean fresh = format == null;
      channel =
          FileChannel.open(
              dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        fileLock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        fileLock = null;
      }
      if (fileLock == null) {
        throw new StoreOpenException(
            "store directory " + dir + " is in use by another store (this process or another)");
      }
      try {
        // No MDB_NOSYNC in either mode: LMDB commits (flushes, direct commits) are rare and fully synced.
        env =
            Env.create()
                .setMapSize(settings.initialMapSize())
                .setMaxDbs(4)
                .setMaxReaders(settings.maxReaders())
                .open(dir.toFile(), EnvFlags.MDB_NOTLS);
      } catch (LmdbException e) {
        throw new StoreOpenException(
            "store directory " + dir + " does not hold a valid LMDB environment: " + e.getMessage(),
            e);
      }
      Dbi<ByteBuffer> data = openTable(env, dir, DATA_TABLE, fresh);
      Dbi<ByteBuffer> meta = openTable(env, dir, META_TABLE, fresh);
      Dbi<ByteBuffer> logTable = openTable(env, dir, LOG_TABLE, true);
      Dbi<ByteBuffer> walTable = openTable(env, dir, WAL_TABLE, true);
      if (!FORMAT_LINE.equals(format)) {
        writeMarker(dir); // a new store, or one of format 1 that now gets a write-ahead log
        if (!fresh) {
          log.info("store {} upgraded from '{}' to '{}'", dir, format, FORMAT_LINE);
        }
      }
      store = new SsdStore(settings, dir, channel, fileLock, env, data, meta, logTable, walTable);
      store.recover();
      store.start();
      log.info(
          "{} store {} (durability {}, map {} MiB of at most {} MiB{})",
          fresh ? "created" : "opened",
          dir,
          settings.durability().name().toLowerCase(),
          store.mapSize / MIB,
          settings.maxMapSize() / MIB,
          store.recoveredGroups == 0
              ? ""
              : ", " + store.recoveredGroups + " group commits replayed from the write-ahead log");
      return store;
    } catch (IOException e) {
      abandonOpen(store, env, fileLock, channel);
      throw new StoreOpenException("cannot open store directory " + dir + ": " + e, e);
    } catch (RuntimeException e) {
      abandonOpen(store, env, fileLock, channel);
      throw e;
    }
  }

  private static void abandonOpen(SsdStore store, Env<ByteBuffer> env, FileLock lock, FileChannel channel) {
    if (store != null) {
      store.closed.set(true);
      store.asyncLeader.shutdown();
      store.flusher.shutdown();
      if (store.syncer != null) {
        store.syncer.shutdown();
      }
      if (store.wal != null) {
        try {
          store.wal.abandon();
        } catch (IOException e) {
          log.warn("while cleaning up a failed open: {}", e.toString());
        }
      }
    }
    closeQuietly(env, lock, channel);
  }

  /**
   * Returns null for a new store and the format line of an existing one; throws for anything that is not
   * a store this build can read.
   */
  private static String checkDirectory(Path dir) throws IOException {
    Path marker = dir.resolve(MARKER_FILE);
    if (Files.exists(marker)) {
      String first = Files.readAllLines(marker, StandardCharsets.UTF_8).stream().findFirst().orElse("");
      if (!FORMAT_LINE.equals(first) && !FORMAT_1_LINE.equals(first)) {
        throw new StoreOpenException(
            "store directory " + dir + " has format '" + first + "', this build reads '" + FORMAT_LINE
                + "' (and '" + FORMAT_1_LINE + "')");
      }
      if (!Files.exists(dir.resolve("data.mdb"))) {
        throw new StoreOpenException(
            "store directory " + dir + " is marked as a Junction store but its data.mdb is missing");
      }
      Path walDir = dir.resolve(Wal.DIRECTORY);
      if (Files.exists(walDir) && !Files.isDirectory(walDir)) {
        throw new StoreOpenException(
            "store directory " + dir + " has a file '" + Wal.DIRECTORY
                + "' where its write-ahead log directory belongs");
      }
      return first;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      List<String> foreign =
          entries
              .map(p -> p.getFileName().toString())
              .filter(n -> !n.equals(LOCK_FILE))
              .sorted()
              .toList();
      if (!foreign.isEmpty()) {
        throw new StoreOpenException(
            "store directory " + dir + " is not empty and is not a Junction store (no " + MARKER_FILE
                + " file; found " + foreign.subList(0, Math.min(5, foreign.size()))
                + "); refusing to write into it");
      }
    }
    return null;
  }
  private static Dbi<ByteBuffer> openTable(Env<ByteBuffer> env, Path dir, String name, boolean fresh) {
    try {
      return fresh ? env.openDbi(name, DbiFlags.MDB_CREATE) : env.openDbi(name);
    } catch (LmdbException e) {
      throw new StoreOpenException(
          "store directory " + dir + " has no usable '" + name + "' table: " + e.getMessage(), e);
    }
  }

  private static void writeMarker(Path dir) throws IOException {
    Path tmp = dir.resolve(MARKER_FILE + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap((FORMAT_LINE + "\n").getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(tmp, dir.resolve(MARKER_FILE), StandardCopyOption.ATOMIC_MOVE);
  }

  private static void closeQuietly(Env<ByteBuffer> env, FileLock lock, FileChannel channel) {
    try {
      if (env != null) {
        env.close();
      }
      if (lock != null) {
        lock.release();
      }
      if (channel != null) {
        channel.close();
      }
    } catch (IOException | RuntimeException e) {
      log.warn("while cleaning up a failed open: {}", e.toString());
    }
  }


  /** Replays the write-ahead log after the position LMDB covers, then flushes what it replayed. */
  private void recover() throws IOException {
    long covered;
    try (Txn<ByteBuffer> txn = env.txnRead()) {
      ByteBuffer v = walTable.get(txn, coveredKey);
      covered = v == null ? 0 : v.order(ByteOrder.BIG_ENDIAN).getLong(v.position());
      version = lmdbVersion(txn);
    }
    view.set(new View(new Memtable(pageSize, version), null, version, version, headroom()));
    wal = Wal.open(directory, settings.walSegmentBytes(), covered, this::replay);
    lmdbLock.lock();
    try {
      swap(wal.position());
      flushFrozen();
    } finally {
      lmdbLock.unlock();
    }
    wal.deleteCovered(wal.position());
  }

  /** Applies one WAL record to the memtable, as the group commit that wrote it did. */
  private void replay(ByteBuffer payload, long end) {
    List<WriteBatch.Op> ops;
    try {
      ops = WalCodec.decode(payload);
    } catch (IllegalArgumentException e) {
      throw new StoreOpenException(
          "store " + directory + ": its write-ahead log holds a record this build cannot read (ending at"
              + " position " + end + "): " + e.getMessage(), e);
    }
    long g = ++version;
    Memtable active = view.get().active();
    for (WriteBatch.Op op : ops) {
      active.apply(op, g, false); // decoded from the log: arrays of their own
    }
    active.publish(g);
    view.updateAndGet(v -> v.withVisible(g));
    recoveredGroups++;
    if (active.bytes() >= settings.memtableBytes()) {
      lmdbLock.lock();
      try {
        swap(end);
        flushFrozen();
      } finally {
        lmdbLock.unlock();
      }
    }
  }

  /** Starts the background flusher (and, in replicated mode, the WAL syncer). */
  private void start() {
    long tick = Math.max(1, Math.min(settings.flushInterval().toMillis() / 4, 100));
    flusher.scheduleWithFixedDelay(this::flushTick, tick, tick, TimeUnit.MILLISECONDS);
    if (syncer != null) {
      long every = settings.syncInterval().toMillis();
      syncer.scheduleWithFixedDelay(this::backgroundSync, every, every, TimeUnit.MILLISECONDS);
    }
  }

  public StoreSettings settings() {
    return settings;
  }

  /** The absolute store directory. */
  public Path directory() {
    return directory;
  }

  // ---------------------------------------------------------------------------------------- reads

  /** The value of {@code key} and the sequence number of the write that produced it, if present. */
  public Optional<Versioned> get(byte[] key) {
    Keys.checkKey(key);
    checkOpen();
    View v = view.get();
    Versioned m = v.active().get(key, v.visible());
    if (m == null && v.flushing() != null) {
      m = v.flushing().get(key, v.visible());
    }
    if (m != null) {
      return present(m);
    }
    enterRead();
    try (Txn<ByteBuffer> txn = env.txnRead()) {
      return read(txn, key, readKey.get());
    } finally {
      gate.exit();
    }
  }

  /**
   * Up to {@code limit} entries of {@code [from, to)} in key order (an empty bound is open), from one
   * consistent state of the store.
   */
  public List<KeyValue> scan(byte[] from, byte[] to, int limit) {
    return scanPage(from, to, limit, Long.MAX_VALUE).entries();
  }

  /**
   * Like {@link #scan}, but returns at most {@code maxBytes} of keys and values (at least one entry, even a
   * larger one); {@link ScanPage#more} then says that the interval holds more entries after the last.
   */
  public ScanPage scanPage(byte[] from, byte[] to, int limit, long maxBytes) {
    Keys.checkInterval(from, to);
    if (limit <= 0) {
      throw new InvalidRequestException("scan limit must be positive, not " + limit);
    }
    for (int attempts = 0; ; attempts = retried(attempts)) {
      View v = view.get();
      Runnable hook = beforeScanTxn;
      if (hook != null) {
        beforeScanTxn = null;
        hook.run();
      }
      enterRead();
      try (Txn<ByteBuffer> txn = env.txnRead();
          Cursor<ByteBuffer> cursor = data.openCursor(txn)) {
        if (!liesOver(v, txn)) {
          scanRetries.increment();
          continue; // flushes after the view was taken: take a newer one
        }
        Iterator<KeyValue> it = entries(v, new RangeIterator(cursor, readKey.get(), from, to), from, to);
        List<KeyValue> out = new ArrayList<>(Math.min(limit, 1024));
        long bytes = 0;
        boolean more = false;
        while (out.size() < limit && it.hasNext()) {
          KeyValue kv = it.next();
          long size = kv.key().length + kv.value().length;
          if (!out.isEmpty() && bytes + size > maxBytes) {
            more = true;
            break;
          }
          out.add(kv);
          bytes += size;
        }
        return new ScanPage(out, more);
      } finally {
        gate.exit();
      }
    }
  }

  /** Samples of a running total kept by {@link #measure}: halved whenever it reaches this many. */
  private static final int MEASURE_SAMPLES = 512;

  /**
   * How many keys {@code [from, to)} holds, their bytes and a key near its middle by bytes, from one
   * consistent state of the store. It walks the interval (every key and value is read once, nothing is
   * kept but a few hundred sampled keys), so it costs about as much as scanning it: for statistics taken
   * now and then, off the request path.
   */
  public RangeSize measure(byte[] from, byte[] to) {
    Keys.checkInterval(from, to);
    for (int attempts = 0; ; attempts = retried(attempts)) {
      View v = view.get();
      enterRead();
      try (Txn<ByteBuffer> txn = env.txnRead();
          Cursor<ByteBuffer> cursor = data.openCursor(txn)) {
        if (!liesOver(v, txn)) {
          scanRetries.increment();
          continue;
        }
        Iterator<KeyValue> it = entries(v, new RangeIterator(cursor, readKey.get(), from, to), from, to);
        // Every step-th key with the bytes before it; the step doubles (and every other sample goes) when
        // the samples fill up, so they stay spread evenly over the interval.
        List<byte[]> sampleKeys = new ArrayList<>();
        List<Long> sampleBytes = new ArrayList<>();
        long step = 1;
        long keys = 0;
        long bytes = 0;
        while (it.hasNext()) {
          KeyValue kv = it.next();
          if (keys % step == 0) {
            sampleKeys.add(kv.key());
            sampleBytes.add(bytes);
            if (sampleKeys.size() == MEASURE_SAMPLES) {
              for (int i = 0; i < MEASURE_SAMPLES / 2; i++) {
                sampleKeys.set(i, sampleKeys.get(2 * i));
                sampleBytes.set(i, sampleBytes.get(2 * i));
              }
              sampleKeys.subList(MEASURE_SAMPLES / 2, MEASURE_SAMPLES).clear();
              sampleBytes.subList(MEASURE_SAMPLES / 2, MEASURE_SAMPLES).clear();
              step *= 2;
            }
          }
          keys++;
          bytes += kv.key().length + kv.value().length;
        }
        byte[] middle = new byte[0];
        if (keys >= 2) { // then at least two samples: the step only doubles past 512 keys
          // The first sample whose bytes before it reach half: never the interval's first key.
          for (int i = 1; i < sampleKeys.size(); i++) {
            if (2 * sampleBytes.get(i) >= bytes) {
              middle = sampleKeys.get(i);
              break;
            }
          }
          if (middle.length == 0) {
            middle = sampleKeys.get(sampleKeys.size() - 1); // the last key holds over half of the bytes
          }
        }
        return new RangeSize(keys, bytes, middle);
      } finally {
        gate.exit();
      }
    }
  }

  /** The entries of {@code [from, to)}: the view's memtables merged over LMDB's. */
  private static Iterator<KeyValue> entries(View v, Iterator<KeyValue> lmdb, byte[] from, byte[] to) {
    if (v.active().isEmpty() && v.flushing() == null) {
      return lmdb;
    }
    return new MergedRange(
        v.active().range(from, to, v.visible()),
        v.flushing() == null ? null : v.flushing().range(from, to, v.visible()),
        lmdb);
  }

  /** How often a read retries with a newer view before it gives up (each retry needs two flushes). */
  private static final int MAX_VIEW_RETRIES = 10_000;

  /** Counts a read's retries; throws when LMDB keeps being ahead of every view, which would be a bug. */
  private int retried(int attempts) {
    if (attempts >= MAX_VIEW_RETRIES) {
      throw new StoreException(
          "store " + directory + ": LMDB stayed ahead of the memtables' view for " + attempts + " reads");
    }
    return attempts + 1;
  }

  /**
   * True when the LMDB state read in {@code txn} is one the view's memtables lie over: LMDB holds no write
   * newer than the view's flushing memtable (or, without one, than LMDB held when the view was taken). A
   * reader that took its view just before a flush finished and a second one began could otherwise see a
   * newer value under an older memtable entry.
   */
  private boolean liesOver(View v, Txn<ByteBuffer> txn) {
    return lmdbVersion(txn) <= v.lmdbVersion();
  }

  /** The stored metadata of one range. */
  public Optional<RangeMeta> meta(long rangeId) {
    checkOpen();
    View v = view.get();
    RangeMeta m = v.active().getMeta(rangeId, v.visible());
    if (m == null && v.flushing() != null) {
      m = v.flushing().getMeta(rangeId, v.visible());
    }
    if (m != null) {
      return m == Memtable.DELETED_META ? Optional.empty() : Optional.of(m);
    }
    enterRead();
    try (Txn<ByteBuffer> txn = env.txnRead()) {
      return readMeta(txn, rangeId, ByteBuffer.allocateDirect(Long.BYTES));
    } finally {
      gate.exit();
    }
  }

  /** The metadata of every range stored on this node, by range id. */
  public SortedMap<Long, RangeMeta> allMeta() {
    for (int attempts = 0; ; attempts = retried(attempts)) {
      View v = view.get();
      enterRead();
      try (Txn<ByteBuffer> txn = env.txnRead();
          Cursor<ByteBuffer> cursor = meta.openCursor(txn)) {
        if (!liesOver(v, txn)) {
          continue;
        }
        SortedMap<Long, RangeMeta> out = new TreeMap<>();
        for (boolean more = cursor.first(); more; more = cursor.next()) {
          long id = cursor.key().order(ByteOrder.BIG_ENDIAN).getLong(0);
          out.put(id, RangeMeta.decode(cursor.val().order(ByteOrder.BIG_ENDIAN)));
        }
        if (v.flushing() != null) {
          v.flushing().overlayMeta(out, v.visible());
        }
        v.active().overlayMeta(out, v.visible());
        return out;
      } finally {
        gate.exit();
      }
    }
  }

  /**
   * Up to {@code limit} records of range {@code rangeId}'s replication log with a sequence number of at
   * least {@code fromSeq}, in sequence order.
   */
  public List<LogRecord> readLog(long rangeId, long fromSeq, int limit) {
    if (limit <= 0) {
      throw new InvalidRequestException("log read limit must be positive, not " + limit);
    }
    for (int attempts = 0; ; attempts = retried(attempts)) {
      View v = view.get();
      enterRead();
      try (Txn<ByteBuffer> txn = env.txnRead();
          Cursor<ByteBuffer> cursor = logTable.openCursor(txn)) {
        if (!liesOver(v, txn)) {
          continue;
        }
        return mergedLog(v, cursor, rangeId, Math.max(0, fromSeq), limit);
      } finally {
        gate.exit();
      }
    }
  }

  /**
   * A range's log records over the layers: for each sequence number the newest layer's record, unless a
   * truncation newer than that record reaches it.
   */
  private static List<LogRecord> mergedLog(
      View v, Cursor<ByteBuffer> cursor, long rangeId, long fromSeq, int limit) {
    List<Memtable.Truncation> truncations = new ArrayList<>();
    v.active().truncations(rangeId, v.visible(), truncations);
    Memtable.LogRange active = v.active().log(rangeId, fromSeq, v.visible());
    Memtable.LogRange flushing = null;
    if (v.flushing() != null) {
      v.flushing().truncations(rangeId, v.visible(), truncations);
      flushing = v.flushing().log(rangeId, fromSeq, v.visible());
    }
    ByteBuffer seek = ByteBuffer.allocateDirect(2 * Long.BYTES);
    seek.putLong(rangeId).putLong(fromSeq).flip();
    boolean stored = cursor.get(seek, GetOp.MDB_SET_RANGE) && logRange(cursor) == rangeId;
    List<LogRecord> out = new ArrayList<>();
    while (out.size() < limit) {
      long seq = Long.MAX_VALUE;
      boolean any = false;
      if (active.valid()) {
        seq = active.seq();
        any = true;
      }
      if (flushing != null && flushing.valid()) {
        seq = Math.min(seq, flushing.seq());
        any = true;
      }
      long storedSeq = stored ? logSeq(cursor) : 0;
      if (stored) {
        seq = Math.min(seq, storedSeq);
        any = true;
      }
      if (!any) {
        break;
      }
      byte[] entry = null;
      long recordVersion = Memtable.LMDB_VERSION;
      if (active.valid() && active.seq() == seq) {
        entry = active.entry().clone();
        recordVersion = active.version();
        active.advance();
      }
      if (flushing != null && flushing.valid() && flushing.seq() == seq) {
        if (entry == null) {
          entry = flushing.entry().clone();
          recordVersion = flushing.version();
        }
        flushing.advance();
      }
      if (stored && storedSeq == seq) {
        if (entry == null) {
          ByteBuffer val = cursor.val();
          entry = new byte[val.remaining()];
          val.get(val.position(), entry);
        }
        stored = cursor.next() && logRange(cursor) == rangeId;
      }
      if (!Memtable.truncated(truncations, seq, recordVersion)) {
        out.add(new LogRecord(seq, entry));
      }
    }
    return out;
  }

  private static long logRange(Cursor<ByteBuffer> cursor) {
    ByteBuffer k = cursor.key().order(ByteOrder.BIG_ENDIAN);
    return k.getLong(k.position());
  }

  private static long logSeq(Cursor<ByteBuffer> cursor) {
    ByteBuffer k = cursor.key().order(ByteOrder.BIG_ENDIAN);
    return k.getLong(k.position() + Long.BYTES);
  }

  /**
   * A consistent, streaming view of {@code [from, to)} as of now, in key order, for state transfer. It
   * first flushes the memtable (waiting for the commit in progress), so LMDB holds every write before the
   * call. The snapshot holds an LMDB read transaction (and so keeps the pages it sees) until it is closed:
   * close it promptly. It may be read from any one thread at a time.
   */
  public StoreSnapshot snapshot(byte[] from, byte[] to) {
    Keys.checkInterval(from, to);
    flush();
    enterRead();
    Txn<ByteBuffer> txn = null;
    try {
      txn = env.txnRead();
      Cursor<ByteBuffer> cursor = data.openCursor(txn);
      ByteBuffer seek = ByteBuffer.allocateDirect(KeyCodec.LMDB_MAX_KEY);
      return new StoreSnapshot(this, txn, cursor, new RangeIterator(cursor, seek, from, to));
    } catch (RuntimeException e) {
      if (txn != null) {
        txn.close();
      }
      gate.exit();
      throw e;
    }
  }

  Optional<RangeMeta> snapshotMeta(Txn<ByteBuffer> txn, long rangeId) {
    return readMeta(txn, rangeId, ByteBuffer.allocateDirect(Long.BYTES));
  }

  void releaseSnapshot(Txn<ByteBuffer> txn, Cursor<ByteBuffer> cursor) {
    try {
      cursor.close();
      txn.close();
    } finally {
      gate.exit();
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new StoreClosedException("store " + directory + " is closed");
    }
  }

  private void enterRead() {
    gate.enter();
    if (closed.get()) {
      gate.exit();
      throw new StoreClosedException("store " + directory + " is closed");
    }
  }

  /** A memtable entry as a read result: absent for a delete, else a copy. */
  private static Optional<Versioned> present(Versioned m) {
    return m == Memtable.DELETED ? Optional.empty() : Optional.of(new Versioned(m.value().clone(), m.seq()));
  }

  private Optional<Versioned> read(Txn<ByteBuffer> txn, byte[] key, ByteBuffer keyBuffer) {
    KeyCodec.encode(key, keyBuffer);
    ByteBuffer v = data.get(txn, keyBuffer);
    if (v == null) {
      return Optional.empty();
    }
    v.order(ByteOrder.BIG_ENDIAN);
    if (!KeyCodec.ownsValue(key, v)) {
      throw new StoreException(
          "two keys share a stored prefix and a SHA-256 digest: " + Keys.printable(key));
    }
    return Optional.of(new Versioned(KeyCodec.value(key.length, v), KeyCodec.seq(v)));
  }

  private Optional<RangeMeta> readMeta(Txn<ByteBuffer> txn, long rangeId, ByteBuffer keyBuffer) {
    keyBuffer.clear();
    keyBuffer.putLong(rangeId).flip();
    ByteBuffer v = meta.get(txn, keyBuffer);
    return v == null ? Optional.empty() : Optional.of(RangeMeta.decode(v.order(ByteOrder.BIG_ENDIAN)));
  }

  /** The version of the last write LMDB holds (0 for a store that never recorded one). */
  private long lmdbVersion(Txn<ByteBuffer> txn) {
    ByteBuffer v = walTable.get(txn, coveredKey);
    return v == null ? 0 : v.order(ByteOrder.BIG_ENDIAN).getLong(v.position() + Long.BYTES);
  }

  private void writeCovered(Txn<ByteBuffer> txn, long walPosition, long lastVersion) {
    ByteBuffer dst = walTable.reserve(txn, coveredKey, 2 * Long.BYTES).order(ByteOrder.BIG_ENDIAN);
    dst.putLong(0, walPosition).putLong(Long.BYTES, lastVersion);
  }

  // --------------------------------------------------------------------------------------- writes

  /** Writes one key (a batch of one put). */
  public void put(byte[] key, byte[] value, long seq) {
    write(new WriteBatch().put(key, value, seq));
  }

  /** Removes one key if present. */
  public void delete(byte[] key) {
    write(new WriteBatch().delete(key));
  }

  /**
   * Writes {@code newValue} if {@code key} currently holds {@code expected} (compared by value bytes), or
   * is absent when {@code expected} is null. Evaluated atomically inside the commit.
   */
  public CasResult compareAndSet(byte[] key, byte[] expected, byte[] newValue, long seq) {
    CommitResult r = write(new WriteBatch().expect(key, expected).put(key, newValue, seq));
    return r.applied()
        ? new CasResult(true, Optional.of(new Versioned(newValue, seq)))
        : new CasResult(false, r.observed().get(0));
  }

  /**
   * Commits {@code batch} and returns once it is committed: in the WAL and the memtable (and the WAL
   * synced, in fsync mode), or in LMDB. The calling thread may commit other submitters' batches with its
   * own.
   *
   * @throws StoreFullException if the store is full and the batch adds data
   * @throws InvalidRequestException if a value exceeds this store's {@code max-value-size}
   */
  public CommitResult write(WriteBatch batch) {
    checkBatch(batch);
    if (batch.isEmpty()) {
      return CommitResult.APPLIED;
    }
    Pending p = new Pending(batch, Thread.currentThread(), null);
    enqueue(p);
    boolean interrupted = false;
    while (!p.done) {
      if (writeLock.tryLock()) {
        try {
          while (!p.done) {
            commitNextGroup();
          }
        } finally {
          writeLock.unlock();
        }
        passLeadership();
      } else {
        LockSupport.park(this);
        // An interrupt cannot withdraw a queued batch; remember it and keep waiting for the outcome.
        interrupted |= Thread.interrupted();
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return p.outcome();
  }

  /**
   * Queues {@code batch} for commit and returns at once. The future completes, on the store's commit
   * thread, after the commit (and the WAL sync, in fsync mode); keep its callbacks short. It fails with a
   * {@link StoreException}.
   */
  public CompletableFuture<CommitResult> submit(WriteBatch batch) {
    try {
      checkBatch(batch);
    } catch (StoreException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (batch.isEmpty()) {
      return CompletableFuture.completedFuture(CommitResult.APPLIED);
    }
    Pending p = new Pending(batch, null, new CompletableFuture<>());
    try {
      enqueue(p);
    } catch (StoreClosedException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (!writeLock.isLocked()) {
      scheduleAsyncLeader();
    }
    return p.future;
  }

  /**
   * Writes a stream of entries (a snapshot from another replica) in batches of {@code entriesPerBatch},
   * keeping one batch in flight while the next is built. Not atomic: each batch commits on its own, so a
   * caller that is interrupted resumes from the last key it knows was written.
   *
   * @return the number of entries written
   */
  public long importEntries(Iterator<KeyValue> entries, int entriesPerBatch) {
    if (entriesPerBatch <= 0) {
      throw new InvalidRequestException("entries per batch must be positive");
    }
    long count = 0;
    CompletableFuture<CommitResult> inFlight = null;
    WriteBatch batch = new WriteBatch();
    int inBatch = 0;
    while (entries.hasNext()) {
      KeyValue kv = entries.next();
      batch.put(kv.key(), kv.value(), kv.seq());
      count++;
      if (++inBatch == entriesPerBatch || !entries.hasNext()) {
        CompletableFuture<CommitResult> next = submit(batch);
        await(inFlight);
        inFlight = next;
        batch = new WriteBatch();
        inBatch = 0;
      }
    }
    await(inFlight);
    return count;
  }

  private static void await(CompletableFuture<CommitResult> f) {
    if (f == null) {
      return;
    }
    try {
      f.get();
    } catch (ExecutionException e) {
      throw asStoreException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while importing", e);
    }
  }

  private static StoreException asStoreException(Throwable t) {
    if (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t instanceof StoreException se ? se : new StoreException("write failed: " + t, t);
  }

  private void checkBatch(WriteBatch batch) {
    if (closed.get()) {
      throw new StoreClosedException("store " + directory + " is closed");
    }
    for (WriteBatch.Op op : batch.ops()) {
      if (op instanceof WriteBatch.Put put) {
        Keys.checkValue(put.value(), settings.maxValueBytes());
      }
    }
  }

  private void enqueue(Pending p) {
    queue.add(p);
    // close() drains the queue after it sets `closed`; a batch queued after that drain withdraws itself.
    if (closed.get() && queue.remove(p)) {
      throw new StoreClosedException("store " + directory + " is closed");
    }
  }

  /** Called after the write lock is released: make sure whatever is queued gets a leader. */
  private void passLeadership() {
    Pending next = queue.peek();
    if (next == null) {
      return;
    }
    if (next.waiter != null) {
      LockSupport.unpark(next.waiter);
    } else {
      scheduleAsyncLeader();
    }
  }

  private void scheduleAsyncLeader() {
    try {
      asyncLeader.execute(this::leadAsync);
    } catch (RejectedExecutionException e) {
      // Closing: close() commits what is queued itself.
    }
  }

  private void leadAsync() {
    while (!queue.isEmpty() && writeLock.tryLock()) {
      try {
        while (!queue.isEmpty()) {
          commitNextGroup();
        }
      } finally {
        writeLock.unlock();
      }
    }
    // If tryLock failed, the holder passes leadership on when it unlocks.
  }

  /** Takes one group from the queue and commits it. Caller holds the write lock. */
  private void commitNextGroup() {
    List<Pending> group = new ArrayList<>();
    long bytes = 0;
    Pending q;
    while (group.size() < settings.maxGroupBatches()
        && bytes < settings.maxGroupBytes()
        && (q = queue.poll()) != null) {
      group.add(q);
      bytes += q.batch.estimatedBytes();
    }
    if (!group.isEmpty()) {
      commit(group);
    }
  }

  private void commit(List<Pending> group) {
    IOException walFailure = wal.failure();
    if (walFailure != null) {
      StoreException failure =
          new StoreException(
              "store " + directory + " refuses writes since its write-ahead log failed; reopen it", walFailure);
      for (Pending p : group) {
        p.fail(failure);
      }
      return;
    }
    try {
      if (!direct && !anyRangeDelete(group) && walAdmits(group)) {
        commitToWal(group);
      } else {
        commitDirect(group);
      }
    } catch (RuntimeException e) {
      log.error("a group commit of {} batches failed in {}", group.size(), directory, e);
      StoreException failure = asStoreException(e);
      for (Pending p : group) {
        if (!p.done) {
          p.fail(failure);
        }
      }
    }
  }

  private static boolean anyRangeDelete(List<Pending> group) {
    for (Pending p : group) {
      if (p.batch.hasRangeDelete()) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------- the WAL path

  /**
   * True when the group may go through the WAL: LMDB's map has room for the memtables and this group when
   * they are flushed. When it has not, the memtables are flushed now, and the map grows if that is still not
   * enough; failing that, the store commits straight into LMDB from now on ({@link #direct}).
   */
  private boolean walAdmits(List<Pending> group) {
    long cost = 0;
    for (Pending p : group) {
      cost += Memtable.flushCost(p.batch, pageSize);
    }
    View v = view.get();
    long held = v.active().cost() + (v.flushing() == null ? 0 : v.flushing().cost());
    if (held + cost <= room(v)) {
      return true;
    }
    long want = Math.max(2 * cost, minWalRoom());
    lmdbLock.lock();
    try {
      flushAllLocked();
      if (room(view.get()) >= want) {
        return true;
      }
      if (mapSize < settings.putLimit() && growMap(growthTarget(want)) && room(view.get()) >= want) {
        return true;
      }
      direct = true;
      log.info(
          "store {} commits straight into LMDB (a synced LMDB commit per group) until its map has room"
              + " again: {} MiB free in a map of {} MiB, at most {} MiB",
          directory, Math.max(0, view.get().headroom()) / MIB, mapSize / MIB, settings.maxMapSize() / MIB);
      return false;
    } finally {
      lmdbLock.unlock();
    }
  }

  /** What LMDB's map can still take, less a margin for the pages a flush touches beyond its entries. */
  private long room(View v) {
    return v.headroom() - (64L * pageSize + mapSize / 128);
  }

  /**
   * The least room worth using the WAL for (a quarter of the map, within 256 KiB and 64 MiB): with less,
   * memtables would be flushed every few groups. Below it the map doubles.
   */
  private long minWalRoom() {
    return Math.min(64 * MIB, Math.max(256 * KIB, mapSize / 4));
  }

  /** Double the map (more if that leaves less than {@code want} of room), at most the put limit. */
  private long growthTarget(long want) {
    long used = (env.info().lastPageNumber + 1) * pageSize;
    long target = Math.max(mapSize * 2, (used + want + 64L * pageSize) * 128 / 127);
    if (target > mapSize * 2) {
      target = (target + MIB - 1) / MIB * MIB;
    }
    return Math.min(settings.putLimit(), target);
  }

  /** Evaluates, logs, syncs (fsync mode) and inserts one group into the memtable. */
  private void commitToWal(List<Pending> group) {
    View v = view.get();
    long g = version + 1;
    List<CommitResult> results = evaluate(group, v);
    if (!encoder.isEmpty()) {
      try {
        long before = wal.position();
        walBytes.add(wal.append(encoder.record()) - before);
        if (settings.durability() == Durability.FSYNC) {
          syncWal();
        }
      } catch (IOException e) {
        StoreException failure =
            new StoreException("store " + directory + ": writing the write-ahead log failed: " + e, e);
        log.error("{}", failure.getMessage(), e);
        for (Pending p : group) {
          p.fail(failure);
        }
        return;
      }
      Memtable active = v.active();
      for (int i = 0; i < group.size(); i++) {
        if (results.get(i).applied()) {
          WriteBatch batch = group.get(i).batch;
          for (WriteBatch.Op op : batch.ops()) {
            active.apply(op, g, !batch.handsOver());
          }
        }
      }
      active.publish(g);
      version = g;
      view.updateAndGet(x -> x.withVisible(g));
    }
    commits.increment();
    complete(group, results);
    afterGroup();
  }

  /**
   * Evaluates the conditions of every batch of the group, in order, against the memtables over LMDB and
   * the batches applied before it in the group, and encodes the applied batches' operations as the
   * group's WAL record.
   */
  private List<CommitResult> evaluate(List<Pending> group, View v) {
    encoder.reset();
    List<CommitResult> results = new ArrayList<>(group.size());
    Map<ByteKey, Versioned> written = group.size() > 1 && anyConditions(group) ? new HashMap<>() : null;
    Txn<ByteBuffer> txn = null;
    try {
      for (Pending p : group) {
        WriteBatch batch = p.batch;
        CommitResult r = CommitResult.APPLIED;
        if (!batch.conditions().isEmpty()) {
          if (txn == null) {
            gate.enter();
            try {
              txn = env.txnRead();
            } catch (RuntimeException e) {
              gate.exit();
              throw e;
            }
          }
          r = check(batch, v, written, txn);
        }
        results.add(r);
        if (r.applied()) {
          for (WriteBatch.Op op : batch.ops()) {
            encoder.add(op);
            if (written != null) {
              remember(written, op);
            }
          }
        }
      }
    } finally {
      if (txn != null) {
        txn.close();
        gate.exit();
      }
    }
    return results;
  }

  private static boolean anyConditions(List<Pending> group) {
    for (Pending p : group) {
      if (!p.batch.conditions().isEmpty()) {
        return true;
      }
    }
    return false;
  }

  private CommitResult check(
      WriteBatch batch, View v, Map<ByteKey, Versioned> written, Txn<ByteBuffer> txn) {
    List<Optional<Versioned>> observed = new ArrayList<>(batch.conditions().size());
    boolean holds = true;
    for (WriteBatch.Expect c : batch.conditions()) {
      Optional<Versioned> current = current(c.key(), v, written, txn);
      observed.add(current);
      holds &= matches(c, current);
    }
    return new CommitResult(holds, observed);
  }

  /** The writer's view of a key: this group's earlier batches, then the memtables, then LMDB. */
  private Optional<Versioned> current(
      byte[] key, View v, Map<ByteKey, Versioned> written, Txn<ByteBuffer> txn) {
    Versioned m = written == null ? null : written.get(new ByteKey(key));
    if (m == null) {
      m = v.active().get(key, Long.MAX_VALUE);
    }
    if (m == null && v.flushing() != null) {
      m = v.flushing().get(key, Long.MAX_VALUE);
    }
    return m != null ? present(m) : read(txn, key, leaderBuffers.key);
  }

  private static void remember(Map<ByteKey, Versioned> written, WriteBatch.Op op) {
    if (op instanceof WriteBatch.Put put) {
      written.put(new ByteKey(put.key()), new Versioned(put.value(), put.seq()));
    } else if (op instanceof WriteBatch.Delete del) {
      written.put(new ByteKey(del.key()), Memtable.DELETED);
    }
  }

  private static boolean matches(WriteBatch.Expect c, Optional<Versioned> current) {
    return c.expected() == null
        ? current.isEmpty()
        : current.isPresent() && Arrays.equals(current.get().value(), c.expected());
  }

  /**
   * After a group: hands the memtable to the flusher once it is large or old enough. If the flush before
   * it is still running when the memtable reached twice its size, waits for that flush (writes stall
   * rather than memory growing without bound).
   */
  private void afterGroup() {
    View v = view.get();
    Memtable active = v.active();
    if (active.isEmpty()
        || (active.bytes() < settings.memtableBytes()
            && active.ageNanos() < flushIntervalNanos
            && active.cost() < room(v) / 2)) {
      return;
    }
    if (v.flushing() != null) {
      if (active.bytes() < 2 * settings.memtableBytes()) {
        return; // the flusher is on it; a later group looks again
      }
      lmdbLock.lock();
      try {
        flushFrozen();
      } catch (RuntimeException e) {
        reportFlushFailure(e);
        return;
      } finally {
        lmdbLock.unlock();
      }
    }
    swap(wal.position());
    scheduleFlush();
  }

  // ------------------------------------------------------------------------------------- flushing

  /**
   * Freezes the active memtable as the one to flush, covering the WAL up to {@code walPosition}, and
   * starts a new one. Does nothing while a flush is pending or the memtable is empty. Caller holds the
   * write lock (or is recovering).
   */
  private void swap(long walPosition) {
    View v = view.get();
    if (v.flushing() != null || v.active().isEmpty()) {
      return;
    }
    Memtable old = v.active();
    old.freeze(walPosition);
    Memtable next = new Memtable(pageSize, version);
    view.updateAndGet(x -> new View(next, old, x.visible(), old.maxVersion(), x.headroom()));
  }

  /**
   * Writes the frozen memtable (if any) into LMDB in one fully synced write transaction that also records
   * the WAL position it covers, then lets readers drop it and deletes the WAL segments LMDB now covers.
   * Caller holds the LMDB lock.
   */
  private void flushFrozen() {
    Memtable frozen = view.get().flushing();
    if (frozen == null) {
      return;
    }
    awaitFlushHold();
    writeFlush(frozen);
    long room = headroomOr(view.get().headroom());
    view.updateAndGet(x -> new View(x.active(), null, x.visible(), frozen.maxVersion(), room));
    flushes.increment();
    syncs.increment();
    if (wal != null) {
      wal.deleteCovered(frozen.coveredPosition());
    }
  }

  private void writeFlush(Memtable frozen) {
    while (true) {
      try (Txn<ByteBuffer> txn = env.txnWrite()) {
        frozen.flushInto(new LmdbWriter(txn, flushBuffers, data, meta, logTable));
        writeCovered(txn, frozen.coveredPosition(), frozen.maxVersion());
        txn.commit();
        return;
      } catch (Env.MapFullException e) {
        // The estimate should have kept this from happening: what is acknowledged must fit, so a flush
        // may use the space held back for deletes.
        long current = mapSize;
        if (current >= settings.maxMapSize()
            || !growMap(Math.min(settings.maxMapSize(), Math.max(current * 2, current + MIB)))) {
          full = true;
          throw new StoreFullException(
              "store " + directory + " cannot write its memtable into LMDB: the map is full at "
                  + mapSize / MIB + " MiB (junction.store.max-map-size " + settings.maxMapSize() / MIB
                  + " MiB); the writes stay in the write-ahead log");
        }
      }
    }
  }

  /** Writes both memtables into LMDB. Caller holds the write lock and the LMDB lock. */
  private void flushAllLocked() {
    flushFrozen();
    swap(wal.position());
    flushFrozen();
  }

  /**
   * Writes everything the memtable holds into LMDB now, in synced LMDB commits, and deletes the WAL
   * segments that LMDB then covers: every write completed before the call is in LMDB when it returns.
   * Waits for the group commit in progress, but writers wait only while the memtable is swapped out, not
   * for LMDB's commit (a state transfer's snapshot flushes, and that commit can take hundreds of
   * milliseconds: every range of the node would stall). The store also flushes by itself in the
   * background ({@code wal.memtable-bytes}, {@code wal.flush-interval}).
   */
  public void flush() {
    checkOpen();
    // A memtable frozen earlier (the background flusher's) first: only one may be frozen at a time.
    flushFrozenNow();
    writeLock.lock();
    try {
      checkOpen(); // close() flushed under this lock and may have closed the environment since
      // Freezes what every completed write left in the active memtable. When another memtable was frozen
      // since the line above, the swap waits: that one was frozen after this call began, so it holds them.
      swap(wal.position());
    } finally {
      writeLock.unlock();
      passLeadership();
    }
    flushFrozenNow();
  }

  /** Flushes the frozen memtable, if any, under the LMDB lock alone: writers go on into the active one. */
  private void flushFrozenNow() {
    lmdbLock.lock();
    try {
      checkOpen(); // close() sets closed before it takes this lock, and closes LMDB only after it
      flushFrozen();
    } finally {
      lmdbLock.unlock();
    }
  }

  /** The flusher's periodic task: swaps an old memtable out when the write lock is free, flushes. */
  private void flushTick() {
    if (closed.get()) {
      return;
    }
    try {
      View v = view.get();
      if (v.flushing() == null
          && !v.active().isEmpty()
          && v.active().ageNanos() >= flushIntervalNanos
          && writeLock.tryLock()) {
        // Otherwise the leader holds the lock and swaps after its group.
        try {
          swap(wal.position());
        } finally {
          writeLock.unlock();
        }
        passLeadership();
      }
      if (view.get().flushing() != null) {
        lmdbLock.lock();
        try {
          flushFrozen();
        } finally {
          lmdbLock.unlock();
        }
      }
    } catch (RuntimeException e) {
      reportFlushFailure(e);
    }
  }

  private void scheduleFlush() {
    try {
      flusher.execute(this::flushTick);
    } catch (RejectedExecutionException e) {
      // Closing: close() flushes itself.
    }
  }

  private void reportFlushFailure(RuntimeException e) {
    long now = System.nanoTime();
    if (lastFlushError == 0 || now - lastFlushError > TimeUnit.SECONDS.toNanos(10)) {
      lastFlushError = now | 1;
      log.error(
          "store {}: writing the memtable into LMDB failed; its writes stay in the write-ahead log and"
              + " the flush is retried", directory, e);
    }
  }

  /** The room LMDB's map has beyond its last used page. */
  private long headroom() {
    EnvInfo info = env.info();
    return info.mapSize - (info.lastPageNumber + 1) * pageSize;
  }

  /**
   * {@link #headroom}, or {@code fallback} if LMDB cannot say: right after an LMDB commit the view must be
   * published whatever happens, or scans would keep finding LMDB ahead of their view.
   */
  private long headroomOr(long fallback) {
    try {
      return headroom();
    } catch (RuntimeException e) {
      log.warn("store {}: cannot read LMDB's map usage: {}", directory, e.toString());
      return Math.min(fallback, 0);
    }
  }

  // ------------------------------------------------------------------------------- the direct path

  /** Flushes the memtables, then commits the group as one synced LMDB write transaction. */
  private void commitDirect(List<Pending> group) {
    lmdbLock.lock();
    try {
      flushAllLocked();
      commitToLmdb(group);
    } finally {
      lmdbLock.unlock();
    }
  }

  /** Commits into LMDB, the memtables being empty; caller holds the write lock and the LMDB lock. */
  private void commitToLmdb(List<Pending> group) {
    long g = version + 1;
    List<CommitResult> results;
    try {
      results = applyAndCommit(group, g);
    } catch (Env.MapFullException e) {
      onMapFull(group);
      return;
    } catch (RuntimeException e) {
      if (group.size() > 1) {
        log.warn("a group commit of {} batches failed ({}); committing them one by one", group.size(), e.toString());
        for (Pending p : group) {
          commitToLmdb(List.of(p));
        }
      } else {
        log.error("a write batch failed to commit in {}", directory, e);
        group.get(0).fail(asStoreException(e));
      }
      return;
    }
    version = g;
    long room = headroomOr(view.get().headroom());
    view.updateAndGet(x -> new View(x.active(), x.flushing(), g, g, room));
    commits.increment();
    syncs.increment();
    if (full) {
      for (Pending p : group) {
        if (p.batch.onlyFreesSpace()) {
          full = false; // something was freed: let writers try again
          break;
        }
      }
    }
    if (direct && room(view.get()) >= 2 * minWalRoom()) {
      direct = false;
      log.info("store {} has room in its map again ({} MiB free): commits go through the WAL", directory,
          room / MIB);
    }
    complete(group, results);
  }

  private List<CommitResult> applyAndCommit(List<Pending> group, long g) {
    try (Txn<ByteBuffer> txn = env.txnWrite()) {
      LmdbWriter writer = new LmdbWriter(txn, leaderBuffers, data, meta, logTable);
      List<CommitResult> results = new ArrayList<>(group.size());
      for (Pending p : group) {
        results.add(apply(txn, writer, p.batch));
      }
      writeCovered(txn, wal.position(), g);
      txn.commit();
      return results;
    }
  }

  private CommitResult apply(Txn<ByteBuffer> txn, LmdbWriter writer, WriteBatch batch) {
    List<Optional<Versioned>> observed = new ArrayList<>(batch.conditions().size());
    boolean holds = true;
    for (WriteBatch.Expect c : batch.conditions()) {
      Optional<Versioned> current = read(txn, c.key(), leaderBuffers.key);
      observed.add(current);
      holds &= matches(c, current);
    }
    if (!holds) {
      return new CommitResult(false, observed);
    }
    for (WriteBatch.Op op : batch.ops()) {
      if (op instanceof WriteBatch.Put put) {
        writer.put(put.key(), new Versioned(put.value(), put.seq()));
      } else if (op instanceof WriteBatch.Delete del) {
        writer.delete(del.key());
      } else if (op instanceof WriteBatch.DeleteRange range) {
        writer.deleteRange(range.from(), range.to());
      } else if (op instanceof WriteBatch.PutMeta pm) {
        writer.putMeta(pm.rangeId(), pm.meta());
      } else if (op instanceof WriteBatch.DeleteMeta dm) {
        writer.deleteMeta(dm.rangeId());
      } else if (op instanceof WriteBatch.AppendLog al) {
        writer.appendLog(al.rangeId(), al.seq(), al.entry());
      } else if (op instanceof WriteBatch.TruncateLog tl) {
        writer.truncateLog(tl.rangeId(), tl.upToSeq());
      } else {
        throw new IllegalStateException("unknown operation " + op);
      }
    }
    return observed.isEmpty() ? CommitResult.APPLIED : new CommitResult(true, observed);
  }

  /** Counts a committed group and answers its submitters. */
  private void complete(List<Pending> group, List<CommitResult> results) {
    batches.add(group.size());
    largestGroup.accumulate(group.size());
    groupObserver.accept(group.size());
    for (int i = 0; i < group.size(); i++) {
      Pending p = group.get(i);
      CommitResult r = results.get(i);
      if (r.applied()) {
        operations.add(p.batch.ops().size());
        bytesWritten.add(p.batch.estimatedBytes());
      }
      p.complete(r);
    }
  }

  private void onMapFull(List<Pending> group) {
    long current = mapSize;
    long putLimit = settings.putLimit();
    if (current < putLimit) {
      long target = Math.min(putLimit, Math.max(current * 2, current + MIB));
      if (growMap(target)) {
        commitToLmdb(group);
      } else {
        failAll(group, "the map is full and could not grow while reads stayed open for "
            + settings.resizeWait().toSeconds() + " s (" + gate.openReaders() + " open)");
      }
      return;
    }
    if (group.size() > 1) {
      for (Pending p : group) {
        commitToLmdb(List.of(p));
      }
      return;
    }
    Pending p = group.get(0);
    if (p.batch.onlyFreesSpace() && current < settings.maxMapSize()) {
      if (growMap(settings.maxMapSize())) {
        commitToLmdb(group);
        return;
      }
    }
    rejectedFull.increment();
    full = true;
    failAll(group, "store " + directory + " is full: it reached junction.store.max-map-size ("
        + settings.maxMapSize() / MIB + " MiB); delete data or raise the limit");
  }

  private void failAll(List<Pending> group, String message) {
    for (Pending p : group) {
      p.fail(new StoreFullException(message));
    }
  }

  /** Resizes the map to {@code target} once no read is open. Caller holds the LMDB lock. */
  private boolean growMap(long target) {
    long from = mapSize;
    try {
      boolean done =
          gate.resize(() -> env.setMapSize(target), settings.resizeWait().toNanos());
      if (done) {
        mapSize = env.info().mapSize;
        mapResizes.increment();
        full = false;
        long room = headroomOr(view.get().headroom());
        view.updateAndGet(x -> x.withHeadroom(room));
        log.info("store {} map grew from {} MiB to {} MiB", directory, from / MIB, mapSize / MIB);
      } else {
        log.warn("store {} map could not grow: {} reads or snapshots stayed open", directory,
            gate.openReaders());
      }
      return done;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Syncs the WAL if it holds anything unsynced; counts and times the sync. */
  private void syncWal() throws IOException {
    long start = System.nanoTime();
    if (wal.force()) {
      syncs.increment();
      syncObserver.accept(System.nanoTime() - start);
    }
  }

  /** Replicated mode: syncs the WAL every sync-interval (LMDB commits are synced by themselves). */
  private void backgroundSync() {
    if (closed.get()) {
      return;
    }
    try {
      syncWal();
    } catch (IOException | RuntimeException e) {
      if (!closed.get()) {
        log.error("background sync of the write-ahead log of store {} failed", directory, e);
      }
    }
  }

  // ------------------------------------------------------------------------------------ lifecycle

  /**
   * True when the last batch that added data was refused with {@link StoreFullException} and no space has
   * been freed since: a caller that must not start a write it cannot finish (a chain head) refuses writes
   * that add data while this holds. Reads and deletes keep working.
   */
  public boolean isFull() {
    return full;
  }

  /**
   * Tells {@code observer} how long each later sync of the write-ahead log takes, in nanoseconds (an
   * {@code fdatasync}; in fsync mode one per group commit), on the thread that synced. For metrics: it must
   * be quick and must not throw.
   */
  public void observeSyncs(java.util.function.LongConsumer observer) {
    this.syncObserver = java.util.Objects.requireNonNull(observer);
  }

  /**
   * Tells {@code observer} how many write batches each later group commit took (one WAL record, or one
   * LMDB transaction), on the committing thread. For metrics: it must be quick and must not throw.
   */
  public void observeGroups(java.util.function.IntConsumer observer) {
    this.groupObserver = java.util.Objects.requireNonNull(observer);
  }

  /** Counters since the store was opened; {@link StoreStats} says what each counts. */
  public StoreStats stats() {
    return new StoreStats(
        commits.sum(),
        batches.sum(),
        operations.sum(),
        bytesWritten.sum(),
        syncs.sum(),
        largestGroup.get(),
        mapResizes.sum(),
        mapSize,
        rejectedFull.sum(),
        flushes.sum(),
        walBytes.sum());
  }

  /**
   * Commits what is queued, flushes the memtable into LMDB (a synced commit), waits for open reads and
   * snapshots (up to {@code resize-wait}), syncs and closes the write-ahead log and closes the
   * environment. Later calls do nothing.
   *
   * @throws StoreException if snapshots stayed open; the environment then stays open
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    writeLock.lock();
    try {
      while (!queue.isEmpty()) {
        commitNextGroup();
      }
      lmdbLock.lock();
      try {
        flushAllLocked();
      } catch (RuntimeException e) {
        log.error("store {}: the memtable could not be flushed on close; the write-ahead log keeps its"
            + " writes for the next open", directory, e);
      } finally {
        lmdbLock.unlock();
      }
    } finally {
      writeLock.unlock();
    }
    stopBackground();
    try {
      if (!gate.awaitNoReaders(settings.resizeWait().toNanos())) {
        throw new StoreException(
            "cannot close store " + directory + ": " + gate.openReaders()
                + " reads or snapshots are still open");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while closing store " + directory, e);
    }
    try {
      wal.close();
    } catch (IOException e) {
      log.warn("store {}: closing the write-ahead log failed: {}", directory, e.toString());
    }
    env.close();
    closeQuietly(null, lock, lockChannel);
    log.info("closed store {} ({})", directory, stats());
  }

  private void stopBackground() {
    asyncLeader.shutdown();
    flusher.shutdown();
    if (syncer != null) {
      syncer.shutdown();
    }
    try {
      asyncLeader.awaitTermination(10, TimeUnit.SECONDS);
      flusher.awaitTermination(10, TimeUnit.SECONDS);
      if (syncer != null) {
        syncer.awaitTermination(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while closing store " + directory, e);
    }
  }

  /**
   * Tests only: stops the store the way a crash of the process would: nothing is flushed and the WAL is
   * not synced (what was written stays in the OS page cache), then releases the directory.
   */
  void crashForTest() throws IOException {
    closed.set(true);
    stopBackground();
    wal.abandon();
    env.close();
    closeQuietly(null, lock, lockChannel);
  }

  /** Batches waiting for a commit. */
  int queuedBatches() {
    return queue.size();
  }

  /** Group commits replayed from the write-ahead log when the store was opened. */
  long recoveredGroups() {
    return recoveredGroups;
  }

  /** The write-ahead log's segment files, oldest first. */
  List<Path> walSegments() {
    return wal.segmentFiles();
  }

  /** The position after the last WAL record. */
  long walPosition() {
    return wal.position();
  }

  /** WAL segments started in a recycled file since the store was opened. */
  long recycledWalSegments() {
    return wal.recycledSegments();
  }

  /**
   * Tests only: holds the commit lock so that submissions queue up, and returns what releases it (and
   * hands the queue to a leader), so a test can see exactly which batches share a commit.
   */
  AutoCloseable holdCommits() {
    writeLock.lock();
    return () -> {
      writeLock.unlock();
      passLeadership();
    };
  }

  /**
   * Tests only: makes every flush wait, after its memtable was swapped out and before its LMDB commit,
   * until the returned handle is closed. {@link #flushHeld} says when a flush is waiting.
   */
  AutoCloseable holdFlushes() {
    CountDownLatch latch = new CountDownLatch(1);
    flushHold = latch;
    return () -> {
      flushHold = null;
      latch.countDown();
    };
  }

  /** Tests only: runs {@code hook} in the next scan after it took its view, before it reads LMDB. */
  void beforeNextScanReadsLmdb(Runnable hook) {
    beforeScanTxn = hook;
  }

  /** Scans that took a newer view because LMDB was ahead of theirs. */
  long scanRetries() {
    return scanRetries.sum();
  }

  /** Tests only: true while a flush waits in {@link #holdFlushes}. */
  boolean flushHeld() {
    return flushHeld;
  }

  /** Tests only: swaps the memtable out and hands it to the background flusher, without waiting. */
  void requestFlush() {
    writeLock.lock();
    try {
      checkOpen();
      swap(wal.position());
    } finally {
      writeLock.unlock();
      passLeadership();
    }
    scheduleFlush();
  }

  private void awaitFlushHold() {
    CountDownLatch latch = flushHold;
    if (latch == null) {
      return;
    }
    flushHeld = true;
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      flushHeld = false;
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** A batch waiting for its commit. */
  private static final class Pending {
    final WriteBatch batch;
    final Thread waiter;
    final CompletableFuture<CommitResult> future;
    private CommitResult result;
    private StoreException error;
    volatile boolean done;

    Pending(WriteBatch batch, Thread waiter, CompletableFuture<CommitResult> future) {
      this.batch = batch;
      this.waiter = waiter;
      this.future = future;
    }

    void complete(CommitResult r) {
      result = r;
      finish();
    }

    void fail(StoreException e) {
      error = e;
      finish();
    }

    private void finish() {
      done = true;
      if (future != null) {
        if (error != null) {
          future.completeExceptionally(error);
        } else {
          future.complete(result);
        }
      } else {
        LockSupport.unpark(waiter);
      }
    }

    CommitResult outcome() {
      if (error != null) {
        // A new exception so the stack trace shows the caller, with the committer's as the cause.
        StoreException e =
            error instanceof StoreFullException
                ? new StoreFullException(error.getMessage())
                : new StoreException(error.getMessage(), error);
        throw e;
      }
      return result;
    }
  }
}
