package dev.junction.store;

/**
 * Counters since the store was opened, for the node's metrics.
 *
 * @param commits LMDB write transactions committed
 * @param batches write batches committed (a commit carries one or more)
 * @param operations operations in those batches
 * @param bytesWritten key and value bytes written by puts
 * @param syncs syncs to stable storage (one per commit in fsync mode, one per interval in replicated)
 * @param largestGroup the most batches one commit carried
 * @param mapResizes times the map grew
 * @param mapSize the current map size in bytes
 * @param rejectedFull batches refused because the store was full
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
    long rejectedFull) {

  /** Average batches per commit: how much group commit is batching. */
  public double batchesPerCommit() {
    return commits == 0 ? 0 : (double) batches / commits;
  }
}
