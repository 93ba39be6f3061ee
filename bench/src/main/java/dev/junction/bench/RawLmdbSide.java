package dev.junction.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

/**
 * The reference side: LMDB-Java used directly, the way a careful caller would (direct buffers reused per
 * thread, values written in place with {@code reserve}), with the environment settings the store uses
 * ({@code MDB_NOTLS}, 512 reader slots, one named table). Without a sync per commit it does the same
 * durability work as the store's {@code replicated} mode: {@code MDB_NOSYNC} plus a background sync every
 * {@link #SYNC_INTERVAL_MS} ms, so that both sides write their pages back to disk while they are timed.
 */
final class RawLmdbSide implements KvSide {
  private static final int SEQ_BYTES = Long.BYTES;
  /** The store's default {@code junction.store.sync-interval}. */
  static final long SYNC_INTERVAL_MS = 100;

  private final Env<ByteBuffer> env;
  private final Dbi<ByteBuffer> dbi;
  private final ThreadLocal<ByteBuffer> keyBuffer =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(Dataset.KEY_BYTES));

  private final java.util.concurrent.ScheduledExecutorService syncer;

  private RawLmdbSide(Env<ByteBuffer> env, Dbi<ByteBuffer> dbi, boolean backgroundSync) {
    this.env = env;
    this.dbi = dbi;
    if (backgroundSync) {
      syncer =
          java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "raw-lmdb-sync");
                t.setDaemon(true);
                return t;
              });
      syncer.scheduleWithFixedDelay(
          () -> env.sync(true), SYNC_INTERVAL_MS, SYNC_INTERVAL_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    } else {
      syncer = null;
    }
  }

  /**
   * Opens a new environment in {@code dir}.
   *
   * @param syncEachCommit true: every commit syncs (LMDB's default); false: {@code MDB_NOSYNC} and a
   *     background sync every {@link #SYNC_INTERVAL_MS} ms
   */
  static RawLmdbSide open(Path dir, long mapSize, boolean syncEachCommit) throws java.io.IOException {
    Files.createDirectories(dir);
    List<EnvFlags> flags = new ArrayList<>(List.of(EnvFlags.MDB_NOTLS));
    if (!syncEachCommit) {
      flags.add(EnvFlags.MDB_NOSYNC);
    }
    Env<ByteBuffer> env =
        Env.create()
            .setMapSize(mapSize)
            .setMaxDbs(1)
            .setMaxReaders(512)
            .open(dir.toFile(), flags.toArray(new EnvFlags[0]));
    try {
      return new RawLmdbSide(env, env.openDbi("data", DbiFlags.MDB_CREATE), !syncEachCommit);
    } catch (RuntimeException e) {
      env.close();
      throw e;
    }
  }

  @Override
  public String name() {
    return "raw";
  }

  @Override
  public void writeBatch(Dataset.Slice slice, int from, int to) {
    try (Txn<ByteBuffer> txn = env.txnWrite()) {
      for (int j = from; j < to; j++) {
        write(txn, slice.keys()[j], slice.values()[j], slice.seq(j));
      }
      txn.commit();
    }
  }

  @Override
  public void put(byte[] key, byte[] value, long seq) {
    try (Txn<ByteBuffer> txn = env.txnWrite()) {
      write(txn, key, value, seq);
      txn.commit();
    }
  }

  private void write(Txn<ByteBuffer> txn, byte[] key, byte[] value, long seq) {
    ByteBuffer dst = dbi.reserve(txn, keyOf(key), SEQ_BYTES + value.length);
    dst.order(ByteOrder.BIG_ENDIAN).putLong(0, seq);
    dst.put(SEQ_BYTES, value);
  }

  @Override
  public byte[] get(byte[] key) {
    try (Txn<ByteBuffer> txn = env.txnRead()) {
      ByteBuffer v = dbi.get(txn, keyOf(key));
      if (v == null) {
        return null;
      }
      byte[] out = new byte[v.remaining() - SEQ_BYTES];
      v.get(v.position() + SEQ_BYTES, out);
      return out;
    }
  }

  private ByteBuffer keyOf(byte[] key) {
    ByteBuffer k = keyBuffer.get();
    k.clear();
    k.put(key).flip();
    return k;
  }

  /** Writes every committed page to disk (the raw side never does it on its own with MDB_NOSYNC). */
  void sync() {
    env.sync(true);
  }

  @Override
  public void close() {
    if (syncer != null) {
      syncer.shutdown();
      try {
        syncer.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    env.close();
  }
}
