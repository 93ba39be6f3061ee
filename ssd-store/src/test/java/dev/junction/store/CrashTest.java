package dev.junction.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 in the middle of fsync-mode writes: every write whose commit was acknowledged before the kill is
 * in the reopened store with its value and sequence number (and its replication log record), and each
 * writer's metadata (committed in the same batch as its data) is never behind its acknowledged writes nor
 * ahead of its data. With the default settings the memtable is flushed every 500 ms, so a kill meets
 * writes in LMDB, in a flush and in the WAL only; the second test keeps everything in the WAL only.
 */
class CrashTest {
  private static final int ROUNDS = 3;
  private static final int ACKS_BEFORE_KILL = 400;

  @TempDir Path dir;

  @Test
  void everyAcknowledgedWriteSurvivesSigkill() throws Exception {
    Path store = dir.resolve("store");
    List<int[]> acked = Collections.synchronizedList(new ArrayList<>());
    for (int round = 0; round < ROUNDS; round++) {
      List<int[]> roundAcks = runAndKill(store, round, "default");
      assertTrue(roundAcks.size() >= ACKS_BEFORE_KILL, "round " + round + " acks " + roundAcks.size());
      acked.addAll(roundAcks);
      verify(store, acked, round);
    }
  }

  @Test
  void acknowledgedWritesOnlyInTheWriteAheadLogSurviveSigkill() throws Exception {
    Path store = dir.resolve("store");
    List<int[]> acked = Collections.synchronizedList(new ArrayList<>());
    for (int round = 0; round < 2; round++) {
      List<int[]> roundAcks = runAndKill(store, round, "wal-only");
      assertTrue(roundAcks.size() >= ACKS_BEFORE_KILL, "round " + round + " acks " + roundAcks.size());
      acked.addAll(roundAcks);
      long replayed = verify(store, acked, round);
      // Nothing was flushed before the kill: every acknowledged write of the round came back from the WAL.
      assertTrue(
          replayed * CrashWriter.THREADS >= roundAcks.size(),
          "replayed " + replayed + " group commits for " + roundAcks.size() + " acknowledged writes");
    }
  }

  private List<int[]> runAndKill(Path store, int round, String mode) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path stderr = dir.resolve("writer-" + round + ".err");
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            // The writer is killed, so the copy LMDB-Java makes of its native library is never deleted:
            // it goes into this test's folder, not the system's temporary one.
            "-Dlmdbjava.extract.dir=" + dir.toAbsolutePath(),
            "-cp",
            System.getProperty("java.class.path"),
            CrashWriter.class.getName(),
            store.toString(),
            Integer.toString(round),
            "1000000",
            "120",
            mode);
    pb.redirectError(stderr.toFile());
    Process child = pb.start();
    List<int[]> acks = Collections.synchronizedList(new ArrayList<>());
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  if (line.startsWith("ack ")) {
                    String[] f = line.split(" ");
                    acks.add(
                        new int[] {
                          Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3])
                        });
                  }
                }
              } catch (Exception e) {
                // The pipe closes when the child dies.
              }
            });
    reader.start();
    try {
      TestKeys.await(
          Duration.ofSeconds(60),
          "acknowledged writes from the child (stderr: " + stderr + ")",
          () -> acks.size() >= ACKS_BEFORE_KILL || !child.isAlive());
      assertTrue(child.isAlive(), "the writer died by itself: " + Files.readString(stderr));
    } finally {
      child.destroyForcibly(); // SIGKILL
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
      reader.join(30_000);
    }
    assertEquals(137, child.exitValue(), "killed by SIGKILL");
    return new ArrayList<>(acks);
  }

  /** Checks the reopened store; returns the number of group commits replayed from the WAL. */
  private long verify(Path store, List<int[]> acked, int lastRound) {
    try (SsdStore s = SsdStore.open(StoreSettings.defaults(store))) {
      for (int[] a : acked) {
        long seq = CrashWriter.seq(a[0], a[1], a[2]);
        Optional<Versioned> v = s.get(CrashWriter.key(a[0], a[1], a[2]));
        assertTrue(v.isPresent(), "acknowledged write lost: round " + a[0] + " thread " + a[1] + " #" + a[2]);
        assertEquals(new Versioned(CrashWriter.value(seq), seq), v.get());
        List<LogRecord> record = s.readLog(CrashWriter.metaId(a[1]), seq, 1);
        assertEquals(seq, record.get(0).seq(), "acknowledged log record lost");
        assertArrayEquals(CrashWriter.value(seq), record.get(0).entry());
      }
      for (int t = 0; t < CrashWriter.THREADS; t++) {
        int thread = t;
        long lastAcked =
            acked.stream()
                .filter(a -> a[0] == lastRound && a[1] == thread)
                .mapToLong(a -> CrashWriter.seq(a[0], a[1], a[2]))
                .max()
                .orElse(-1);
        RangeMeta meta = s.meta(CrashWriter.metaId(t)).orElseThrow();
        assertTrue(meta.appliedSeq() >= lastAcked, "metadata behind an acknowledged write");
        if (meta.epoch() == lastRound) {
          int i = (int) (meta.appliedSeq() & 0xffffffffL);
          assertTrue(
              s.get(CrashWriter.key(lastRound, t, i)).isPresent(),
              "metadata ahead of the data committed with it");
          assertTrue(
              s.get(CrashWriter.key(lastRound, t, i + 1)).isEmpty(),
              "data ahead of the metadata committed with it");
        }
      }
      return s.recoveredGroups();
    }
  }
}
