package dev.junction.store;

/**
 * Counters since the store was opened, for the node's metrics.
 *
 * @param commits group commits: one per group of batches, whether it went through the write-ahead log
 *     (one WAL record) or straight into LMDB (one LMDB write transaction); memtable flushes are not counted
 * @param batches write batches committed (a commit carries one or more)
 * @param operations operations in the batches that were applied
 * @param bytesWritten key and value bytes written by puts
 * @param syncs syncs to stable storage actually done: WAL syncs ({@code fdatasync}; one per group commit in
 *     fsync mode, at most one per {@code sync-interval} in replicated mode) plus LMDB commits, each synced
 *     by LMDB (data pages, then the meta page): memtable flushes and direct commits
 * @param largestGroup the most batches one commit carried
 * @param mapResizes times the map grew
 * @param mapSize the current map size in bytes
 * @param rejectedFull batches refused because the store was full
 * @param flushes memtables written into LMDB
 * @param walBytes bytes appended to the write-ahead log (records with their headers)
 */
public record StoreStats(
    long commits,
    long batches,
    long operations,
    long bytesWritten,
    long syncs,
    long largestGroup,
    long mapResizes,
    long mapSize,
    long rejectedFull,
    long flushes,
    long walBytes) {

  /** Average batches per commit: how much group commit is batching. */
  public double batchesPerCommit() {
    return commits == 0 ? 0 : (double) batches / commits;
  }
}
