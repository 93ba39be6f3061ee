package dev.junction.sharding.placement;

/** A change of placement the planner proposes, with the reason it gives. */
public sealed interface Move {
  long rangeId();

  String reason();

  /** The nodes a move occupies while it runs (for the limit per node). */
  java.util.List<String> nodes();

  /** Copy the range's replica on {@code from} to {@code to}, join it at the tail, then remove the one on {@code from}. */
  record ReplicaMove(long rangeId, String from, String to, String reason) implements Move {
    @Override
    public java.util.List<String> nodes() {
      return java.util.List.of(from, to);
    }
  }

  /** Make the range's replica on {@code to} (already in its chain) the head, instead of the one on {@code from}. */
  record HeadMove(long rangeId, String from, String to, String reason) implements Move {
    @Override
    public java.util.List<String> nodes() {
      return java.util.List.of(from, to);
    }
  }

  /**
   * Take the range's replica on {@code from} out of its chain (once its read lease ran out): the chain is
   * longer than the replication factor (a controller stopped in the middle of a move).
   */
  record RemoveReplica(long rangeId, String from, String reason) implements Move {
    @Override
    public java.util.List<String> nodes() {
      return java.util.List.of(from);
    }
  }

  /** Copy the range to {@code to} and join it at the tail: its chain is shorter than the replication factor. */
  record AddReplica(long rangeId, String to, String reason) implements Move {
    @Override
    public java.util.List<String> nodes() {
      return java.util.List.of(to);
    }
  }
}
