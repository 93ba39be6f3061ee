package dev.junction.store;

/** When a committed write batch is on stable storage. */
public enum Durability {
  /**
   * Every commit is synced ({@code fdatasync}) before its submitters are told it committed. A crash of the
   * process, the OS or the machine loses no acknowledged write. Group commit shares one sync among all the
   * batches committed together.
   */
  FSYNC,
  /**
   * Commits are not synced; a background task syncs every {@code sync-interval}. A crash of the process
   * loses nothing (committed pages are in the OS page cache); a crash of the OS or a power loss can lose
   * the writes of the last interval on this node and may leave its environment unusable, so the node must
   * then be rebuilt from the other replicas of its chains. Chain replication keeps R copies; this mode
   * relies on them (the choice Kreon makes for its backups).
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
