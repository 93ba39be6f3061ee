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
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
import org.lmdbjava.GetOp;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-node storage engine: one LMDB environment with a table of user data (keys as they are, so a
 * sub-range is a contiguous interval) and a table of per-range metadata.
 *
 * <p><b>Writes</b> are {@link WriteBatch}es, committed atomically. They go through group commit: every
 * submitted batch joins a queue, and one leader at a time takes what is queued (up to
 * {@code group-commit.max-batches} / {@code max-bytes}) into one LMDB write transaction, commits it (and, in
 * {@link Durability#FSYNC} mode, syncs it), and only then completes each submitter. A thread calling
 * {@link #write} becomes the leader itself when nobody else is, so a lone writer pays no thread hand-off,
 * while concurrent writers share commits and syncs. {@link #submit} never blocks on a commit: a
 * background thread leads for it. Batches commit in the order they were queued.
 *
 * <p><b>Reads</b> ({@link #get}, {@link #scan}, {@link #snapshot}) run in LMDB read transactions and never
 * wait for writers. Values come back with the sequence number of the write that produced them.
 *
 * <p><b>Space</b>: the LMDB map starts at {@code initial-map-size} and doubles when LMDB reports it full,
 * up to {@code max-map-size}; past that, batches that add data fail with {@link StoreFullException}.
 * The last 5% of the maximum is kept for batches that only delete, so space can be freed.
 */
public final class SsdStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SsdStore.class);

  static final String MARKER_FILE = "JUNCTION_STORE";
  static final String FORMAT_LINE = "junction ssd-store format 1";
  static final String LOCK_FILE = "junction.lock";
  private static final String DATA_TABLE = "data";
  private static final String META_TABLE = "meta";
  private static final String LOG_TABLE = "log";
  private static final long MIB = 1L << 20;

  private final StoreSettings settings;
  private final Path directory;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Env<ByteBuffer> env;
  private final Dbi<ByteBuffer> data;
  private final Dbi<ByteBuffer> meta;
  private final Dbi<ByteBuffer> logTable;

  private final ResizeGate gate = new ResizeGate();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ThreadLocal<ByteBuffer> readKey =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(KeyCodec.LMDB_MAX_KEY));

  // Group commit. Everything below writeLock is touched only by the thread that holds it.
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final ExecutorService asyncLeader;
  private final ScheduledExecutorService syncer;
  private final ByteBuffer writeKey = ByteBuffer.allocateDirect(KeyCodec.LMDB_MAX_KEY);
  private final ByteBuffer metaKey = ByteBuffer.allocateDirect(Long.BYTES);
  private final ByteBuffer logKey = ByteBuffer.allocateDirect(2 * Long.BYTES);

  private final LongAdder commits = new LongAdder();
  private final LongAdder batches = new LongAdder();
  private final LongAdder operations = new LongAdder();
  private final LongAdder bytesWritten = new LongAdder();
  private final LongAdder syncs = new LongAdder();
  private final LongAdder mapResizes = new LongAdder();
  private final LongAdder rejectedFull = new LongAdder();
  private final LongAccumulator largestGroup = new LongAccumulator(Math::max, 0);
  private volatile long mapSize;
  /** Set when a batch that adds data was refused as full; cleared once space was freed or the map grew. */
  private volatile boolean full;

  private SsdStore(
      StoreSettings settings,
      Path directory,
      FileChannel lockChannel,
      FileLock lock,
      Env<ByteBuffer> env,
      Dbi<ByteBuffer> data,
      Dbi<ByteBuffer> meta,
      Dbi<ByteBuffer> logTable) {
    this.settings = settings;
    this.directory = directory;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.env = env;
    this.data = data;
    this.meta = meta;
    this.logTable = logTable;
    this.mapSize = env.info().mapSize;
    this.asyncLeader =
        Executors.newSingleThreadExecutor(daemon("junction-store-commit-" + directory.getFileName()));
    if (settings.durability() == Durability.REPLICATED) {
      long every = settings.syncInterval().toMillis();
      this.syncer =
          Executors.newSingleThreadScheduledExecutor(
              daemon("junction-store-sync-" + directory.getFileName()));
      syncer.scheduleWithFixedDelay(this::backgroundSync, every, every, TimeUnit.MILLISECONDS);
    } else {
      this.syncer = null;
    }
  }

  /**
   * Opens the store in {@code settings.directory()}, creating it when the directory is missing or empty.
   *
   * @throws StoreOpenException if the directory holds something that is not a Junction store, a store of
   *     another format, a corrupt environment, or a store another process has open
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
    try {
      // Read-only checks first: nothing is created in a directory that is not ours.
      boolean fresh = checkDirectory(dir);
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
      List<EnvFlags> flags = new ArrayList<>(List.of(EnvFlags.MDB_NOTLS));
      if (settings.durability() == Durability.REPLICATED) {
        flags.add(EnvFlags.MDB_NOSYNC);
      }
      try {
        env =
            Env.create()
                .setMapSize(settings.initialMapSize())
                .setMaxDbs(3)
                .setMaxReaders(settings.maxReaders())
                .open(dir.toFile(), flags.toArray(new EnvFlags[0]));
      } catch (LmdbException e) {
        throw new StoreOpenException(
            "store directory " + dir + " does not hold a valid LMDB environment: " + e.getMessage(),
            e);
      }
      Dbi<ByteBuffer> data = openTable(env, dir, DATA_TABLE, fresh);
      Dbi<ByteBuffer> meta = openTable(env, dir, META_TABLE, fresh);
      Dbi<ByteBuffer> logTable = openTable(env, dir, LOG_TABLE, true);
      if (fresh) {
        writeMarker(dir);
      }
      SsdStore store = new SsdStore(settings, dir, channel, fileLock, env, data, meta, logTable);
      log.info(
          "{} store {} (durability {}, map {} MiB of at most {} MiB)",
          fresh ? "created" : "opened",
          dir,
          settings.durability().name().toLowerCase(),
          store.mapSize / MIB,
          settings.maxMapSize() / MIB);
      return store;
    } catch (IOException e) {
      closeQuietly(env, fileLock, channel);
      throw new StoreOpenException("cannot open store directory " + dir + ": " + e, e);
    } catch (RuntimeException e) {
      closeQuietly(env, fileLock, channel);
      throw e;
    }
  }

  /** Returns true for a new store; throws for anything that is not a store this build can read. */
  private static boolean checkDirectory(Path dir) throws IOException {
    Path marker = dir.resolve(MARKER_FILE);
    if (Files.exists(marker)) {
      String first = Files.readAllLines(marker, StandardCharsets.UTF_8).stream().findFirst().orElse("");
      if (!FORMAT_LINE.equals(first)) {
        throw new StoreOpenException(
            "store directory " + dir + " has format '" + first + "', this build reads '" + FORMAT_LINE
                + "'");
      }
      if (!Files.exists(dir.resolve("data.mdb"))) {
        throw new StoreOpenException(
            "store directory " + dir + " is marked as a Junction store but its data.mdb is missing");
      }
      return false;
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
    return true;
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
    enterRead();
    try (Txn<ByteBuffer> txn = env.txnRead();
        Cursor<ByteBuffer> cursor = data.openCursor(txn)) {
      RangeIterator it = new RangeIterator(cursor, readKey.get(), from, to);
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

  /** The stored metadata of one range. */
  public Optional<RangeMeta> meta(long rangeId) {
    enterRead();
    try (Txn<ByteBuffer> txn = env.txnRead()) {
      return readMeta(txn, rangeId, ByteBuffer.allocateDirect(Long.BYTES));
    } finally {
      gate.exit();
    }
  }

  /** The metadata of every range stored on this node, by range id. */
  public SortedMap<Long, RangeMeta> allMeta() {
    enterRead();
    try (Txn<ByteBuffer> txn = env.txnRead();
        Cursor<ByteBuffer> cursor = meta.openCursor(txn)) {
      SortedMap<Long, RangeMeta> out = new TreeMap<>();
      for (boolean more = cursor.first(); more; more = cursor.next()) {
        long id = cursor.key().order(ByteOrder.BIG_ENDIAN).getLong(0);
        out.put(id, RangeMeta.decode(cursor.val().order(ByteOrder.BIG_ENDIAN)));
      }
      return out;
    } finally {
      gate.exit();
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
    enterRead();
    try (Txn<ByteBuffer> txn = env.txnRead();
        Cursor<ByteBuffer> cursor = logTable.openCursor(txn)) {
      ByteBuffer seek = ByteBuffer.allocateDirect(2 * Long.BYTES);
      seek.putLong(rangeId).putLong(Math.max(0, fromSeq)).flip();
      List<LogRecord> out = new ArrayList<>();
      for (boolean more = cursor.get(seek, GetOp.MDB_SET_RANGE);
          more && out.size() < limit;
          more = cursor.next()) {
        ByteBuffer k = cursor.key().order(ByteOrder.BIG_ENDIAN);
        if (k.getLong(k.position()) != rangeId) {
          break;
        }
        ByteBuffer v = cursor.val();
        byte[] entry = new byte[v.remaining()];
        v.get(v.position(), entry);
        out.add(new LogRecord(k.getLong(k.position() + Long.BYTES), entry));
      }
      return out;
    } finally {
      gate.exit();
    }
  }

  /**
   * A consistent, streaming view of {@code [from, to)} as of now, in key order, for state transfer. The
   * snapshot holds an LMDB read transaction (and so keeps the pages it sees) until it is closed: close it
   * promptly. It may be read from any one thread at a time.
   */
  public StoreSnapshot snapshot(byte[] from, byte[] to) {
    Keys.checkInterval(from, to);
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

  private void enterRead() {
    gate.enter();
    if (closed.get()) {
      gate.exit();
      throw new StoreClosedException("store " + directory + " is closed");
    }
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
   * Commits {@code batch} and returns once it is committed (and synced, in fsync mode). The calling thread
   * may commit other submitters' batches with its own.
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
   * thread, after the commit (and sync, in fsync mode); keep its callbacks short. It fails with a
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
    List<CommitResult> results;
    try {
      results = applyAndCommit(group);
    } catch (Env.MapFullException e) {
      onMapFull(group);
      return;
    } catch (RuntimeException e) {
      if (group.size() > 1) {
        log.warn("a group commit of {} batches failed ({}); committing them one by one", group.size(), e.toString());
        for (Pending p : group) {
          commit(List.of(p));
        }
      } else {
        log.error("a write batch failed to commit in {}", directory, e);
        group.get(0).fail(asStoreException(e));
      }
      return;
    }
    commits.increment();
    if (full) {
      for (Pending p : group) {
        if (p.batch.onlyFreesSpace()) {
          full = false; // something was freed: let writers try again
          break;
        }
      }
    }
    if (settings.durability() == Durability.FSYNC) {
      syncs.increment();
    }
    batches.add(group.size());
    largestGroup.accumulate(group.size());
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

  private List<CommitResult> applyAndCommit(List<Pending> group) {
    try (Txn<ByteBuffer> txn = env.txnWrite()) {
      List<CommitResult> results = new ArrayList<>(group.size());
      for (Pending p : group) {
        results.add(apply(txn, p.batch));
      }
      txn.commit();
      return results;
    }
  }

  private CommitResult apply(Txn<ByteBuffer> txn, WriteBatch batch) {
    List<Optional<Versioned>> observed = new ArrayList<>(batch.conditions().size());
    boolean holds = true;
    for (WriteBatch.Expect c : batch.conditions()) {
      Optional<Versioned> current = read(txn, c.key(), writeKey);
      observed.add(current);
      holds &=
          c.expected() == null
              ? current.isEmpty()
              : current.isPresent() && Arrays.equals(current.get().value(), c.expected());
    }
    if (!holds) {
      return new CommitResult(false, observed);
    }
    for (WriteBatch.Op op : batch.ops()) {
      if (op instanceof WriteBatch.Put put) {
        KeyCodec.encode(put.key(), writeKey);
        ByteBuffer dst =
            data.reserve(txn, writeKey, KeyCodec.storedValueSize(put.key(), put.value().length));
        KeyCodec.writeValue(dst.order(ByteOrder.BIG_ENDIAN), put.key(), put.value(), put.seq());
      } else if (op instanceof WriteBatch.Delete del) {
        KeyCodec.encode(del.key(), writeKey);
        data.delete(txn, writeKey);
      } else if (op instanceof WriteBatch.DeleteRange range) {
        deleteRange(txn, range.from(), range.to());
      } else if (op instanceof WriteBatch.PutMeta pm) {
        byte[] encoded = pm.meta().encode();
        metaKey.clear();
        metaKey.putLong(pm.rangeId()).flip();
        meta.reserve(txn, metaKey, encoded.length).put(0, encoded);
      } else if (op instanceof WriteBatch.DeleteMeta dm) {
        metaKey.clear();
        metaKey.putLong(dm.rangeId()).flip();
        meta.delete(txn, metaKey);
      } else if (op instanceof WriteBatch.AppendLog al) {
        logKey.clear();
        logKey.putLong(al.rangeId()).putLong(al.seq()).flip();
        logTable.reserve(txn, logKey, al.entry().length).put(0, al.entry());
      } else if (op instanceof WriteBatch.TruncateLog tl) {
        truncateLog(txn, tl.rangeId(), tl.upToSeq());
      } else {
        throw new IllegalStateException("unknown operation " + op);
      }
    }
    return observed.isEmpty() ? CommitResult.APPLIED : new CommitResult(true, observed);
  }

  private void deleteRange(Txn<ByteBuffer> txn, byte[] from, byte[] to) {
    try (Cursor<ByteBuffer> c = data.openCursor(txn)) {
      boolean more;
      if (from.length == 0) {
        more = c.first();
      } else {
        writeKey.clear();
        writeKey.put(KeyCodec.seekKey(from)).flip();
        more = c.get(writeKey, GetOp.MDB_SET_RANGE);
      }
      while (more) {
        ByteBuffer k = c.key();
        byte[] stored = new byte[k.remaining()];
        k.get(k.position(), stored);
        if (to.length > 0 && KeyCodec.pastEnd(stored, to)) {
          break;
        }
        byte[] key = KeyCodec.userKey(stored, c.val().order(ByteOrder.BIG_ENDIAN));
        if (Keys.inInterval(key, from, to)) {
          // LMDB leaves the cursor on the following entry; next() then returns that entry.
          c.delete();
        }
        more = c.next();
      }
    }
  }

  private void truncateLog(Txn<ByteBuffer> txn, long rangeId, long upToSeq) {
    try (Cursor<ByteBuffer> c = logTable.openCursor(txn)) {
      logKey.clear();
      logKey.putLong(rangeId).putLong(0).flip();
      boolean more = c.get(logKey, GetOp.MDB_SET_RANGE);
      while (more) {
        ByteBuffer k = c.key().order(ByteOrder.BIG_ENDIAN);
        if (k.getLong(k.position()) != rangeId || k.getLong(k.position() + Long.BYTES) > upToSeq) {
          break;
        }
        c.delete();
        more = c.next();
      }
    }
  }

  private void onMapFull(List<Pending> group) {
    long current = mapSize;
    long putLimit = settings.putLimit();
    if (current < putLimit) {
      long target = Math.min(putLimit, Math.max(current * 2, current + MIB));
      if (growMap(target)) {
        commit(group);
      } else {
        failAll(group, "the map is full and could not grow while reads stayed open for "
            + settings.resizeWait().toSeconds() + " s (" + gate.openReaders() + " open)");
      }
      return;
    }
    if (group.size() > 1) {
      for (Pending p : group) {
        commit(List.of(p));
      }
      return;
    }
    Pending p = group.get(0);
    if (p.batch.onlyFreesSpace() && current < settings.maxMapSize()) {
      if (growMap(settings.maxMapSize())) {
        commit(group);
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

  private boolean growMap(long target) {
    long from = mapSize;
    try {
      boolean done =
          gate.resize(() -> env.setMapSize(target), settings.resizeWait().toNanos());
      if (done) {
        mapSize = env.info().mapSize;
        mapResizes.increment();
        full = false;
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

  private void backgroundSync() {
    if (closed.get()) {
      return;
    }
    try {
      gate.enter();
      try {
        if (!closed.get()) {
          env.sync(true);
          syncs.increment();
        }
      } finally {
        gate.exit();
      }
    } catch (RuntimeException e) {
      log.error("background sync of store {} failed", directory, e);
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

  /** Counters since the store was opened. */
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
        rejectedFull.sum());
  }

  /**
   * Commits what is queued, waits for open reads and snapshots (up to {@code resize-wait}), syncs and
   * closes the environment. Later calls do nothing.
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
    } finally {
      writeLock.unlock();
    }
    asyncLeader.shutdown();
    if (syncer != null) {
      syncer.shutdown();
    }
    try {
      asyncLeader.awaitTermination(10, TimeUnit.SECONDS);
      if (syncer != null) {
        syncer.awaitTermination(10, TimeUnit.SECONDS);
      }
      if (!gate.awaitNoReaders(settings.resizeWait().toNanos())) {
        throw new StoreException(
            "cannot close store " + directory + ": " + gate.openReaders()
                + " reads or snapshots are still open");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while closing store " + directory, e);
    }
    if (settings.durability() == Durability.REPLICATED) {
      env.sync(true);
      syncs.increment();
    }
    env.close();
    closeQuietly(null, lock, lockChannel);
    log.info("closed store {} ({})", directory, stats());
  }

  /** Batches waiting for a commit. */
  int queuedBatches() {
    return queue.size();
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
