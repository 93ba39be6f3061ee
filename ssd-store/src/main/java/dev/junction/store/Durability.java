package dev.junction.store;

/** When a committed write batch is on stable storage. */
public enum Durability {
  /**
   * Every group commit's write-ahead log record is synced ({@code fdatasync}) before its submitters are told
   * it committed; the memtable is written into LMDB later, in a fully synced LMDB commit. A crash of the
   * process, the OS or the machine loses no acknowledged write: the WAL is replayed when the store opens.
   * Group commit shares one sync among all the batches committed together.
   */
  FSYNC,
  /**
   * The write-ahead log is not synced per commit; a background task syncs it every {@code sync-interval}.
   * A crash of the process loses nothing (the WAL is in the OS page cache and is replayed on open); a crash
   * of the OS or a power loss can lose the writes of the last interval on this node. LMDB itself stays
   * consistent (its commits are always fully synced), so the node reopens with a prefix of its writes and
   * catches up from the other replicas of its chains. Chain replication keeps R copies; this mode relies on
   * them (the choice Kreon makes for its backups).
   */
  REPLICATED;

  static Durability parse(String text) {
    for (Durability d : values()) {
      if (d.name().equalsIgnoreCase(text)) {
        return d;
      }
    }
    throw new IllegalArgumentException(
        "junction.store.durability must be 'fsync' or 'replicated', not '" + text + "'");
  }
}
