package dev.junction.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The child process of {@link CrashTest}: writes in fsync mode from several threads and prints
 * {@code ack <key> <seq>} for each write after its commit returned, until it is killed or its bounds (a
 * count and a time) run out. Each write also records the writer's progress as range metadata and a record
 * of a replication log in the same batch, so the test can check that they are committed together. With
 * a fifth argument {@code wal-only} the store never flushes its memtable by itself, so everything
 * acknowledged is only in the write-ahead log when the process is killed.
 */
public final class CrashWriter {
  static final int THREADS = 4;

  private CrashWriter() {}

  static byte[] key(int round, int thread, int i) {
    return ("r" + round + "-t" + thread + "-" + i).getBytes(StandardCharsets.UTF_8);
  }

  static byte[] value(long seq) {
    return ("value-" + seq + "-").repeat(20).getBytes(StandardCharsets.UTF_8);
  }

  static long seq(int round, int thread, int i) {
    return ((long) round << 40) | ((long) thread << 32) | i;
  }

  static long metaId(int thread) {
    return 1000 + thread;
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int round = Integer.parseInt(args[1]);
    int maxPerThread = Integer.parseInt(args[2]);
    long deadline = System.nanoTime() + Long.parseLong(args[3]) * 1_000_000_000L;
    StoreSettings settings = StoreSettings.defaults(dir).withDurability(Durability.FSYNC);
    if (args.length > 4 && args[4].equals("wal-only")) {
      settings = settings.withWal(64 << 20, 1L << 30, Duration.ofHours(1));
    }
    try (SsdStore store = SsdStore.open(settings)) {
      System.out.println("open");
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        Thread th =
            new Thread(
                () -> {
                  for (int i = 0; i < maxPerThread && System.nanoTime() < deadline; i++) {
                    long seq = seq(round, thread, i);
                    store.write(
                        new WriteBatch()
                            .put(key(round, thread, i), value(seq), seq)
                            .appendLog(metaId(thread), seq, value(seq))
                            .putMeta(
                                metaId(thread),
                                new RangeMeta(round, seq, new byte[0], new byte[0])));
                    synchronized (System.out) {
                      System.out.println("ack " + round + " " + thread + " " + i);
                    }
                  }
                });
        th.start();
        threads.add(th);
      }
      for (Thread th : threads) {
        th.join();
      }
    }
    System.out.println("done");
  }
}
